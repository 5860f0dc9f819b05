"""Export docs: each stored document rebuilt per locale, checked, written if it changed.

A block takes its approved translation for the current source text; without one, the
newest machine (or unreviewed human) version when `[export] machine = "fuzzy"` (Markdown
has no fuzzy marker, so "fuzzy" publishes unreviewed text), and its source text when
"omit". Stale translations never go out. The result must keep the source's structure
(`verify_structure`): a block whose translation breaks it by itself goes out in the source
language, reported (pipeline.docs_fit); a document that still does not is not written and
each problem is reported on one line. Writes are atomic and skipped when the bytes would not change.
An MkDocs site's own texts (its name, nav titles) go to `mkdocs.{locale}.yml` (`export_site`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from locflow.connectors.markdown import MarkdownError, parse_markdown
from locflow.connectors.po import write_po_atomic
from locflow.db import repo, segment_repo
from locflow.db.models import SegmentRow, Source, Translation
from locflow.db.states import State
from locflow.pipeline.docs import KIND, SITE_KIND, discover_sites, doc_file, doc_sources
from locflow.pipeline.docs_fit import fit_document
from locflow.pipeline.mkdocs_site import parse_site, site_texts_yaml
from locflow.settings import Config


@dataclass(frozen=True)
class DocResult:
    doc: str
    locale: str
    path: str
    """The output, relative to the config root."""
    blocks: int
    localised: int
    """Blocks that go out translated."""
    approved: int
    source_text: int
    """Blocks that go out in the source language (nothing usable yet)."""
    changed: bool
    written: bool
    problems: tuple[str, ...] = ()
    """What breaks the structure: the document is not written."""
    demoted: tuple[str, ...] = ()
    """Blocks whose translation broke the structure by itself, left in the source language
    (pipeline.docs_fit): the document is written without them."""

    @property
    def failed(self) -> bool:
        return bool(self.problems)

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "problems": list(self.problems),
            "demoted": list(self.demoted),
            "failed": self.failed,
        }


def doc_text(versions: Sequence[Translation], row: SegmentRow, machine: str) -> tuple[str, bool]:
    """("", False) when nothing goes out, else (text, approved)."""
    usable = [
        v
        for v in versions
        if v.source_hash == row.source_hash and v.state != State.STALE and any(v.forms)
    ]
    for v in usable:
        if v.state == State.APPROVED:
            return v.forms[0], True
    if machine == "fuzzy" and usable:
        return usable[0].forms[0], False
    return "", False


def export_doc(
    s: Session, config: Config, source: Source, locale: str, *, dry_run: bool = False
) -> DocResult | None:
    if source.kind == SITE_KIND:
        return export_site(s, config, source, locale, dry_run=dry_run)
    doc = doc_file(config, source.name)
    if doc is None or source.content is None:
        return None  # no longer configured, or gone from the checkout at the last sync
    out_rel = doc.output(locale)
    try:
        parsed = parse_markdown(
            source.content,
            source.name,
            front_matter_keys=doc.spec.front_matter,
            dialect=doc.dialect,
        )
    except MarkdownError as exc:
        return DocResult(source.name, locale, out_rel, 0, 0, 0, 0, False, False, (str(exc),))
    rows = segment_repo.segment_rows(s, source.id, include_obsolete=False)
    current = repo.current_versions(s, [r.id for r in rows], locale)
    translations: dict[str, str] = {}
    approved_ids: set[str] = set()
    for row in rows:
        text, is_approved = doc_text(current.get(row.id, ()), row, config.export.machine)
        if text:
            translations[row.msgid] = text
            if is_approved:
                approved_ids.add(row.msgid)
    fitted = fit_document(parsed, translations)
    changed, written = write_output(config, out_rel, fitted.text, fitted.problems, dry_run)
    return DocResult(
        doc=source.name,
        locale=locale,
        path=out_rel,
        blocks=len(rows),
        localised=len(fitted.translations),
        approved=len(approved_ids & fitted.translations.keys()),
        source_text=len(rows) - len(fitted.translations),
        changed=changed,
        written=written,
        problems=fitted.problems,
        demoted=fitted.demoted,
    )


def write_output(
    config: Config, out_rel: str, text: str, problems: Sequence[str], dry_run: bool
) -> tuple[bool, bool]:
    """(changed, written): written atomically, only when the bytes change and all is well."""
    data = text.encode("utf-8")
    path = config.root / out_rel
    try:
        changed = path.read_bytes() != data
    except FileNotFoundError:
        changed = True
    written = False
    if not problems and changed and not dry_run:
        path.parent.mkdir(parents=True, exist_ok=True)
        written = write_po_atomic(path, data)
    return changed, written


def export_site(
    s: Session, config: Config, source: Source, locale: str, *, dry_run: bool = False
) -> DocResult | None:
    """A site's `mkdocs.{locale}.yml`: its translated name and `nav_translations`; titles
    with nothing to go out are left out (MkDocs shows the source title)."""
    if source.content is None or source.name not in {x.file for x in discover_sites(config)}:
        return None
    site = parse_site(source.name, source.content)
    rows = segment_repo.segment_rows(s, source.id, include_obsolete=False)
    current = repo.current_versions(s, [r.id for r in rows], locale)
    texts: dict[str, str] = {}
    approved = 0
    problems: list[str] = []
    for row in rows:
        text, is_approved = doc_text(current.get(row.id, ()), row, config.export.machine)
        if text and ("\n" in text.strip() or not text.strip()):
            problems.append(f"{source.name}: translation of {row.msgid!r} is not one line")
        elif text:
            texts[row.msgid], approved = text.strip(), approved + is_approved
    name = texts.get(site.site_name, site.site_name) if site.site_name else None
    nav = {t: texts[t] for t in site.nav if t in texts}
    out_rel = site.output(locale)
    rendered = site_texts_yaml(site, locale, name, nav)
    changed, written = write_output(config, out_rel, rendered, problems, dry_run)
    return DocResult(
        doc=source.name,
        locale=locale,
        path=out_rel,
        blocks=len(rows),
        localised=len(texts),
        approved=approved,
        source_text=len(rows) - len(texts),
        changed=changed,
        written=written,
        problems=tuple(problems),
    )


def export_docs(
    s: Session,
    config: Config,
    *,
    locales: Sequence[str] | None = None,
    dry_run: bool = False,
) -> list[DocResult]:
    project = repo.find_project(s, config.project)
    if project is None:
        return []
    results = []
    for source in doc_sources(s, project):
        for locale in locales or config.locales:
            result = export_doc(s, config, source, locale, dry_run=dry_run)
            if result is not None:
                results.append(result)
    return results


def versions_stored_by_doc(s: Session, run_id: int) -> dict[tuple[str, str], dict[str, int]]:
    """Per (doc, locale): versions a run stored, by what made them: engine output that came
    back ("translated"), the memory ("memory"), engine errors ("errors")."""
    q = (
        select(Source.name, Translation.locale, Translation.origin, Translation.issues)
        .join(SegmentRow, SegmentRow.id == Translation.segment_id)
        .join(Source, Source.id == SegmentRow.source_id)
        .where(Translation.run_id == run_id, Source.kind.in_((KIND, SITE_KIND)))
    )
    out: dict[tuple[str, str], dict[str, int]] = {}
    for name, locale, origin, issues in s.execute(q):
        counts = out.setdefault((name, locale), {"translated": 0, "memory": 0, "errors": 0})
        if origin == "tm":
            counts["memory"] += 1
        elif any(i.get("check") == "engine" for i in issues or ()):
            counts["errors"] += 1
        else:
            counts["translated"] += 1
    return out
