"""Runs and statistics: what each run did, and the state of a project per locale.
Callers own transactions, as in db.repo."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from locflow.db.base import utcnow
from locflow.db.models import Project, Run, SegmentRow, Source, Translation, Usage
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
    """Close a run; its requests, tokens and cost are the ledger's (a fan-out parent's
    include its children's), whatever `counts` says."""
    run = s.get(Run, run_id)
    if run is None:
        return
    run.status, run.counts, run.message, run.finished_at = status, counts, message, utcnow()
    take_usage(s, run)


def take_usage(s: Session, run: Run) -> None:
    """The run row's requests, tokens and cost (paid usage and unanswered charges) from the
    ledger."""
    total = sum_totals(usage_totals(s, run_id=run.id).values())
    run.requests, run.tokens_in, run.tokens_out = total.requests, total.tokens_in, total.tokens_out
    run.cost = total.total_cost


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


# --- the usage ledger: the one source of requests, tokens and cost -------------------------


@dataclass(frozen=True)
class UsageTotals:
    """What some batches spent. Strings (or blocks) are what was translated; requests the
    HTTP attempts sent; paid requests those answered 2xx with usage; tokens and `cost` the
    paid usage; `unanswered_cost` what requests with an unknown outcome were charged (their
    whole reservation). A run's cost is `total_cost`: both."""

    strings: int = 0
    requests: int = 0
    paid_requests: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    unanswered_cost: float = 0.0

    @property
    def tokens(self) -> int:
        return self.tokens_in + self.tokens_out

    @property
    def total_cost(self) -> float:
        return self.cost + self.unanswered_cost

    def __add__(self, other: UsageTotals) -> UsageTotals:
        return UsageTotals(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


def sum_totals(parts: Iterable[UsageTotals]) -> UsageTotals:
    return sum(parts, UsageTotals())


def add_usage(s: Session, run_id: int, locale: str, usage: UsageTotals) -> None:
    """One batch's row in the ledger (the caller's transaction stores its translations)."""
    s.add(
        Usage(
            run_id=run_id, locale=locale, **{f.name: getattr(usage, f.name) for f in fields(usage)}
        )
    )


def usage_totals(
    s: Session,
    *,
    run_id: int | None = None,
    project_id: int | None = None,
    include_children: bool = True,
) -> dict[str, UsageTotals]:
    """The ledger summed per locale: of one run (and, for a fan-out parent, of the runs it
    started, unless `include_children` is false), of a project's runs, or of everything."""
    sums = [func.coalesce(func.sum(getattr(Usage, f.name)), 0) for f in fields(UsageTotals)]
    q = select(Usage.locale, *sums).group_by(Usage.locale).order_by(Usage.locale)
    if run_id is not None:
        ours = select(Run.id).where(
            or_(Run.id == run_id, Run.parent_id == run_id) if include_children else Run.id == run_id
        )
        q = q.where(Usage.run_id.in_(ours))
    if project_id is not None:
        q = q.where(Usage.run_id.in_(select(Run.id).where(Run.project_id == project_id)))
    out = {}
    for locale, *values in s.execute(q):
        out[locale] = UsageTotals(
            *(
                int(v) if isinstance(f.default, int) else float(v)
                for f, v in zip(fields(UsageTotals), values, strict=True)
            )
        )
    return out
