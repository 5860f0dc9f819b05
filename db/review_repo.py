"""Review queries: the review queue, what a string had before its source changed, and one
string's versions, reviews and comments. Users and UI sessions are in `user_repo`.

Session first, never commits (callers own transactions). State changes still go through
`repo.transition()`; `record_review` only notes an action that changes no state (an edit kept
for review, a revert).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Text, and_, cast, exists, func, insert, or_, select
from sqlalchemy.orm import Session, aliased

from locflow.catalog.segment import Segment
from locflow.db.base import utcnow
from locflow.db.models import Comment, Review, SegmentRow, Source, Translation
from locflow.db.repo import ever_approved
from locflow.db.states import State

PENDING: tuple[State, ...] = (State.NEEDS_REVIEW, State.STALE, State.MACHINE)
"""What still waits for a reviewer."""


# --- the review queue -------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilter:
    """Which current versions of one locale a queue shows."""

    locale: str
    states: tuple[State, ...] = PENDING
    """Empty: every state but rejected."""
    issue: str | None = None
    """A check id (`placeholders`, `glossary`…), or "any" for every version with issues."""
    source: str | None = None
    """A source's name (the template path), exactly."""
    search: str | None = None
    """Text in the source (msgid, msgid_plural, msgctxt) or in the translation."""


@dataclass(frozen=True)
class QueueRow:
    """The current version of one (segment, locale), with its source."""

    version_id: int
    segment_id: int
    locale: str
    n: int
    state: State
    origin: str
    author: str
    engine: str
    model: str
    forms: tuple[str, ...]
    issues: tuple[dict[str, Any], ...]
    created_at: datetime
    source_hash: str
    previous_msgid: str | None
    source_id: int
    source_name: str
    msgctxt: str | None
    msgid: str
    msgid_plural: str | None
    flags: tuple[str, ...]
    extracted_comments: str
    segment_source_hash: str
    position: int

    @property
    def segment(self) -> Segment:
        return Segment(
            msgid=self.msgid,
            msgctxt=self.msgctxt,
            msgid_plural=self.msgid_plural,
            flags=self.flags,
            extracted_comments=self.extracted_comments,
        )

    @property
    def outdated(self) -> bool:
        """Made for an earlier source text (stale)."""
        return self.state == State.STALE or self.source_hash != self.segment_source_hash


def _like(text: str) -> str:
    escaped = text.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return f"%{escaped}%"


def _queue_select(project_id: int, f: QueueFilter) -> Select[Any]:
    newer = aliased(Translation)
    q = (
        select(Translation, SegmentRow, Source.name)
        .join(SegmentRow, SegmentRow.id == Translation.segment_id)
        .join(Source, Source.id == SegmentRow.source_id)
        .where(
            Source.project_id == project_id,
            SegmentRow.obsolete.is_(False),
            Translation.locale == f.locale,
            Translation.state != int(State.REJECTED),
            ~exists().where(
                newer.segment_id == Translation.segment_id,
                newer.locale == Translation.locale,
                newer.n > Translation.n,
                newer.state != int(State.REJECTED),
            ),
        )
    )
    if f.states:
        q = q.where(Translation.state.in_([int(x) for x in f.states]))
    if f.source:
        q = q.where(Source.name == f.source)
    issues = cast(Translation.issues, Text)
    if f.issue == "any":
        q = q.where(issues.like(_like('"check": '), escape="!"))
    elif f.issue:
        q = q.where(issues.like(_like(f'"check": {json.dumps(f.issue)}'), escape="!"))
    if f.search and f.search.strip():
        text = f.search.strip()
        in_json = json.dumps(text)[1:-1]  # how the forms' JSON spells it
        q = q.where(
            or_(
                SegmentRow.msgid.ilike(_like(text), escape="!"),
                SegmentRow.msgid_plural.ilike(_like(text), escape="!"),
                SegmentRow.msgctxt.ilike(_like(text), escape="!"),
                cast(Translation.forms, Text).ilike(_like(in_json), escape="!"),
            )
        )
    return q


_ORDER = (Source.id, SegmentRow.position, SegmentRow.id)


def _row(t: Translation, seg: SegmentRow, source_name: str) -> QueueRow:
    return QueueRow(
        version_id=t.id,
        segment_id=seg.id,
        locale=t.locale,
        n=t.n,
        state=State(t.state),
        origin=t.origin,
        author=t.author,
        engine=t.engine,
        model=t.model,
        forms=tuple(t.forms),
        issues=tuple(t.issues or ()),
        created_at=t.created_at,
        source_hash=t.source_hash,
        previous_msgid=t.previous_msgid,
        source_id=seg.source_id,
        source_name=source_name,
        msgctxt=seg.msgctxt,
        msgid=seg.msgid,
        msgid_plural=seg.msgid_plural,
        flags=tuple(seg.flags),
        extracted_comments=seg.extracted_comments,
        segment_source_hash=seg.source_hash,
        position=seg.position,
    )


def queue_count(s: Session, project_id: int, f: QueueFilter) -> int:
    sub = _queue_select(project_id, f).with_only_columns(Translation.id).subquery()
    return s.scalar(select(func.count()).select_from(sub)) or 0


def queue_page(
    s: Session, project_id: int, f: QueueFilter, *, limit: int = 50, offset: int = 0
) -> list[QueueRow]:
    q = _queue_select(project_id, f).order_by(*_ORDER).limit(limit).offset(max(0, offset))
    return [_row(t, seg, name) for t, seg, name in s.execute(q)]


def queue_versions(s: Session, project_id: int, f: QueueFilter) -> list[Translation]:
    """Every version in the queue (for bulk actions), in queue order."""
    q = _queue_select(project_id, f).order_by(*_ORDER)
    return [t for t, _, _ in s.execute(q)]


def queue_neighbour(
    s: Session, project_id: int, f: QueueFilter, row: QueueRow, *, after: bool = True
) -> int | None:
    """The version id just after (or before) `row` in queue order (keyset, no OFFSET)."""
    key = (row.source_id, row.position, row.segment_id)
    a, b, c = _ORDER
    if after:
        cond = or_(
            a > key[0], and_(a == key[0], b > key[1]), and_(a == key[0], b == key[1], c > key[2])
        )
        order = _ORDER
    else:
        cond = or_(
            a < key[0], and_(a == key[0], b < key[1]), and_(a == key[0], b == key[1], c < key[2])
        )
        order = tuple(x.desc() for x in _ORDER)
    q = _queue_select(project_id, f).where(cond).order_by(*order).limit(1)
    hit = s.execute(q).first()
    return hit[0].id if hit else None


def queue_offset(s: Session, project_id: int, f: QueueFilter, row: QueueRow) -> int:
    """How many queue rows come before `row` (to find its page)."""
    a, b, c = _ORDER
    key = (row.source_id, row.position, row.segment_id)
    cond = or_(
        a < key[0], and_(a == key[0], b < key[1]), and_(a == key[0], b == key[1], c < key[2])
    )
    sub = _queue_select(project_id, f).where(cond).with_only_columns(Translation.id).subquery()
    return s.scalar(select(func.count()).select_from(sub)) or 0


@dataclass(frozen=True)
class Earlier:
    """The translation a string had before its source changed."""

    version_id: int
    n: int
    forms: tuple[str, ...]
    approved: bool
    """It was approved (or written by a person), not just machine output."""
    previous_msgid: str | None
    """The reworded source it was made for, when the msgid itself changed."""


def before_source_change(s: Session, segment_ids: Sequence[int], locale: str) -> dict[int, Earlier]:
    """Per segment, the newest stale version a reviewer should see next to the new source:
    one that was approved or written by a person, or one carried over from the reworded
    predecessor of the string."""
    if not segment_ids:
        return {}
    stale = list(
        s.scalars(
            select(Translation)
            .where(
                Translation.segment_id.in_(list(segment_ids)),
                Translation.locale == locale,
                Translation.state == int(State.STALE),
            )
            .order_by(Translation.segment_id, Translation.n.desc())
        )
    )
    approved = ever_approved(s, [t.id for t in stale])
    chosen: dict[int, Translation] = {}
    for t in stale:
        reviewed = t.id in approved or t.origin == "human"
        if t.segment_id not in chosen and (reviewed or t.previous_msgid is not None):
            chosen[t.segment_id] = t
    carried = _approved_in_predecessor(
        s, [t for t in chosen.values() if t.id not in approved and t.origin != "human"], locale
    )
    return {
        sid: Earlier(
            t.id,
            t.n,
            tuple(t.forms),
            t.id in approved or t.origin == "human" or t.id in carried,
            t.previous_msgid,
        )
        for sid, t in chosen.items()
    }


def _approved_in_predecessor(s: Session, versions: list[Translation], locale: str) -> set[int]:
    """Ids of these carried-over versions whose text was approved for the reworded string
    they came from (sync copies the predecessor's text as a new, stale version)."""
    if not versions:
        return set()
    links = dict(
        s.execute(
            select(SegmentRow.id, SegmentRow.previous_segment_id).where(
                SegmentRow.id.in_([v.segment_id for v in versions])
            )
        ).all()
    )
    old = list(
        s.scalars(
            select(Translation).where(
                Translation.segment_id.in_([x for x in links.values() if x is not None]),
                Translation.locale == locale,
            )
        )
    )
    reviewed = ever_approved(s, [v.id for v in old])
    good = {(v.segment_id, tuple(v.forms)) for v in old if v.id in reviewed or v.origin == "human"}
    return {v.id for v in versions if (links.get(v.segment_id), tuple(v.forms)) in good}


# --- one string -------------------------------------------------------------------------


def version_with_source(s: Session, version_id: int) -> QueueRow | None:
    hit = s.execute(
        select(Translation, SegmentRow, Source.name)
        .join(SegmentRow, SegmentRow.id == Translation.segment_id)
        .join(Source, Source.id == SegmentRow.source_id)
        .where(Translation.id == version_id)
    ).first()
    return _row(hit[0], hit[1], hit[2]) if hit else None


def project_of_version(s: Session, version_id: int) -> int | None:
    return s.scalar(
        select(Source.project_id)
        .join(SegmentRow, SegmentRow.source_id == Source.id)
        .join(Translation, Translation.segment_id == SegmentRow.id)
        .where(Translation.id == version_id)
    )


def current_version(s: Session, segment_id: int, locale: str) -> Translation | None:
    return s.scalar(
        select(Translation)
        .where(
            Translation.segment_id == segment_id,
            Translation.locale == locale,
            Translation.state != int(State.REJECTED),
        )
        .order_by(Translation.n.desc())
        .limit(1)
    )


def reviews_of(s: Session, segment_id: int, locale: str) -> list[tuple[Review, int]]:
    """Every review of every version of (segment, locale), oldest first, with the version n."""
    q = (
        select(Review, Translation.n)
        .join(Translation, Translation.id == Review.translation_id)
        .where(Translation.segment_id == segment_id, Translation.locale == locale)
        .order_by(Review.at, Review.id)
    )
    return [(r, n) for r, n in s.execute(q)]


def record_review(
    s: Session, translation: Translation, actor: str, action: str, comment: str = ""
) -> None:
    """Note an action that leaves the state as it is (the state is recorded both sides)."""
    s.execute(
        insert(Review).values(
            translation_id=translation.id,
            reviewer=actor,
            action=action,
            from_state=translation.state,
            to_state=translation.state,
            comment=comment,
            at=utcnow(),
        )
    )


def add_comment(
    s: Session, segment_id: int, locale: str, translation_id: int | None, author: str, text: str
) -> Comment:
    comment = Comment(
        segment_id=segment_id,
        locale=locale,
        translation_id=translation_id,
        author=author,
        text=text,
        created_at=utcnow(),
    )
    s.add(comment)
    s.flush()
    return comment


def comments_of(s: Session, segment_id: int, locale: str) -> list[tuple[Comment, int | None]]:
    """The comments on (segment, locale), oldest first, with the version n each was written
    on (None: there was no current version)."""
    q = (
        select(Comment, Translation.n)
        .outerjoin(Translation, Translation.id == Comment.translation_id)
        .where(Comment.segment_id == segment_id, Comment.locale == locale)
        .order_by(Comment.created_at, Comment.id)
    )
    return [(c, n) for c, n in s.execute(q)]


def source_names(s: Session, project_id: int) -> list[str]:
    return list(
        s.scalars(select(Source.name).where(Source.project_id == project_id).order_by(Source.id))
    )
