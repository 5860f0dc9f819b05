"""Runs and statistics: what each run did, and the state of a project per locale.
Callers own transactions, as in db.repo."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from locflow.db.base import utcnow
from locflow.db.models import Project, Run, SegmentRow, Source, Translation
from locflow.db.states import State

RUNNING, INTERRUPTED, CRASHED = "running", "interrupted", "crashed"
"""Statuses this module writes itself; a run ends as one of pipeline.results' statuses."""


def start_run(
    s: Session,
    project: Project,
    kind: str,
    flow_run_id: str = "",
    parent_id: int | None = None,
) -> Run:
    """A `running` row with its first heartbeat (`parent_id`: the fan-out run that started
    it)."""
    now = utcnow()
    run = Run(
        project_id=project.id,
        kind=kind,
        flow_run_id=flow_run_id,
        status=RUNNING,
        started_at=now,
        heartbeat_at=now,
        parent_id=parent_id,
    )
    s.add(run)
    s.flush()
    return run


def finish_run(
    s: Session, run_id: int, status: str, counts: dict[str, Any], message: str = ""
) -> None:
    run = s.get(Run, run_id)
    if run is None:
        return
    totals = s.execute(
        select(
            func.coalesce(func.sum(Translation.tokens_in), 0),
            func.coalesce(func.sum(Translation.tokens_out), 0),
            func.coalesce(func.sum(Translation.cost), 0.0),
        ).where(Translation.run_id == run_id)
    ).one()
    run.status, run.counts, run.message, run.finished_at = status, counts, message, utcnow()
    run.tokens_in, run.tokens_out, run.cost = int(totals[0]), int(totals[1]), float(totals[2])
    run.requests = int(counts.get("requests", 0))


# --- runs that end: heartbeat, crashed, interrupted -----------------------------------------


def beat(s: Session, run_ids: Sequence[int], now: datetime) -> None:
    """The runs' processes are alive (see pipeline/heartbeat.py). A run marked crashed
    while its process was only slow to beat (a long transaction, a suspended machine) is
    running again."""
    s.execute(
        update(Run)
        .where(Run.id.in_(list(run_ids)), Run.status.in_((RUNNING, CRASHED)))
        .values(heartbeat_at=now, status=RUNNING, message="", finished_at=None)
    )


def mark_crashed(s: Session, project_id: int, now: datetime, stale_after: timedelta) -> list[int]:
    """End as crashed every `running` run of the project whose heartbeat (or start, for a
    row without one) is older than `stale_after`: its process died without ending it. The
    ids of those runs."""
    last = func.coalesce(Run.heartbeat_at, Run.started_at)
    stale = s.execute(
        select(Run.id, last).where(
            Run.project_id == project_id, Run.status == RUNNING, last < now - stale_after
        )
    ).all()
    for run_id, seen in stale:
        message = f"no heartbeat since {seen:%Y-%m-%d %H:%M:%S} UTC: its process stopped"
        s.execute(
            update(Run)
            .where(Run.id == run_id, Run.status == RUNNING)
            .values(status=CRASHED, message=message, finished_at=now)
        )
    return [run_id for run_id, _ in stale]


def end_if_running(s: Session, run_id: int, status: str, message: str, now: datetime) -> bool:
    """End a run that nothing ended yet (True if this did); leaves its counts as they are."""
    done = s.execute(
        update(Run)
        .where(Run.id == run_id, Run.status == RUNNING)
        .values(status=status, message=message, finished_at=now)
    )
    return bool(done.rowcount)


def recent_top_runs(s: Session, project_id: int, limit: int = 5) -> list[Run]:
    """The newest runs nothing else started (a fan-out's parent, not its children)."""
    return list(
        s.scalars(
            select(Run)
            .where(Run.project_id == project_id, Run.parent_id.is_(None))
            .order_by(Run.id.desc())
            .limit(limit)
        )
    )


def children_of(s: Session, parent_ids: Sequence[int]) -> dict[int, list[Run]]:
    """The runs each of these fan-out runs started, oldest first."""
    out: dict[int, list[Run]] = {}
    rows = s.scalars(select(Run).where(Run.parent_id.in_(list(parent_ids))).order_by(Run.id))
    for run in rows:
        out.setdefault(run.parent_id or 0, []).append(run)
    return out


def state_counts(s: Session, project_id: int) -> dict[str, dict[str, int]]:
    """{locale: {state name: number of (segment, locale) whose current version is in it}}."""
    newest = (
        select(
            Translation.segment_id,
            Translation.locale,
            func.max(Translation.n).label("n"),
        )
        .join(SegmentRow, SegmentRow.id == Translation.segment_id)
        .join(Source, Source.id == SegmentRow.source_id)
        .where(
            Source.project_id == project_id,
            SegmentRow.obsolete.is_(False),
            Translation.state != int(State.REJECTED),
        )
        .group_by(Translation.segment_id, Translation.locale)
        .subquery()
    )
    q = (
        select(Translation.locale, Translation.state, func.count())
        .join(
            newest,
            (newest.c.segment_id == Translation.segment_id)
            & (newest.c.locale == Translation.locale)
            & (newest.c.n == Translation.n),
        )
        .group_by(Translation.locale, Translation.state)
    )
    out: dict[str, dict[str, int]] = {}
    for locale, state, count in s.execute(q):
        out.setdefault(locale, {})[State(state).name.lower()] = count
    return out


def usage_by_locale(s: Session, project_id: int) -> dict[str, dict[str, float]]:
    """Tokens and cost spent per locale, over every version ever stored."""
    q = (
        select(
            Translation.locale,
            func.coalesce(func.sum(Translation.tokens_in), 0),
            func.coalesce(func.sum(Translation.tokens_out), 0),
            func.coalesce(func.sum(Translation.cost), 0.0),
        )
        .join(SegmentRow, SegmentRow.id == Translation.segment_id)
        .join(Source, Source.id == SegmentRow.source_id)
        .where(Source.project_id == project_id)
        .group_by(Translation.locale)
    )
    return {
        loc: {"tokens_in": int(a), "tokens_out": int(b), "cost": round(float(c), 6)}
        for loc, a, b, c in s.execute(q)
    }


def recent_runs(s: Session, project_id: int, limit: int = 5) -> list[Run]:
    return list(
        s.scalars(
            select(Run).where(Run.project_id == project_id).order_by(Run.id.desc()).limit(limit)
        )
    )


def live_segment_count(s: Session, project_id: int) -> int:
    return (
        s.scalar(
            select(func.count())
            .select_from(SegmentRow)
            .join(Source, Source.id == SegmentRow.source_id)
            .where(Source.project_id == project_id, SegmentRow.obsolete.is_(False))
        )
        or 0
    )
