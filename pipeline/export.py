"""Export (publish): approved versions -> .po/.mo files, changing only what changed.

The catalogue is rebuilt from the bytes stored at the last sync or export, so the database
alone is enough (no checkout needed) and unchanged entries keep their original lines. A
catalogue whose bytes would not change is not rewritten; its header (PO-Revision-Date,
Last-Translator, Language-Team, X-Generator: see export_header) moves only with a real
change. A file edited on disk since the last sync is never overwritten.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from locflow.connectors.po import StagedWrites, write_mo
from locflow.connectors.po_edit import (
    with_header_fields,
)
from locflow.connectors.po_model import PoCatalog
from locflow.connectors.po_parse import parse_po
from locflow.db import catalog_repo, repo, segment_repo
from locflow.db.models import CatalogFile, SegmentRow, Source, Translation
from locflow.pipeline.export_check import (
    Why,
    database_changes,
    drift_error,
    edited_on_disk,
    template_drift,
)
from locflow.pipeline.export_choose import wanted_versions
from locflow.pipeline.export_header import header_updates, last_person
from locflow.pipeline.export_merge import (
    Wanted,
    as_utf8,
    build_catalog,
    fit_charset,
    fit_msgfmt,
    new_base,
    render_fitted,
    template_unfit,
)
from locflow.pipeline.export_rst import with_source_breaks
from locflow.pipeline.plural_rules import plural_rule
from locflow.settings import CatalogSource, Config

Key = tuple[str | None, str, str | None]


NO_DRIFT = Why()


class ExportConflict(RuntimeError):
    """The file on disk changed since locflow last read or wrote it."""


@dataclass(frozen=True)
class FileResult:
    path: str
    locale: str
    changed: bool
    written: bool
    translated: int
    fuzzy: int
    total: int
    reasons: tuple[str, ...] = ()
    """Why it would change (or changed): see pipeline.export_check."""
    entries: tuple[str, ...] = ()
    """The entries concerned, one line each."""
    demoted: tuple[str, ...] = ()
    """Entries locflow meant to change but could not write as they are (see fit_charset
    and fit_msgfmt): each kept its previous text, was left out or was written fuzzy, with
    the reason."""
    flagged: tuple[str, ...] = ()
    """Entries msgfmt -c would reject whose text locflow did not write (imported human
    text): reported, never rewritten (see fit_msgfmt)."""
    notes: tuple[str, ...] = ()
    """What this export did to the file as a whole, told once: a legacy catalogue converted
    to UTF-8 because its charset cannot hold the template's text (no entry left undone)."""


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
    writes: StagedWrites | None = None,
    drift: Why = NO_DRIFT,
) -> FileResult:
    """Export one catalogue. `fingerprint`: its db.catalog_repo.export_fingerprints entry,
    if the caller has it. `writes`: where its files are staged (the caller renames them all
    at once); without it they are written before this returns. `drift`: the template's
    drift, reported as a reason by a dry run (a real export refuses drift before this)."""
    path = src.catalog_path(locale)
    rel = src.relative_catalog_path(locale)
    stored = catalog_repo.catalog_file(s, source.id, locale)
    edited = _edited_on_disk(path, rel, locale, stored, drift, dry_run=dry_run)
    if edited is not None:
        return edited
    # taken before reading versions: a change made while we export shows in the next key
    if fingerprint is None:
        found = catalog_repo.export_fingerprints(
            s, source.project_id, [locale], source_id=source.id
        )
        fingerprint = found.get((source.id, locale), "")
    key = _export_key(fingerprint, rel, config)
    if stored is not None and _exported_as_is(stored, key, path, config):
        translated, fuzzy, total, *told = stored.export_counts
        demoted, flagged = (tuple(x) for x in (told or [[], []]))
        return FileResult(
            rel, locale, bool(drift.reasons), False, translated, fuzzy, total, *_why(drift),
            demoted, flagged,
        )  # fmt: skip
    rows = segment_repo.segment_rows(s, source.id, include_obsolete=False)
    wanted, chosen = wanted_versions(s, rows, locale, config.export.machine)
    wanted = with_source_breaks(wanted, rows, src.template.parent, config.root)
    utf8 = config.export.charset == "utf-8"
    omit = config.export.machine == "omit"
    out = _render(s, source, locale, rel, stored, rows, wanted, chosen, now, utf8=utf8, omit=omit)
    changed = out.changed
    why = drift + (
        database_changes(_stored_catalog(stored, rel), out.catalog) if changed else Why()
    )
    written = False
    if not dry_run:
        staged = StagedWrites() if writes is None else writes
        written = _stage(staged, path, out.data, out.catalog, changed, config.export.mo)
        told = [list(out.demoted), list(out.flagged)]
        _record(s, source, locale, rel, out.data, key, [*_counts(out.wanted, len(rows)), *told])
        if writes is None:
            staged.commit()
    return FileResult(
        rel, locale, changed or bool(drift.reasons), written, *_counts(out.wanted, len(rows)),
        *_why(why), out.demoted, out.flagged, out.notes,
    )  # fmt: skip


def _edited_on_disk(
    path: Path, rel: str, locale: str, stored: CatalogFile | None, drift: Why, *, dry_run: bool
) -> FileResult | None:
    """A catalogue changed on disk since locflow last read or wrote it is never overwritten:
    ExportConflict, or what a dry run reports of it; None when the file is as stored."""
    if not path.exists():
        return None
    on_disk = path.read_bytes()
    if stored is not None and hashlib.sha256(on_disk).hexdigest() == stored.content_hash:
        return None
    if not dry_run:
        raise ExportConflict(
            f"{rel}: changed on disk since the last sync; run `locflow sync` first"
        )
    why = drift + edited_on_disk(stored.content if stored else None, on_disk, rel)
    return FileResult(rel, locale, True, False, 0, 0, 0, why.reasons, why.entries)


def _counts(wanted: dict[int, Wanted | None], total: int) -> tuple[int, int, int]:
    """Translated, fuzzy and all entries of an export."""
    translated = sum(1 for w in wanted.values() if w is not None and not w.fuzzy)
    fuzzy = sum(1 for w in wanted.values() if w is not None and w.fuzzy)
    return translated, fuzzy, total


def _why(why: Why) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return why.reasons, why.entries


def _stored_catalog(stored: CatalogFile | None, rel: str) -> PoCatalog | None:
    return parse_po(stored.content, rel) if stored is not None else None


def _stage(
    writes: StagedWrites, path: Path, data: bytes, catalog: PoCatalog, changed: bool, mo: bool
) -> bool:
    """Stage the catalogue (when it changed or is missing) and its .mo; whether the .po is
    among the files to write."""
    written = False
    if changed or not path.exists():
        written = writes.add(path, data)
    if mo:
        writes.add(path.with_suffix(".mo"), write_mo(catalog))
    return written


def _record(
    s: Session,
    source: Source,
    locale: str,
    rel: str,
    data: bytes,
    key: str,
    counts: list[Any],
) -> None:
    """What this export wrote, in the caller's transaction: its bytes, key and counts (with
    the entries it demoted or flagged, told again while nothing changes)."""
    catalog_repo.put_catalog_file(s, source.id, locale, rel, data, hashlib.sha256(data).hexdigest())
    row = catalog_repo.catalog_file(s, source.id, locale)
    if row is not None and row.content == data:
        row.export_key = _with_content(key, row.content_hash)
        row.export_counts = counts


def _exported_as_is(stored: CatalogFile, key: str, path: Path, config: Config) -> bool:
    """Nothing an export reads changed since the last one, and its files are still there."""
    return bool(
        stored.export_key == _with_content(key, stored.content_hash)
        and stored.export_counts
        and path.exists()
        and (not config.export.mo or path.with_suffix(".mo").exists())
    )


@dataclass(frozen=True)
class Rendered:
    catalog: PoCatalog
    data: bytes
    changed: bool
    wanted: dict[int, Wanted | None]
    """What went in, after the per-entry decisions (see fit_charset, fit_msgfmt)."""
    demoted: tuple[str, ...]
    flagged: tuple[str, ...]
    notes: tuple[str, ...]


def _render(
    s: Session,
    source: Source,
    locale: str,
    rel: str,
    stored: CatalogFile | None,
    rows: Sequence[SegmentRow],
    wanted: dict[int, Wanted | None],
    chosen: dict[int, Translation],
    now: datetime,
    *,
    utf8: bool = False,
    omit: bool = False,
) -> Rendered:
    """The catalogue rebuilt on its stored bytes (or a new one), its bytes, and whether they
    changed; the header is kept up only with a change (see export_header). `utf8`: convert a
    legacy catalogue to UTF-8 ([export] charset = "utf-8"); it is also converted when its
    charset cannot hold the template's own text, as msgmerge does (reported)."""
    plurals = any(r.msgid_plural is not None for r in rows)
    if stored is not None:
        base = parse_po(stored.content, rel)
        plural = plural_rule(locale, base.plural_forms(), plurals=plurals, source=source.name)
    else:
        plural = plural_rule(locale, None, plurals=plurals, source=source.name)
        base = new_base(source, locale, plural, rel)
    base, converted = _in_charset(base, rows, wanted, utf8)
    wanted, unfit = fit_charset(base, rows, wanted)
    checked = fit_msgfmt(base, rows, wanted, plural, omit=omit)
    wanted = checked.wanted
    catalog, data, forced = render_fitted(build_catalog(base, rows, wanted, plural))
    changed = stored is None or data != stored.content
    if changed:
        moved = _changed_rows(base, catalog, rows)
        versions = [chosen[r.id] for r in moved if r.id in chosen]
        updates = header_updates(catalog, locale, now, last_person(s, versions), texts=bool(moved))
        if plurals and not catalog.plural_forms():
            updates["Plural-Forms"] = plural.header  # msgfmt needs it once plurals are there
        if plural.assumed and stored is None:
            updates["Plural-Forms"] = None  # no rule known: none made up (gettext's default)
        catalog = with_header_fields(catalog, updates, fuzzy=False if stored is None else None)
        catalog, data, late = render_fitted(catalog)
        forced = forced or late
    demoted = unfit + checked.demoted
    return Rendered(catalog, data, changed, wanted, demoted, checked.flagged, converted + forced)


def _in_charset(
    base: PoCatalog, rows: Sequence[SegmentRow], wanted: dict[int, Wanted | None], utf8: bool
) -> tuple[PoCatalog, tuple[str, ...]]:
    """The catalogue in the charset it is written in: UTF-8 when asked, or when its charset
    cannot hold the template's own text (with a note); else its own."""
    if utf8:
        return as_utf8(base), ()
    unfit = template_unfit(base, rows, wanted)
    if unfit is None:
        return base, ()
    note = (
        f"catalogue converted from {base._charset} to UTF-8, as msgmerge does: {unfit}, "
        f"which {base._charset} cannot hold"
    )
    return as_utf8(base), (note,)


def _changed_rows(
    base: PoCatalog, catalog: PoCatalog, rows: Sequence[SegmentRow]
) -> list[SegmentRow]:
    """The rows whose translation or its fuzzy state the export changes."""
    before = {e.segment.key: e for e in base.entries if not e.segment.obsolete}
    after = {e.segment.key: e for e in catalog.entries if not e.segment.obsolete}
    out = []
    for row in rows:
        key = (row.msgctxt, row.msgid, row.msgid_plural)
        new, old = after.get(key), before.get(key)
        if new is None or (not any(new.forms) and (old is None or not any(old.forms))):
            continue  # no translation before or after: a new empty entry is no text change
        if old is None or (old.forms, old.fuzzy) != (new.forms, new.fuzzy):
            out.append(row)
    return out


EXPORT_FORMAT = "3"
"""Bump when export output changes for the same inputs: every catalogue is rebuilt once."""


def _export_key(fingerprint: str, rel: str, config: Config) -> str:
    policy = f"{EXPORT_FORMAT}|{rel}|{config.export.machine}|{config.export.mo}"
    if config.export.charset != "keep":  # "keep" adds nothing: keys made before it stand
        policy += f"|charset={config.export.charset}"
    return f"{policy}|{fingerprint}"


def _with_content(key: str, content_hash: str) -> str:
    return hashlib.sha256(f"{key}|{content_hash}".encode()).hexdigest()


def export_project(
    s: Session,
    config: Config,
    *,
    locales: Sequence[str] | None = None,
    now: datetime,
    dry_run: bool = False,
    writes: StagedWrites | None = None,
) -> list[FileResult]:
    """Export every catalogue of `locales`, all or nothing: the files are staged, then
    renamed together at the end (into `writes`, whose caller may undo them if its commit
    fails). A template that drifted since the last sync is refused (TemplateDrift) before
    anything is written; a dry run reports it for each of its catalogues."""
    project = repo.find_project(s, config.project)
    if project is None:
        return []
    by_name = {src.name: src for src in config.catalog_sources()}
    sources = [
        (source, by_name[source.name])
        for source in repo.sources_of(s, project)
        if source.name in by_name and source.kind == "po"
    ]
    drift = {source.id: template_drift(source, src, config.root) for source, src in sources}
    for source, src in sources:
        if drift[source.id].reasons and not dry_run:
            raise drift_error(source, src, config.root)
    chosen = list(locales or config.locales)
    fingerprints = catalog_repo.export_fingerprints(s, project.id, chosen)
    staged = StagedWrites() if writes is None else writes
    results = []
    try:
        for source, src in sources:
            for locale in chosen:
                fp = fingerprints.get((source.id, locale), "")
                results.append(
                    export_catalog(
                        s, source, src, locale, config, now=now, dry_run=dry_run,
                        fingerprint=fp, writes=staged, drift=drift[source.id],
                    )
                )  # fmt: skip
        staged.commit()
    except BaseException:
        staged.rollback()
        raise
    return results
