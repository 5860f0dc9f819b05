"""Runs and statistics: what each run did, and the state of a project per locale.
Callers own transactions, as in db.repo."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from locflow.db.base import utcnow
from locflow.db.models import Project, Run, SegmentRow, Source, Translation
from locflow.db.states import State


def start_run(
    s: Session, project: Project, kind: str, flow_run_id: str = "", parent_id: int | None = None
) -> Run:
    run = Run(
        project_id=project.id,
        kind=kind,
        flow_run_id=flow_run_id,
        status="running",
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
