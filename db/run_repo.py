"""Runs and statistics: what each run did, and the state of a project per locale.
Callers own transactions, as in db.repo."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from locflow.db.base import utcnow
from locflow.db.models import Project, Run, SegmentRow, Source, Translation, Usage
from locflow.db.states import State


def start_run(s: Session, project: Project, kind: str, flow_run_id: str = "") -> Run:
    run = Run(project_id=project.id, kind=kind, flow_run_id=flow_run_id, status="running")
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
