"""Docs: Markdown files from `[[docs]]` as sources, synced like templates (no Prefect).

```toml
[[docs]]
include = ["docs/**/*.md"]                # globs relative to the config file
exclude = ["docs/drafts/**"]              # optional
output = "build/docs/{locale}/{path}"     # {path}: relative to the include's base folder
front_matter = ["title", "description"]   # optional (this is the default)
dialect = "mkdocs"                        # optional; default: from the MkDocs site
include_hidden = false                    # optional: wildcards walk into .hidden folders
```

Each document is a `Source` (kind "md", name = its path relative to the config root) whose
segments are its blocks; its bytes are kept in `Source.content`, so export needs no
checkout. Sync reconciles blocks with the .po sync's own reconciler (pipeline/sync.py): new
ones are inserted, changed ones (a new kind of block) get a new source version and stale
translations, vanished ones become obsolete (kept), a reworded paragraph is linked to its
predecessor (same msgctxt and plural-ness, as for .po entries) whose translation is offered
as a stale suggestion. Outputs are never taken as sources: any path an output pattern may
produce for a configured locale is left out, orphaned outputs included. The MkDocs site an
entry maps to (pipeline/mkdocs_site.py) gives the dialect, and its name and nav titles are
one more source (kind "mkdocs", named by the yml).
Writing translated documents is in `docs_export`.
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
import subprocess
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy.orm import Session

from locflow.connectors.markdown import MarkdownError, parse_markdown
from locflow.db import repo, segment_repo
from locflow.db.models import Project, Source, Translation
from locflow.pipeline.mkdocs_site import MkDocsSite, site_for, site_segments
from locflow.pipeline.plan import Key, LocalePlan, WorkItem, plan_locale
from locflow.pipeline.sync import Reconciled, reconcile
from locflow.settings import Config, DocsSpec
from locflow.settings_types import base_folder

KIND = "md"
SITE_KIND = "mkdocs"
"""A site's own texts (nav titles, site_name) from its mkdocs.yml: see mkdocs_site."""


class DocsError(ValueError):
    """A one-line problem with the docs setup (a git ref that does not resolve, …)."""


# --- configuration --------------------------------------------------------------------------


@dataclass(frozen=True)
class DocFile:
    name: str
    """Path relative to the config root (posix): the source's identity."""
    spec: DocsSpec
    base: str
    dialect: str = "commonmark"
    """The spec's `dialect`, else the one its MkDocs site implies (`dialect_of`)."""

    def output(self, locale: str) -> str:
        return self.spec.output_for(self.name, self.base, locale)


def discover_docs(config: Config) -> list[DocFile]:
    """Every document the `[[docs]]` tables take, in name order. Outputs are never sources:
    any file an output pattern could have written for a configured locale is left out,
    whether its source still exists or not."""
    found: dict[str, DocFile] = {}
    for spec in config.docs:
        for pattern in spec.include:
            hidden = spec.include_hidden
            paths = glob.glob(str(config.root / pattern), recursive=True, include_hidden=hidden)
            for p in sorted(paths):
                if not os.path.isfile(p):
                    continue
                name = Path(os.path.relpath(p, config.root)).as_posix()
                if name not in found:
                    doc = doc_file(config, name)
                    if doc is not None:
                        found[name] = doc
    outputs = output_matchers(config)
    return [d for name, d in sorted(found.items()) if not any(m.fullmatch(name) for m in outputs)]


def output_matchers(config: Config) -> list[re.Pattern[str]]:
    """What each `[[docs]]` output pattern may write, for the configured locales."""
    return [spec.output_regex(config.locales) for spec in config.docs]


def doc_file(config: Config, name: str) -> DocFile | None:
    """What a doc name (root-relative) maps to under the current config."""
    for spec in config.docs:
        base = spec.base_of(name)
        if base is not None:
            return DocFile(name, spec, base, dialect_of(config, spec, base))
    return None


def dialect_of(config: Config, spec: DocsSpec, base: str) -> str:
    """An explicit `dialect` wins; else the MkDocs site holding `base` decides (through its
    markdown_extensions); CommonMark without one."""
    if spec.dialect is not None:
        return spec.dialect
    site = site_for(config.root, base)
    return site.dialect if site is not None else "commonmark"


def discover_sites(config: Config) -> list[MkDocsSite]:
    """The MkDocs sites a `[[docs]]` include maps to (by its base folder) whose own texts
    are translated (not a zensical.toml: it only decides the dialect), in file order."""
    sites: dict[str, MkDocsSite] = {}
    for spec in config.docs:
        for pattern in spec.include:
            site = site_for(config.root, base_folder(pattern))
            if site is not None and site.has_texts:
                sites.setdefault(site.file, site)
    return [sites[k] for k in sorted(sites)]


# --- git ------------------------------------------------------------------------------------


def changed_since(
    config: Config, ref: str, docs: Sequence[DocFile], sites: Sequence[MkDocsSite] = ()
) -> set[str]:
    """Names of the docs (and site ymls) that differ from git `ref` (committed or not, or
    untracked)."""
    verify_ref(config, ref)
    pathspecs = [f":(glob){p}" for spec in config.docs for p in spec.include]
    pathspecs += [f":(literal){site.file}" for site in sites]
    diff = _git(config.root, "diff", "--name-only", "--relative", "-z", ref, "--", *pathspecs)
    untracked = _git(config.root, "ls-files", "--others", "--exclude-standard", "-z", "--")
    names = {n for n in (diff + untracked).split("\0") if n}
    return {d.name for d in docs if d.name in names} | {x.file for x in sites if x.file in names}


def verify_ref(config: Config, ref: str) -> None:
    """A DocsError unless `ref` names a commit in the config root's repository."""
    try:
        _git(config.root, "rev-parse", "--verify", "--quiet", "--end-of-options", ref + "^{commit}")
    except DocsError as exc:
        if "not installed" in str(exc):
            raise
        raise DocsError(f"--changed-since {ref}: no such commit in {config.root}") from None


def _git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=False, timeout=120
        )
    except FileNotFoundError:
        raise DocsError("git is not installed; --changed-since needs it") from None
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise DocsError(f"git {args[0]} failed: {lines[0] if lines else done.returncode}")
    return done.stdout


# --- sync -----------------------------------------------------------------------------------


@dataclass
class DocsSyncReport:
    docs: int = 0
    unchanged: int = 0
    new: int = 0
    changed: int = 0
    obsolete: int = 0
    linked: int = 0
    removed: int = 0
    problems: list[str] = field(default_factory=list)
    sites: int = 0
    """MkDocs sites whose nav titles and site name were synced (a source each)."""

    def add(self, done: Reconciled) -> None:
        """A doc's reconciled blocks (stale versions are not counted for docs)."""
        self.new += done.new
        self.changed += done.changed
        self.obsolete += done.obsolete
        self.linked += done.linked

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def sync_docs(s: Session, config: Config, docs: Sequence[DocFile] | None = None) -> DocsSyncReport:
    """Read every doc (and the texts of the MkDocs sites they belong to) into the
    database; docs no longer found lose their live segments."""
    docs = discover_docs(config) if docs is None else docs
    project = repo.get_or_create_project(s, config.project, config.source_locale)
    report = DocsSyncReport()
    for doc in docs:
        report.docs += 1
        data = (config.root / doc.name).read_bytes()
        source = repo.get_or_create_source(s, project, doc.name, KIND)
        # the front-matter keys and the dialect decide the blocks as much as the bytes do
        settings = repr((doc.spec.front_matter, doc.dialect)).encode()
        digest = hashlib.sha256(settings + b"\0" + data).hexdigest()
        if source.content_hash == digest:
            report.unchanged += 1
            continue
        try:
            parsed = parse_markdown(
                data, doc.name, front_matter_keys=doc.spec.front_matter, dialect=doc.dialect
            )
        except MarkdownError as exc:
            report.problems.append(str(exc))
            continue
        report.add(reconcile(s, source, [b.segment for b in parsed.blocks]))
        source.content, source.content_hash = data, digest
    sites = discover_sites(config)
    for site in sites:
        report.sites += 1
        sync_site(s, config, project, site, report)
    present = {d.name for d in docs} | {site.file for site in sites}
    for source in doc_sources(s, project):
        if source.name not in present and source.content is not None:
            for row in segment_repo.segment_rows(s, source.id, include_obsolete=False):
                segment_repo.mark_obsolete(s, row)
                report.obsolete += 1
            source.content, source.content_hash = None, ""
            report.removed += 1
    return report


def sync_site(
    s: Session, config: Config, project: Project, site: MkDocsSite, report: DocsSyncReport
) -> None:
    """A site's name and nav titles, as the segments of a source named by its yml."""
    data = (config.root / site.file).read_bytes()
    source = repo.get_or_create_source(s, project, site.file, SITE_KIND)
    digest = hashlib.sha256(b"mkdocs\0" + data).hexdigest()
    if source.content_hash != digest:
        report.add(reconcile(s, source, site_segments(site)))
        source.content, source.content_hash = data, digest


def doc_sources(
    s: Session, project: Project, kinds: tuple[str, ...] = (KIND, SITE_KIND)
) -> list[Source]:
    """The project's documents and MkDocs sites (`kinds`), as sources."""
    return [x for x in repo.sources_of(s, project) if x.kind in kinds]


def segment_docs(s: Session, project: Project) -> dict[int, str]:
    """The doc (or site yml) name of every live doc segment, by segment id."""
    return {
        r.id: source.name
        for source in doc_sources(s, project)
        for r in segment_repo.segment_rows(s, source.id, include_obsolete=False)
    }


# --- plan -----------------------------------------------------------------------------------


def plan_docs(
    s: Session, project: Project, locale: str, names: Iterable[str] | None = None
) -> LocalePlan:
    """The project's plan for `locale`, narrowed to the segments of these docs (all docs
    when None): other sources' work waits for their own flow."""
    segments = segment_docs(s, project)
    wanted = set(names) if names is not None else set(segments.values())
    allowed = {sid for sid, name in segments.items() if name in wanted}
    full = plan_locale(s, project, locale)
    queued: OrderedDict[Key, list[WorkItem]] = OrderedDict()
    for key, items in full.queued.items():
        mine = [i for i in items if i.segment_id in allowed]
        if mine:
            queued[key] = mine
    reused = [(i, f) for i, f in full.reused if i.segment_id in allowed]

    def ours(version_id: int) -> bool:
        version = s.get(Translation, version_id)
        return version is not None and version.segment_id in allowed

    return replace(
        full,
        queued=queued,
        reused=reused,
        up_to_date=len(allowed) - sum(len(v) for v in queued.values()) - len(reused),
        stale_by_glossary=[v for v in full.stale_by_glossary if ours(v)],
        flagged_by_glossary=[(v, why) for v, why in full.flagged_by_glossary if ours(v)],
    )
