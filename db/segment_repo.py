"""Segments (source strings) and their source versions. Callers own transactions, as in
db.repo."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from locflow.catalog.segment import Segment
from locflow.db.base import utcnow
from locflow.db.models import SegmentRow, SourceVersion


def segment_rows(s: Session, source_id: int, *, include_obsolete: bool = True) -> list[SegmentRow]:
    q = select(SegmentRow).where(SegmentRow.source_id == source_id)
    if not include_obsolete:
        q = q.where(SegmentRow.obsolete.is_(False))
    return list(s.scalars(q.order_by(SegmentRow.position, SegmentRow.id)))


def row_to_segment(row: SegmentRow) -> Segment:
    return Segment(
        msgid=row.msgid,
        msgctxt=row.msgctxt,
        msgid_plural=row.msgid_plural,
        flags=tuple(row.flags),
        extracted_comments=row.extracted_comments,
        translator_comments=row.translator_comments,
        occurrences=tuple((a, b) for a, b in row.occurrences),
        obsolete=row.obsolete,
    )


def _segment_values(seg: Segment) -> dict[str, Any]:
    return {
        "flags": [f for f in seg.flags if f != "fuzzy"],
        "extracted_comments": seg.extracted_comments,
        "translator_comments": seg.translator_comments,
        "occurrences": [list(o) for o in seg.occurrences],
        "source_hash": seg.source_hash,
    }


def insert_segments(
    s: Session, source_id: int, items: Sequence[tuple[Segment, int, int | None]]
) -> list[int]:
    """Insert new segments (segment, position, predecessor id) with their first source
    version, in bulk; returns their ids in order."""
    if not items:
        return []
    now = utcnow()
    values = [
        {
            "source_id": source_id,
            "key_hash": seg.key_hash,
            "msgctxt": seg.msgctxt,
            "msgid": seg.msgid,
            "msgid_plural": seg.msgid_plural,
            "position": position,
            "obsolete": False,
            "previous_segment_id": previous,
            "created_at": now,
            "updated_at": now,
            **_segment_values(seg),
        }
        for seg, position, previous in items
    ]
    ids = list(
        s.scalars(insert(SegmentRow).returning(SegmentRow.id, sort_by_parameter_order=True), values)
    )
    s.execute(
        insert(SourceVersion),
        [
            {
                "segment_id": i,
                "n": 1,
                "source_hash": v["source_hash"],
                "extracted_comments": v["extracted_comments"],
                "flags": v["flags"],
                "created_at": now,
            }
            for i, v in zip(ids, values, strict=True)
        ],
    )
    return ids


def insert_segment(
    s: Session, source_id: int, seg: Segment, position: int, previous_id: int | None = None
) -> SegmentRow:
    (new_id,) = insert_segments(s, source_id, [(seg, position, previous_id)])
    row = s.get(SegmentRow, new_id)
    assert row is not None
    return row


def update_segment(s: Session, row: SegmentRow, seg: Segment, position: int) -> bool:
    """Refresh notes/position; returns True when the source hash changed (a new source version)."""
    values = _segment_values(seg)
    changed_hash = values["source_hash"] != row.source_hash
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
    if row.position != position:
        row.position = position
    if row.obsolete:
        row.obsolete = False
    if s.is_modified(row):
        row.updated_at = utcnow()
    if changed_hash:
        s.flush()
        _add_source_version(s, row)
    return changed_hash


def _add_source_version(s: Session, row: SegmentRow) -> None:
    n = s.scalar(
        select(func.coalesce(func.max(SourceVersion.n), 0)).where(
            SourceVersion.segment_id == row.id
        )
    )
    s.execute(
        insert(SourceVersion).values(
            segment_id=row.id,
            n=(n or 0) + 1,
            source_hash=row.source_hash,
            extracted_comments=row.extracted_comments,
            flags=list(row.flags),
            created_at=utcnow(),
        )
    )


def mark_obsolete(s: Session, row: SegmentRow) -> None:
    if not row.obsolete:
        row.obsolete = True
        row.updated_at = utcnow()
