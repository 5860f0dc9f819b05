"""Sync: templates and catalogues on disk -> segments and human versions in the database.

New segments are inserted, changed ones get a new source version (their translations go
stale, kept), removed ones are marked obsolete (kept). A reworded msgid is linked to its
predecessor by fuzzy matching, as msgmerge does, and the old translation is offered as a
stale suggestion. Translations found in catalogues are imported as human versions, once:
an entry that reads as it did at the last sync (or export) is not imported again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz
from sqlalchemy.orm import Session

from locflow.catalog.locales import UnknownLocale
from locflow.catalog.segment import Segment
from locflow.connectors.po_model import PoCatalog, PoEntry, PoError
from locflow.connectors.po_parse import parse_po
from locflow.db import catalog_repo, repo, segment_repo
from locflow.db.models import Project, SegmentRow, Source
from locflow.db.states import State
from locflow.pipeline.plan import plural_for
from locflow.pipeline.sync_carry import (
    FUZZY_THRESHOLD,
    carried_versions,
    carry,
    nplurals_of,
    revived,
)
from locflow.pipeline.terms import sync_glossaries
from locflow.settings import CatalogSource, Config, ConfigError


@dataclass
class Reconciled:
    """What reconciling a source's segments with its stored rows did."""

    new: int = 0
    changed: int = 0
    obsolete: int = 0
    linked: int = 0
    stale_versions: int = 0


@dataclass
class SyncReport:
    sources: int = 0
    unchanged_templates: int = 0
    new: int = 0
    changed: int = 0
    obsolete: int = 0
    linked: int = 0
    stale_versions: int = 0
    imported: int = 0
    carried: int = 0
    """Translations carried from another entry of a catalogue, as msgmerge does."""
    approved_by_file: int = 0
    catalogs_read: int = 0
    catalogs_unchanged: int = 0
    glossaries_changed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def add(self, done: Reconciled) -> None:
        self.new += done.new
        self.changed += done.changed
        self.obsolete += done.obsolete
        self.linked += done.linked
        self.stale_versions += done.stale_versions

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_CREATION_DATE = re.compile(rb'^"POT-Creation-Date:[^\n]*\n', re.MULTILINE)


def template_hash(data: bytes) -> str:
    """A template's content hash, blind to its POT-Creation-Date (xgettext moves it on every
    extraction): sync skips a template whose hash is unchanged, and export calls a template
    whose hash differs from the synced one drift."""
    return content_hash(_CREATION_DATE.sub(b"", data, count=1))


def template_segments(catalog: PoCatalog) -> list[Segment]:
    """The translatable entries of a template (a .po used as template loses its msgstrs)."""
    out = []
    for e in catalog.entries:
        if e.segment.obsolete:
            continue
        seg = e.segment
        out.append(
            Segment(
                msgid=seg.msgid,
                msgctxt=seg.msgctxt,
                msgid_plural=seg.msgid_plural,
                flags=tuple(f for f in seg.flags if f != "fuzzy"),
                extracted_comments=seg.extracted_comments,
                occurrences=seg.occurrences,
            )
        )
    return out


def sync_project(s: Session, config: Config, *, locales: Iterable[str] | None = None) -> SyncReport:
    project = repo.get_or_create_project(s, config.project, config.source_locale)
    report = SyncReport()
    report.glossaries_changed = sync_glossaries(s, config, project.id)
    wanted = tuple(locales) if locales is not None else config.locales
    for src in config.catalog_sources():
        report.sources += 1
        source = sync_template(s, project, src, report)
        for locale in wanted:
            sync_catalog(s, source, src, locale, report)
            _check_plural_rule(s, source.id, src, locale)
    return report


def _check_plural_rule(s: Session, source_id: int, src: CatalogSource, locale: str) -> None:
    """A ConfigError when a locale has no rule; a PoError naming the catalogue when its
    Plural-Forms is one msgfmt would refuse (malformed, or an index beyond nplurals)."""
    try:
        plural_for(s, source_id, locale)
    except (UnknownLocale, PoError, ConfigError):
        raise
    except ValueError as exc:
        path = src.catalog_path(locale)
        content = path.read_bytes() if path.exists() else b""
        line = content.split(b"Plural-Forms", 1)[0].count(b"\n") + 1
        raise PoError(str(path), line, f"Plural-Forms: {exc}") from None


def sync_template(s: Session, project: Project, src: CatalogSource, report: SyncReport) -> Source:
    if not src.template.exists():
        raise FileNotFoundError(f"{src.name}: template not found")
    data = src.template.read_bytes()
    digest = template_hash(data)
    source = repo.get_or_create_source(s, project, src.name, "po")
    if source.content_hash == digest:
        report.unchanged_templates += 1
        return source
    report.add(reconcile(s, source, template_segments(parse_po(data, src.name))))
    source.content, source.content_hash = data, digest
    return source


def reconcile(s: Session, source: Source, segments: Sequence[Segment]) -> Reconciled:
    """Bring a source's stored segments (a template's entries, a document's blocks) in line
    with `segments`: insert new ones, give changed ones a new source version (their
    translations go stale), mark vanished ones obsolete, and link each new segment to its
    fuzzy predecessor among the vanished, whose translations are offered to it."""
    done = Reconciled()
    rows = {r.key_hash: r for r in segment_repo.segment_rows(s, source.id)}
    seen: set[str] = set()
    new: list[tuple[int, Segment]] = []
    for position, seg in enumerate(segments):
        if seg.key_hash in seen:
            continue  # one segment, one translation (a .po parser reports real duplicates)
        seen.add(seg.key_hash)
        row = rows.get(seg.key_hash)
        if row is None:
            new.append((position, seg))
            continue
        was_obsolete = row.obsolete
        if segment_repo.update_segment(s, row, seg, position) and not was_obsolete:
            done.changed += 1
            done.stale_versions += repo.mark_stale(s, row.id, row.source_hash)
    candidates = [r for k, r in rows.items() if k not in seen]
    for row in candidates:
        if not row.obsolete:
            segment_repo.mark_obsolete(s, row)
            done.obsolete += 1
    matches = [fuzzy_predecessor(seg, candidates) for _, seg in new]
    ids = segment_repo.insert_segments(
        s,
        source.id,
        [(seg, pos, m.id if m else None) for (pos, seg), m in zip(new, matches, strict=True)],
    )
    done.new += len(ids)
    for new_id, match in zip(ids, matches, strict=True):
        if match is not None:
            done.linked += 1
            offer_previous_translation(s, match, new_id)
    return done


def fuzzy_predecessor(seg: Segment, candidates: Sequence[SegmentRow]) -> SegmentRow | None:
    """The vanished segment `seg` most likely rewords, as msgmerge picks it: the same
    msgctxt and msgid with another plural-ness or msgid_plural (a singular that became
    plural), else the closest msgid with the same msgctxt and plural-ness at
    FUZZY_THRESHOLD or above (the first of equals)."""
    exact = [r for r in candidates if r.msgctxt == seg.msgctxt and r.msgid == seg.msgid]
    if exact:
        return exact[0]
    best, best_score = None, FUZZY_THRESHOLD * 100
    for row in candidates:
        if row.msgctxt != seg.msgctxt or (row.msgid_plural is None) != (seg.msgid_plural is None):
            continue
        score = fuzz.ratio(row.msgid, seg.msgid, score_cutoff=best_score)
        if score > best_score or (best is None and score >= best_score):
            best, best_score = row, score
    return best


def offer_previous_translation(s: Session, old: SegmentRow, new_id: int) -> None:
    """A reworded string's newest translation per locale, as a stale suggestion on the new
    segment (reviewers see it next to the new source; export uses it as msgmerge would)."""
    for locale in repo.locales_with_versions(s, old.id):
        current = repo.current_versions(s, [old.id], locale).get(old.id)
        if not current or not any(current[0].forms):
            continue
        best = current[0]
        repo.add_version(
            s,
            repo.NewVersion(
                segment_id=new_id,
                locale=locale,
                forms=tuple(best.forms),
                state=State.STALE,
                origin=best.origin,
                source_hash=old.source_hash,
                author=best.author,
                engine=best.engine,
                model=best.model,
                previous_msgid=old.msgid,
            ),
        )


def sync_catalog(
    s: Session, source: Source, src: CatalogSource, locale: str, report: SyncReport
) -> None:
    path = src.catalog_path(locale)
    if not path.exists():
        return
    data = path.read_bytes()
    digest = content_hash(data)
    stored = catalog_repo.catalog_file(s, source.id, locale)
    if stored is not None and stored.content_hash == digest:
        report.catalogs_unchanged += 1
        return
    catalog = parse_po(data, str(path))
    last_seen = _entry_states(parse_po(stored.content, stored.path)) if stored else {}
    _import_translations(s, source, catalog, locale, last_seen, str(path), report)
    catalog_repo.put_catalog_file(
        s, source.id, locale, src.relative_catalog_path(locale), data, digest
    )
    report.catalogs_read += 1


def _entry_states(catalog: PoCatalog) -> dict[tuple[str | None, str, str | None], tuple]:
    return {e.segment.key: (e.forms, e.fuzzy) for e in catalog.entries if not e.segment.obsolete}


def _import_translations(
    s: Session,
    source: Source,
    catalog: PoCatalog,
    locale: str,
    last_seen: dict,
    path: str,
    report: SyncReport,
) -> None:
    live = segment_repo.segment_rows(s, source.id, include_obsolete=False)
    rows = {r.key_hash: r for r in live}
    entries: list[tuple[PoEntry, SegmentRow]] = []
    for e in [*(e for e in catalog.entries if not e.segment.obsolete), *revived(catalog)]:
        if not any(e.forms):
            continue
        row = rows.get(e.segment.key_hash)
        if row is None or last_seen.get(e.segment.key) == (e.forms, e.fuzzy):
            continue
        entries.append((e, row))
    current = repo.current_versions(s, [r.id for _, r in entries], locale)
    author = f"file:{Path(path).name}"
    fuzzy_note = {
        "check": "fuzzy",
        "severity": "warning",
        "message": "marked fuzzy in the imported catalogue",
    }
    pending: list[repo.NewVersion] = []
    for entry, row in entries:
        newest = (current.get(row.id) or [None])[0]
        if newest is not None and tuple(newest.forms) == entry.forms:
            if (
                not entry.fuzzy
                and newest.state < State.APPROVED
                and newest.source_hash == row.source_hash
            ):
                repo.transition(s, newest, State.APPROVED, actor=author, action="approved-in-file")
                report.approved_by_file += 1
            continue
        pending.append(
            repo.NewVersion(
                segment_id=row.id,
                locale=locale,
                forms=entry.forms,
                state=State.NEEDS_REVIEW if entry.fuzzy else State.APPROVED,
                origin="human",
                source_hash=row.source_hash,
                author=author,
                previous_msgid=entry.segment.previous_msgid if entry.fuzzy else None,
                issues=(fuzzy_note,) if entry.fuzzy else (),
            )
        )
    report.imported += len(repo.add_versions(s, pending))
    translated = set(repo.current_versions(s, [r.id for r in live], locale))
    found = carry(catalog, live, translated, nplurals_of(catalog, locale))
    report.carried += len(
        repo.add_versions(s, carried_versions(found, {r.id: r for r in live}, locale, author))
    )
