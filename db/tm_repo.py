"""What the review screens' memory panels read: approved translations of a project's
strings in one locale (all of them, or only those that changed since a watermark), and the
current versions of one string in the other locales.

The change feed is what keeps the suggestion cache (`review.suggest`) correct without a
rebuild: a version enters or leaves the approved memory only by being inserted approved
(a new, higher id) or by a state change, and every state change is a `reviews` row
(`repo.transition`). Session first, never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from locflow.db.models import Review, SegmentRow, Source, Translation
from locflow.db.states import State

Key = tuple[str | None, str, str | None]


@dataclass(frozen=True)
class MemoryRow:
    """One version of a string in a locale, as the memory sees it."""

    version_id: int
    key: Key
    forms: tuple[str, ...]
    approved: bool


@dataclass(frozen=True)
class Watermark:
    """The newest version and review ids a memory has seen."""

    version: int = 0
    review: int = 0


def watermark(s: Session) -> Watermark:
    """The database's newest version and review ids (both by primary key: cheap)."""
    v, r = s.execute(
        select(
            select(func.max(Translation.id)).scalar_subquery(),
            select(func.max(Review.id)).scalar_subquery(),
        )
    ).one()
    return Watermark(v or 0, r or 0)


def _memory_select(
    project_id: int, locale: str
) -> Select[tuple[int, str | None, str, str | None, list[str], int]]:
    return (
        select(
            Translation.id,
            SegmentRow.msgctxt,
            SegmentRow.msgid,
            SegmentRow.msgid_plural,
            Translation.forms,
            Translation.state,
        )
        .join(SegmentRow, SegmentRow.id == Translation.segment_id)
        .join(Source, Source.id == SegmentRow.source_id)
        .where(Source.project_id == project_id, Translation.locale == locale)
    )


def _rows(
    s: Session, q: Select[tuple[int, str | None, str, str | None, list[str], int]]
) -> list[MemoryRow]:
    return [
        MemoryRow(vid, (ctx, msgid, plural), tuple(forms), state == int(State.APPROVED))
        for vid, ctx, msgid, plural, forms, state in s.execute(q)
    ]


def approved(s: Session, project_id: int, locale: str) -> list[MemoryRow]:
    """Every approved version of the project's strings in `locale`, oldest first (so the
    newest of one key wins when they are put in a dict, as `repo.approved_memory` does)."""
    q = _memory_select(project_id, locale).where(Translation.state == int(State.APPROVED))
    return _rows(s, q.order_by(Translation.id))


def changed(
    s: Session, project_id: int, locale: str, since: Watermark, upto: Watermark
) -> list[MemoryRow]:
    """Versions of `locale` inserted, or whose state changed, in (since, upto]: each with
    whether it is approved now."""
    moved = select(Review.translation_id).where(Review.id > since.review, Review.id <= upto.review)
    q = _memory_select(project_id, locale).where(
        or_(
            Translation.id.in_(moved),
            (Translation.id > since.version) & (Translation.id <= upto.version),
        )
    )
    return _rows(s, q.order_by(Translation.id))


def newest_approved(s: Session, project_id: int, locale: str, key: Key) -> MemoryRow | None:
    """The newest approved version of one (msgctxt, msgid, msgid_plural) in `locale`."""
    ctx, msgid, plural = key
    q = _memory_select(project_id, locale).where(
        Translation.state == int(State.APPROVED),
        SegmentRow.msgid == msgid,
        SegmentRow.msgctxt.is_(None) if ctx is None else SegmentRow.msgctxt == ctx,
        SegmentRow.msgid_plural.is_(None) if plural is None else SegmentRow.msgid_plural == plural,
    )
    rows = _rows(s, q.order_by(Translation.id.desc()).limit(1))
    return rows[0] if rows else None


@dataclass(frozen=True)
class OtherLocale:
    """The current version of a string in another locale."""

    locale: str
    version_id: int
    state: State
    forms: tuple[str, ...]


def other_locales(
    s: Session, segment_id: int, locale: str, locales: Sequence[str]
) -> list[OtherLocale]:
    """The current (newest non-rejected) version of `segment_id` in each of `locales` but
    `locale`, in the order of `locales`."""
    wanted = [x for x in locales if x != locale]
    if not wanted:
        return []
    q = (
        select(Translation.locale, Translation.id, Translation.state, Translation.forms)
        .where(
            Translation.segment_id == segment_id,
            Translation.locale.in_(wanted),
            Translation.state != int(State.REJECTED),
        )
        .order_by(Translation.locale, Translation.n.desc())
    )
    current: dict[str, OtherLocale] = {}
    for loc, vid, state, forms in s.execute(q):
        current.setdefault(loc, OtherLocale(loc, vid, State(state), tuple(forms)))
    return [current[x] for x in wanted if x in current]
