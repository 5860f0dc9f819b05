"""Repository functions. Each takes the session first and never commits: callers own
transactions (`with Session() as s, s.begin(): ...`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Insert, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, defer
from sqlalchemy.orm.attributes import set_committed_value

from locflow.db.base import Base, utcnow
from locflow.db.models import (
    Project,
    Review,
    SegmentRow,
    Source,
    Translation,
)
from locflow.db.states import State, check_transition

SYSTEM_ACTOR = "locflow"


# --- projects and sources -------------------------------------------------------------


def insert_unless_present(s: Session, model: type[Base]) -> Insert:
    """`INSERT … ON CONFLICT DO NOTHING` in the session's dialect. Two runs started at once on
    a new database both create the same rows: the later insert then adds nothing (it waits
    for the earlier transaction on PostgreSQL, for the write lock on SQLite) instead of
    failing on a unique key, and the caller selects the row the other one made."""
    dialect = s.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(model).on_conflict_do_nothing()
    raise NotImplementedError(f"no INSERT … ON CONFLICT for the {dialect} dialect")


def get_or_create_project(s: Session, name: str, source_locale: str) -> Project:
    """The project, created if missing (safe when another run creates it at the same time).
    A select comes first, so the usual case writes nothing and takes no write lock."""
    project = find_project(s, name)
    if project is None:
        s.execute(insert_unless_present(s, Project).values(name=name, source_locale=source_locale))
        project = find_project(s, name)
        assert project is not None
    return project


def find_project(s: Session, name: str) -> Project | None:
    return s.scalar(select(Project).where(Project.name == name))


def get_or_create_source(s: Session, project: Project, name: str, kind: str) -> Source:
    """The source, created if missing (safe under races, as get_or_create_project)."""
    source = _find_source(s, project.id, name)
    if source is None:
        s.execute(
            insert_unless_present(s, Source).values(
                project_id=project.id, name=name, kind=kind, content_hash=""
            )
        )
        source = _find_source(s, project.id, name)
        assert source is not None
    return source


def _find_source(s: Session, project_id: int, name: str) -> Source | None:
    return s.scalar(select(Source).where(Source.project_id == project_id, Source.name == name))


def sources_of(s: Session, project: Project) -> list[Source]:
    return list(
        s.scalars(select(Source).where(Source.project_id == project.id).order_by(Source.id))
    )


# --- translations -------------------------------------------------------------------------


@dataclass(frozen=True)
class NewVersion:
    """What a caller knows about a version it wants to store."""

    segment_id: int
    locale: str
    forms: tuple[str, ...]
    state: State
    origin: str
    source_hash: str
    author: str = ""
    engine: str = ""
    model: str = ""
    terms_hash: str = ""
    glossary_hash: str = ""
    prompt_hash: str = ""
    previous_msgid: str | None = None
    issues: tuple[dict[str, Any], ...] = ()
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    run_id: int | None = None
    base_n: int | None = None
    """Store only if the newest version of (segment, locale) is still number `base_n` (0:
    none), the one the caller planned from; None stores unconditionally. A run that finds
    a reviewer or another run got there first keeps their version and drops its own."""


def add_versions(s: Session, new: Sequence[NewVersion]) -> list[int]:
    """Append versions in bulk (explicit INSERT; n = previous n + 1 per segment and locale).
    The segments' rows are locked first (PostgreSQL: SELECT … FOR UPDATE in id order, so two
    writers cannot deadlock; SQLite: its single write lock), so concurrent writers number
    versions one after the other. Returns the ids of the versions stored, in order; a version
    whose `base_n` no longer holds is left out."""
    if not new:
        return []
    top = _lock_and_number(s, new)
    now = utcnow()
    values = []
    for v in new:
        if v.base_n is not None and top.get((v.segment_id, v.locale), 0) != v.base_n:
            continue
        n = top.get((v.segment_id, v.locale), 0) + 1
        top[(v.segment_id, v.locale)] = n
        values.append(
            {
                "segment_id": v.segment_id,
                "locale": v.locale,
                "n": n,
                "forms": list(v.forms),
                "state": int(v.state),
                "origin": v.origin,
                "author": v.author,
                "engine": v.engine,
                "model": v.model,
                "source_hash": v.source_hash,
                "terms_hash": v.terms_hash,
                "glossary_hash": v.glossary_hash,
                "prompt_hash": v.prompt_hash,
                "previous_msgid": v.previous_msgid,
                "issues": list(v.issues),
                "tokens_in": v.tokens_in,
                "tokens_out": v.tokens_out,
                "cost": v.cost,
                "run_id": v.run_id,
                "created_at": now,
            }
        )
    if not values:
        return []
    return list(
        s.scalars(
            insert(Translation).returning(Translation.id, sort_by_parameter_order=True), values
        )
    )


def still_newest(s: Session, new: Sequence[NewVersion]) -> list[bool]:
    """Lock the segments' rows (until the transaction ends) and tell, for each version,
    whether its `base_n` still holds: what `add_versions` would store."""
    top = _lock_and_number(s, new) if new else {}
    return [v.base_n is None or top.get((v.segment_id, v.locale), 0) == v.base_n for v in new]


def _lock_and_number(s: Session, new: Sequence[NewVersion]) -> dict[tuple[int, str], int]:
    """Lock the rows of the segments in `new`; the newest n per (segment, locale)."""
    top: dict[tuple[int, str], int] = {}
    for chunk in _chunks(sorted({v.segment_id for v in new}), 900):
        _lock_rows(s, chunk)
        q = (
            select(Translation.segment_id, Translation.locale, func.max(Translation.n))
            .where(Translation.segment_id.in_(chunk))
            .group_by(Translation.segment_id, Translation.locale)
        )
        top.update({(sid, loc): n for sid, loc, n in s.execute(q)})
    return top


def _lock_rows(s: Session, segment_ids: list[int]) -> None:
    """Lock segment rows against other writers until the transaction ends."""
    if s.get_bind().dialect.name == "sqlite":
        # no row locks, one lock for the whole database: a no-op write to one row takes it
        # before we read (pysqlite starts its transaction at the first write, not read)
        s.execute(
            update(SegmentRow)
            .where(SegmentRow.id == segment_ids[0])
            .values(position=SegmentRow.position)
            .execution_options(synchronize_session=False)
        )
        return
    s.execute(
        select(SegmentRow.id)
        .where(SegmentRow.id.in_(segment_ids))
        .order_by(SegmentRow.id)
        .with_for_update()
    ).all()


def add_version(s: Session, v: NewVersion) -> int:
    """Append one version. Returns its id."""
    return add_versions(s, [v])[0]


def versions(s: Session, segment_id: int, locale: str) -> list[Translation]:
    """All versions of one (segment, locale), oldest first."""
    return list(
        s.scalars(
            select(Translation)
            .where(Translation.segment_id == segment_id, Translation.locale == locale)
            .order_by(Translation.n)
        )
    )


def newest_numbers(s: Session, segment_ids: Iterable[int], locale: str) -> dict[int, int]:
    """{segment id: n of its newest version in `locale`, rejected ones included}."""
    out: dict[int, int] = {}
    for chunk in _chunks(list(segment_ids), 900):
        q = (
            select(Translation.segment_id, func.max(Translation.n))
            .where(Translation.segment_id.in_(chunk), Translation.locale == locale)
            .group_by(Translation.segment_id)
        )
        out.update({sid: n for sid, n in s.execute(q)})
    return out


def current_versions(
    s: Session, segment_ids: Iterable[int], locale: str
) -> dict[int, list[Translation]]:
    """Non-rejected versions per segment, newest first (the first one is "current")."""
    ids = list(segment_ids)
    out: dict[int, list[Translation]] = {}
    for chunk in _chunks(ids, 900):
        rows = s.scalars(
            select(Translation)
            .where(
                Translation.segment_id.in_(chunk),
                Translation.locale == locale,
                Translation.state != int(State.REJECTED),
            )
            .order_by(Translation.segment_id, Translation.n.desc())
            .options(defer(Translation.issues))  # QA details: the review screens read them
        )
        for t in rows:
            out.setdefault(t.segment_id, []).append(t)
    return out


def locales_with_versions(s: Session, segment_id: int) -> list[str]:
    return list(
        s.scalars(select(Translation.locale).where(Translation.segment_id == segment_id).distinct())
    )


def transition(
    s: Session,
    translation: Translation,
    to: State,
    *,
    actor: str = SYSTEM_ACTOR,
    action: str | None = None,
    comment: str = "",
) -> None:
    """The only way a version's state changes; every move is recorded in `reviews`."""
    current = State(translation.state)
    check_transition(current, to)
    s.execute(
        update(Translation)
        .where(Translation.id == translation.id)
        .values(state=int(to))
        .execution_options(synchronize_session=False)  # see below: O(1), not O(session)
    )
    s.execute(
        insert(Review).values(
            translation_id=translation.id,
            reviewer=actor,
            action=action or to.name.lower(),
            from_state=int(current),
            to_state=int(to),
            comment=comment,
            at=utcnow(),
        )
    )
    # the loaded object follows without being marked dirty; SQLAlchemy's default session
    # synchronisation scanned every object in the session on each call, which made
    # approving all of a large project quadratic (30,000 versions: minutes)
    set_committed_value(translation, "state", int(to))


def review_actions(s: Session, translation_ids: Sequence[int]) -> set[tuple[int, str]]:
    """(translation id, action) of every review recorded for these versions."""
    out: set[tuple[int, str]] = set()
    for chunk in _chunks(list(translation_ids), 900):
        q = select(Review.translation_id, Review.action).where(Review.translation_id.in_(chunk))
        out.update((tid, action) for tid, action in s.execute(q))
    return out


def mark_stale(s: Session, segment_id: int, source_hash: str) -> int:
    """Versions made for another source text become stale (kept, never deleted)."""
    rows = s.scalars(
        select(Translation).where(
            Translation.segment_id == segment_id,
            Translation.source_hash != source_hash,
            Translation.state.not_in([int(State.REJECTED), int(State.STALE)]),
        )
    ).all()
    for t in rows:
        transition(s, t, State.STALE, action="source-changed")
    return len(rows)


def ever_approved(s: Session, translation_ids: Sequence[int]) -> set[int]:
    """Ids among these versions that were approved at some point (before going stale)."""
    out: set[int] = set()
    for chunk in _chunks(list(translation_ids), 900):
        out.update(
            s.scalars(
                select(Translation.id).where(
                    Translation.id.in_(chunk), Translation.state == int(State.APPROVED)
                )
            )
        )
        out.update(
            s.scalars(
                select(Review.translation_id).where(
                    Review.translation_id.in_(chunk), Review.from_state == int(State.APPROVED)
                )
            )
        )
    return out


def approved_memory(
    s: Session, project_id: int, locale: str
) -> dict[tuple[str | None, str, str | None], tuple[str, ...]]:
    """Approved translations of this project by (msgctxt, msgid, msgid_plural), newest wins."""
    q = (
        select(SegmentRow.msgctxt, SegmentRow.msgid, SegmentRow.msgid_plural, Translation.forms)
        .join(Translation, Translation.segment_id == SegmentRow.id)
        .join(Source, Source.id == SegmentRow.source_id)
        .where(
            Source.project_id == project_id,
            Translation.locale == locale,
            Translation.state == int(State.APPROVED),
        )
        .order_by(Translation.id)
    )
    return {(c, i, p): tuple(f) for c, i, p, f in s.execute(q)}


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
