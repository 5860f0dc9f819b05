"""Catalogue files as last read or written (export needs no checkout), and what the last
export was made from. Callers own transactions, as in db.repo."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, defer

from locflow.db.base import utcnow
from locflow.db.models import CatalogFile, Review, SegmentRow, Source, Translation
from locflow.db.repo import insert_unless_present
from locflow.db.states import State


def catalog_file(s: Session, source_id: int, locale: str) -> CatalogFile | None:
    return s.scalar(
        select(CatalogFile).where(CatalogFile.source_id == source_id, CatalogFile.locale == locale)
    )


def export_fingerprints(
    s: Session, project_id: int, locales: Iterable[str], *, source_id: int | None = None
) -> dict[tuple[int, str], str]:
    """{(source id, locale): a summary of everything an export of it reads from the
    database}: segments (count, newest id, last change), versions (count, newest id) and
    state changes (newest review id). Versions and reviews are append-only and every segment
    change stamps `updated_at`, so any change that could alter a catalogue changes its entry.
    Three grouped queries for the whole project (a no-op run asks for every catalogue), or
    for one source."""
    of_project: tuple[ColumnElement[bool], ...] = (Source.project_id == project_id,)
    if source_id is not None:
        of_project = (*of_project, SegmentRow.source_id == source_id)
    segs = (
        select(
            SegmentRow.source_id,
            func.count(SegmentRow.id),
            func.max(SegmentRow.id),
            func.max(SegmentRow.updated_at),
        )
        .join(Source, Source.id == SegmentRow.source_id)
        .where(*of_project)
        .group_by(SegmentRow.source_id)
    )
    by_source = {sid: f"{n}|{top}|{changed}" for sid, n, top, changed in s.execute(segs)}
    versions = (
        select(
            SegmentRow.source_id,
            Translation.locale,
            func.count(Translation.id),
            func.max(Translation.id),
        )
        .join(SegmentRow, SegmentRow.id == Translation.segment_id)
        .join(Source, Source.id == SegmentRow.source_id)
        .where(*of_project)
        .group_by(SegmentRow.source_id, Translation.locale)
    )
    reviews = (
        select(SegmentRow.source_id, Translation.locale, func.max(Review.id))
        .join(Translation, Translation.id == Review.translation_id)
        .join(SegmentRow, SegmentRow.id == Translation.segment_id)
        .join(Source, Source.id == SegmentRow.source_id)
        .where(*of_project)
        .group_by(SegmentRow.source_id, Translation.locale)
    )
    last_review = {(sid, loc): top for sid, loc, top in s.execute(reviews)}
    counted = {(sid, loc): f"{n}|{top}" for sid, loc, n, top in s.execute(versions)}
    return {
        (sid, loc): f"{seg}|{counted.get((sid, loc), '0|-')}|{last_review.get((sid, loc))}"
        for sid, seg in by_source.items()
        for loc in locales
    }


def put_catalog_file(
    s: Session, source_id: int, locale: str, path: str, content: bytes, content_hash: str
) -> bool:
    """Store a catalogue's bytes; returns False when they were already stored. A row another
    transaction creates at the same time is updated instead (no unique-key error)."""
    row = catalog_file(s, source_id, locale)
    if row is None:
        added = s.scalar(
            insert_unless_present(s, CatalogFile)
            .values(
                source_id=source_id,
                locale=locale,
                path=path,
                content=content,
                content_hash=content_hash,
            )
            .returning(CatalogFile.id)
        )
        if added is not None:
            return True
        row = catalog_file(s, source_id, locale)
        assert row is not None
    if row.content_hash == content_hash and row.path == path:
        return False
    row.path, row.content, row.content_hash, row.updated_at = path, content, content_hash, utcnow()
    return True


def catalogue_versions(
    s: Session, project_id: int, locales: Iterable[str]
) -> tuple[dict[str, list[SegmentRow]], dict[tuple[int, str], list[Translation]]]:
    """What `stats --catalogues` counts, in two queries: the live segments of each catalogue
    source ({source name: rows}, in template order), and the non-rejected versions of each
    (segment, locale), newest first (as repo.current_versions gives them to export)."""
    rows = s.execute(
        select(Source.name, SegmentRow)
        .join(Source, Source.id == SegmentRow.source_id)
        .where(
            Source.project_id == project_id,
            Source.kind == "po",
            SegmentRow.obsolete.is_(False),
        )
        .order_by(SegmentRow.source_id, SegmentRow.position)
    )
    segments: dict[str, list[SegmentRow]] = {}
    for name, row in rows:
        segments.setdefault(name, []).append(row)
    versions = s.scalars(
        select(Translation)
        .join(SegmentRow, SegmentRow.id == Translation.segment_id)
        .join(Source, Source.id == SegmentRow.source_id)
        .where(
            Source.project_id == project_id,
            Source.kind == "po",
            SegmentRow.obsolete.is_(False),
            Translation.locale.in_(list(locales)),
            Translation.state != int(State.REJECTED),
        )
        .order_by(Translation.segment_id, Translation.locale, Translation.n.desc())
        .options(defer(Translation.issues))
    )
    current: dict[tuple[int, str], list[Translation]] = {}
    for t in versions:
        current.setdefault((t.segment_id, t.locale), []).append(t)
    return segments, current
