"""What a run did per locale, batch by batch, and the run statuses: the values every run
result (pipeline/results.py) and a fan-out parent (pipeline/fan_in.py) are made of. The key
order of every dict is part of the CLI's output: keep it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from locflow.db import run_repo
from locflow.db.run_repo import UsageTotals
from locflow.pipeline.gaps import (
    Gap,
    gaps_message,
)
from locflow.pipeline.plan import LocalePlan
from locflow.pipeline.translate import Job, StoreCounts

COMPLETED, STOPPED, FAILED = "completed", "stopped", "failed"
INTERRUPTED, CRASHED = run_repo.INTERRUPTED, run_repo.CRASHED
"""Ended by Ctrl-C or a signal; found dead through its heartbeat (see db.run_repo)."""
PARTIAL = "partial"
"""Finished, but some strings, documents or entries could not be done (see gaps.py)."""


def settled(status: str, message: str | None, gaps: list[Gap]) -> tuple[str, str | None]:
    """A completed run that left gaps is partial, with the reasons as its message."""
    if status != COMPLETED or not gaps:
        return status, message
    return PARTIAL, gaps_message(gaps)


@dataclass(frozen=True, kw_only=True)
class BatchResult:
    """One batch of strings translated and stored. The counts' vocabulary, everywhere:
    strings (or blocks) are what is translated; requests are the HTTP attempts sent;
    paid requests those answered 2xx with usage; tokens and cost are the paid usage."""

    counts: StoreCounts
    strings: int
    requests: int
    paid_requests: int
    tokens_in: int
    tokens_out: int
    cost: float
    unanswered_cost: float = 0.0
    """What requests with an unknown outcome were charged (their whole reservation)."""
    retry: tuple[Job, ...] = ()
    """Jobs deferred because a transient failure or throttling outlasted their retries
    (not the cost cap): counted in `counts.deferred`, and worth one more try at the end of
    the run (pipeline/stream.py)."""


@dataclass
class LocaleSummary:
    """What one run did for one locale; added up batch by batch."""

    locale: str
    queued: int = 0
    up_to_date: int = 0
    requests: int = 0
    """HTTP attempts sent (see BatchResult)."""
    paid_requests: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    """The run's cost: paid usage and `unanswered_cost` together."""
    glossary_stale: int = 0
    glossary_flagged: int = 0
    glossary_compliance: float | None = None
    counts: StoreCounts = field(default_factory=StoreCounts)
    unanswered_cost: float = 0.0
    left_to_translators: int = 0
    """Strings never sent: the locale is left to translators (`[locales.X] engine = false`)."""
    error: str = ""
    """Why the engine translated nothing more for this locale (it refuses the locale)."""

    def add(self, done: BatchResult) -> None:
        self.counts.add(done.counts)
        self.requests += done.requests
        self.paid_requests += done.paid_requests
        self.tokens_in += done.tokens_in
        self.tokens_out += done.tokens_out
        self.cost += done.cost + done.unanswered_cost
        self.unanswered_cost += done.unanswered_cost

    def take_usage(self, usage: UsageTotals) -> None:
        """Requests, tokens and cost as the usage ledger has them (db.run_repo.usage_totals)."""
        self.requests, self.paid_requests = usage.requests, usage.paid_requests
        self.tokens_in, self.tokens_out = usage.tokens_in, usage.tokens_out
        self.cost, self.unanswered_cost = usage.total_cost, usage.unanswered_cost

    def planned(self, plan: LocalePlan) -> None:
        self.queued, self.up_to_date = plan.queued_items, plan.up_to_date
        self.left_to_translators = plan.held
        self.glossary_stale = len(plan.stale_by_glossary)
        self.glossary_flagged = len(plan.flagged_by_glossary)

    @property
    def engine_errors(self) -> int:
        return self.counts.issues.get("engine", 0)

    def to_dict(self) -> dict[str, Any]:
        """A catalogue run's view (`localise`)."""
        c = self.counts
        return {
            "queued": self.queued,
            "up_to_date": self.up_to_date,
            "reused": c.reused,
            "machine": c.machine,
            "needs_review": c.needs_review,
            "issues": dict(c.issues),
            "deferred": c.deferred,
            "superseded": c.superseded,
            "glossary_retried": c.retried,
            "glossary_stale": self.glossary_stale,
            "glossary_flagged": self.glossary_flagged,
            "glossary_compliance": self.glossary_compliance,
            "requests": self.requests,
            "paid_requests": self.paid_requests,
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "cost": round(self.cost, 6),
            "unanswered_cost": round(self.unanswered_cost, 6),
            "left_to_translators": self.left_to_translators,
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, locale: str, d: Mapping[str, Any]) -> LocaleSummary:
        """Back from `to_dict` (a fan-out child's `runs` row); missing keys count 0."""
        counts = StoreCounts(
            machine=d.get("machine", 0),
            needs_review=d.get("needs_review", 0),
            reused=d.get("reused", 0),
            deferred=d.get("deferred", 0),
            retried=d.get("glossary_retried", 0),
            superseded=d.get("superseded", 0),
            issues=dict(d.get("issues", {})),
        )
        return cls(
            locale,
            queued=d.get("queued", 0),
            up_to_date=d.get("up_to_date", 0),
            requests=d.get("requests", 0),
            paid_requests=d.get("paid_requests", 0),
            tokens_in=d.get("tokens_in", 0),
            tokens_out=d.get("tokens_out", 0),
            cost=d.get("cost", 0.0),
            glossary_stale=d.get("glossary_stale", 0),
            glossary_flagged=d.get("glossary_flagged", 0),
            glossary_compliance=d.get("glossary_compliance"),
            counts=counts,
            unanswered_cost=d.get("unanswered_cost", 0.0),
            left_to_translators=d.get("left_to_translators", 0),
            error=d.get("error", ""),
        )

    def docs_dict(self) -> dict[str, Any]:
        """A docs run's view (`translate_docs`): no glossary bookkeeping, engine errors."""
        c = self.counts
        return {
            "queued": self.queued,
            "up_to_date": self.up_to_date,
            "reused": c.reused,
            "machine": c.machine,
            "needs_review": c.needs_review,
            "deferred": c.deferred,
            "engine_errors": self.engine_errors,
            "issues": dict(c.issues),
            "requests": self.requests,
            "paid_requests": self.paid_requests,
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "cost": round(self.cost, 6),
            "unanswered_cost": round(self.unanswered_cost, 6),
            "left_to_translators": self.left_to_translators,
            "error": self.error,
        }


def add_engine_stats(total: dict[str, Any], more: Mapping[str, Any]) -> None:
    """Add one engine's stats (numbers, and dicts of numbers) into `total`."""
    for key, value in more.items():
        if isinstance(value, bool) or not isinstance(value, int | float | dict):
            continue
        if isinstance(value, dict):
            sizes = total.setdefault(key, {})
            for k, v in value.items():
                sizes[k] = sizes.get(k, 0) + v
        else:
            total[key] = total.get(key, 0) + value
