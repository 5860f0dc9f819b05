"""Export (publish): approved versions -> .po/.mo files, changing only what changed.

The catalogue is rebuilt from the bytes stored at the last sync or export, so the database
alone is enough (no checkout needed) and unchanged entries keep their original lines. A
catalogue whose bytes would not change is not rewritten; PO-Revision-Date moves only with a
real change. A file edited on disk since the last sync is never overwritten.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from locflow.catalog.plurals import PluralInfo, plural_info
from locflow.catalog.segment import Segment
from locflow.connectors.po import render_po, write_mo, write_po_atomic
from locflow.connectors.po_edit import (
    as_obsolete,
    new_catalog,
    new_entry,
    with_entries,
    with_header_fields,
    with_translation,
)
from locflow.connectors.po_model import PoCatalog, PoEntry
from locflow.connectors.po_parse import parse_po
from locflow.db import catalog_repo, repo, segment_repo
from locflow.db.models import CatalogFile, SegmentRow, Source, Translation
from locflow.db.states import State
from locflow.settings import CatalogSource, Config

Key = tuple[str | None, str, str | None]


class ExportConflict(RuntimeError):
    """The file on disk changed since locflow last read or wrote it."""


@dataclass(frozen=True)
class Wanted:
    forms: tuple[str, ...]
    fuzzy: bool
    previous_msgid: str | None = None


@dataclass(frozen=True)
class FileResult:
    path: str
    locale: str
    changed: bool
    written: bool
    translated: int
    fuzzy: int
    total: int


def choose(
    versions: Sequence[Translation], row: SegmentRow, approved_ids: set[int], machine: str
) -> Wanted | None:
    """Which version (if any) goes into the catalogue, and whether it is fuzzy.

    Approved for the current source > a stale approved/human text (fuzzy with the previous
    msgid when the msgid was reworded; as-is when only notes changed, as msgmerge keeps it)
    > unreviewed human text (fuzzy) > machine output by policy (fuzzy or omitted).
    """
    usable = [v for v in versions if any(v.forms)]
    for v in usable:
        if v.state == State.APPROVED and v.source_hash == row.source_hash:
            return Wanted(tuple(v.forms), False)
    for v in usable:  # approved, then flagged (a glossary change): stays live until reviewed
        if (
            v.state == State.NEEDS_REVIEW
            and v.id in approved_ids
            and v.source_hash == row.source_hash
        ):
            return Wanted(tuple(v.forms), False)
    for v in usable:
        if v.state == State.STALE and (v.origin == "human" or v.id in approved_ids):
            if v.previous_msgid is None or v.previous_msgid == row.msgid:
                return Wanted(tuple(v.forms), False)
            return Wanted(tuple(v.forms), True, v.previous_msgid)
    for v in usable:
        if v.source_hash != row.source_hash:
            continue
        if v.origin == "human":
            return Wanted(tuple(v.forms), True, v.previous_msgid)
        if machine == "fuzzy":
            return Wanted(tuple(v.forms), True)
        return None
    return None


def _same_source_notes(entry: Segment, seg: Segment) -> bool:
    return (
        entry.msgid_plural == seg.msgid_plural
        and entry.extracted_comments == seg.extracted_comments
        and entry.occurrences == seg.occurrences
        and sorted(f for f in entry.flags if f != "fuzzy") == sorted(seg.flags)
    )


def _entry_for(entry: PoEntry | None, seg: Segment, want: Wanted | None, nforms: int) -> PoEntry:
    forms = want.forms if want else ("",) * nforms
    fuzzy = want.fuzzy if want else False
    previous = (
        Segment(msgid=want.previous_msgid, msgctxt=seg.msgctxt)
        if (want and want.fuzzy and want.previous_msgid and want.previous_msgid != seg.msgid)
        else None
    )
    if entry is None or not _same_source_notes(entry.segment, seg):
        keep = entry.segment.translator_comments if entry is not None else ""
        merged = Segment(
            msgid=seg.msgid,
            msgctxt=seg.msgctxt,
            msgid_plural=seg.msgid_plural,
            flags=seg.flags,
            extracted_comments=seg.extracted_comments,
            translator_comments=keep,
            occurrences=seg.occurrences,
        )
        return new_entry(merged, forms, fuzzy=fuzzy, previous=previous)
    if want is None and not any(entry.forms):
        return entry  # nothing to say: keep an untranslated entry exactly as it is
    if entry.forms == forms and entry.fuzzy == fuzzy:
        return entry
    return with_translation(entry, forms, fuzzy=fuzzy, previous=previous)


def build_catalog(
    base: PoCatalog,
    rows: Sequence[SegmentRow],
    wanted: dict[int, Wanted | None],
    plural: PluralInfo,
) -> PoCatalog:
    """Merge the live segments into `base`: keep its order, insert new entries after their
    template predecessor, move entries no longer in the template to the end as obsolete."""
    live: dict[Key, SegmentRow] = {(r.msgctxt, r.msgid, r.msgid_plural): r for r in rows}
    out: list[PoEntry] = []
    obsolete: list[PoEntry] = []
    present: set[Key] = set()
    for entry in base.entries:
        key = entry.segment.key
        row = live.get(key)
        if entry.segment.obsolete:
            if row is None:
                obsolete.append(entry)
            continue
        if row is None:
            obsolete.append(as_obsolete(entry))
            continue
        if key in present:
            continue
        present.add(key)
        seg = segment_repo.row_to_segment(row)
        nforms = plural.nplurals if seg.is_plural else 1
        out.append(_entry_for(entry, seg, wanted.get(row.id), nforms))
    followers: dict[Key | None, list[PoEntry]] = {}
    previous: Key | None = None
    for row in rows:
        key = (row.msgctxt, row.msgid, row.msgid_plural)
        if key not in present:
            present.add(key)
            seg = segment_repo.row_to_segment(row)
            nforms = plural.nplurals if seg.is_plural else 1
            followers.setdefault(previous, []).append(
                _entry_for(None, seg, wanted.get(row.id), nforms)
            )
        previous = key
    merged: list[PoEntry] = []

    def emit_after(key: Key | None) -> None:
        for e in followers.pop(key, []):
            merged.append(e)
            emit_after(e.segment.key)

    emit_after(None)
    for entry in out:
        merged.append(entry)
        emit_after(entry.segment.key)
    for rest in list(followers.values()):
        merged.extend(rest)
    return with_entries(base, merged + obsolete)


def _new_base(source: Source, locale: str, plural: PluralInfo, name: str) -> PoCatalog:
    template = parse_po(source.content or b"", source.name)
    fields = dict(template.header_fields()) if template.header else {}
    fields.update(
        {
            "Language": locale,
            "Content-Type": "text/plain; charset=UTF-8",
            "Content-Transfer-Encoding": "8bit",
            "Plural-Forms": plural.header,
        }
    )
    fields.setdefault("MIME-Version", "1.0")
    for key, default in (("Last-Translator", "FULL NAME"), ("Language-Team", "LANGUAGE")):
        if fields.get(key, "").startswith(default):
            fields[key] = "locflow"
    comment = template.header.segment.translator_comments if template.header else ""
    return new_catalog(name, tuple(fields.items()), comment, template.width)


def export_catalog(
    s: Session,
    source: Source,
    src: CatalogSource,
    locale: str,
    config: Config,
    *,
    now: datetime,
    dry_run: bool = False,
    fingerprint: str | None = None,
) -> FileResult:
    """`fingerprint`: its db.catalog_repo.export_fingerprints entry, if the caller has it."""
    path = src.catalog_path(locale)
    rel = src.relative_catalog_path(locale)
    stored = catalog_repo.catalog_file(s, source.id, locale)
    if path.exists():
        on_disk = hashlib.sha256(path.read_bytes()).hexdigest()
        if stored is None or on_disk != stored.content_hash:
            raise ExportConflict(
                f"{rel}: changed on disk since the last sync; run `locflow sync` first"
            )
    # taken before reading versions: a change made while we export shows in the next key
    if fingerprint is None:
        found = catalog_repo.export_fingerprints(
            s, source.project_id, [locale], source_id=source.id
        )
        fingerprint = found.get((source.id, locale), "")
    key = _export_key(fingerprint, rel, config)
    if stored is not None and _exported_as_is(stored, key, path, config):
        translated, fuzzy, total = stored.export_counts
        return FileResult(rel, locale, False, False, translated, fuzzy, total)
    rows = segment_repo.segment_rows(s, source.id, include_obsolete=False)
    wanted = _wanted(s, rows, locale, config.export.machine)
    catalog, data, changed = _render(source, locale, rel, stored, rows, wanted, now)
    written = False
    if not dry_run and (changed or not path.exists()):
        path.parent.mkdir(parents=True, exist_ok=True)
        written = write_po_atomic(path, data)
        catalog_repo.put_catalog_file(
            s, source.id, locale, rel, data, hashlib.sha256(data).hexdigest()
        )
    if not dry_run and config.export.mo:
        _write_mo(path.with_suffix(".mo"), catalog)
    translated = sum(1 for w in wanted.values() if w is not None and not w.fuzzy)
    fuzzy = sum(1 for w in wanted.values() if w is not None and w.fuzzy)
    if not dry_run:
        row = catalog_repo.catalog_file(s, source.id, locale)
        if row is not None and row.content == data:
            row.export_key = _with_content(key, row.content_hash)
            row.export_counts = [translated, fuzzy, len(rows)]
    return FileResult(rel, locale, changed, written, translated, fuzzy, len(rows))


def _exported_as_is(stored: CatalogFile, key: str, path: Path, config: Config) -> bool:
    """Nothing an export reads changed since the last one, and its files are still there."""
    return bool(
        stored.export_key == _with_content(key, stored.content_hash)
        and stored.export_counts
        and path.exists()
        and (not config.export.mo or path.with_suffix(".mo").exists())
    )


def _wanted(
    s: Session, rows: Sequence[SegmentRow], locale: str, machine: str
) -> dict[int, Wanted | None]:
    """What goes into the catalogue for each live segment (see `choose`)."""
    current = repo.current_versions(s, [r.id for r in rows], locale)
    approved = repo.ever_approved(
        s,
        [
            v.id
            for vs in current.values()
            for v in vs
            if v.state in (State.STALE, State.NEEDS_REVIEW)
        ],
    )
    return {r.id: choose(current.get(r.id, ()), r, approved, machine) for r in rows}


def _render(
    source: Source,
    locale: str,
    rel: str,
    stored: CatalogFile | None,
    rows: Sequence[SegmentRow],
    wanted: dict[int, Wanted | None],
    now: datetime,
) -> tuple[PoCatalog, bytes, bool]:
    """The catalogue rebuilt on its stored bytes (or a new one), its bytes, and whether they
    changed; the header's revision date moves only with a change."""
    if stored is not None:
        base = parse_po(stored.content, rel)
        plural = plural_info(locale, base.plural_forms())
    else:
        plural = plural_info(locale)
        base = _new_base(source, locale, plural, rel)
    catalog = build_catalog(base, rows, wanted, plural)
    data = render_po(catalog)
    changed = stored is None or data != stored.content
    if changed:
        updates = {"PO-Revision-Date": now.strftime("%Y-%m-%d %H:%M%z")}
        if any(r.msgid_plural is not None for r in rows) and not catalog.plural_forms():
            updates["Plural-Forms"] = plural.header  # msgfmt needs it once plurals are there
        catalog = with_header_fields(catalog, updates, fuzzy=False if stored is None else None)
        data = render_po(catalog)
    return catalog, data, changed


EXPORT_FORMAT = "1"
"""Bump when export output changes for the same inputs: every catalogue is rebuilt once."""


def _export_key(fingerprint: str, rel: str, config: Config) -> str:
    policy = f"{EXPORT_FORMAT}|{rel}|{config.export.machine}|{config.export.mo}"
    return f"{policy}|{fingerprint}"


def _with_content(key: str, content_hash: str) -> str:
    return hashlib.sha256(f"{key}|{content_hash}".encode()).hexdigest()


def _write_mo(path: Path, catalog: PoCatalog) -> bool:
    data = write_mo(catalog)
    if path.exists() and path.read_bytes() == data:
        return False
    return write_po_atomic(path, data)


def export_project(
    s: Session,
    config: Config,
    *,
    locales: Sequence[str] | None = None,
    now: datetime,
    dry_run: bool = False,
) -> list[FileResult]:
    project = repo.find_project(s, config.project)
    if project is None:
        return []
    by_name = {src.name: src for src in config.catalog_sources()}
    chosen = list(locales or config.locales)
    fingerprints = catalog_repo.export_fingerprints(s, project.id, chosen)
    results = []
    for source in repo.sources_of(s, project):
        src = by_name.get(source.name)
        if src is None or source.kind != "po":
            continue
        for locale in chosen:
            fp = fingerprints.get((source.id, locale), "")
            results.append(
                export_catalog(
                    s, source, src, locale, config, now=now, dry_run=dry_run, fingerprint=fp
                )
            )
    return results
