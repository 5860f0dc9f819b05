"""What a run did, as typed values, and the one place that turns them into the dicts the CLI
prints (`--json`), the `runs` row keeps (`counts`) and a fan-out parent reads back.

`localise` returns a `RunResult` (one `LocaleSummary` per locale), `translate_docs` a
`DocsRunResult` (one `DocSummary` per document and locale). The key order of every dict is
part of the CLI's output: keep it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from locflow.db import run_repo
from locflow.db.run_repo import UsageTotals
from locflow.pipeline.docs import DocsSyncReport
from locflow.pipeline.docs_export import DocResult
from locflow.pipeline.export import FileResult
from locflow.pipeline.gaps import (
    Gap,
    demoted_gaps,
    document_gaps,
    gaps_message,
    locale_gaps,
    transient_gap,
)
from locflow.pipeline.plan import LocalePlan
from locflow.pipeline.sync import SyncReport
from locflow.pipeline.translate import StoreCounts

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


# --- localise ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChildRun:
    """One run a fan-out started, in the final state its parent last saw."""

    locale: str
    flow_run_id: str
    state: str
    """The state's name ("": the run has no state)."""
    completed: bool = True
    state_message: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"locale": self.locale, "flow_run_id": self.flow_run_id, "state": self.state}

    def failure(self) -> str:
        why = f": {self.state_message}" if self.state_message else ""
        return f"{self.locale} ({self.state or 'no state'}{why})"


@dataclass(frozen=True)
class RecordedRun:
    """A run's `runs` row, as its fan-out parent reads it."""

    status: str
    message: str
    counts: Mapping[str, Any]


NO_RECORD_HINT = "is LOCFLOW_DATABASE_URL set on the worker?"


@dataclass
class FanOutResult:
    """A fan-out parent's view of its children: what their `runs` rows say they did."""

    locales: dict[str, LocaleSummary] = field(default_factory=dict)
    engine: dict[str, Any] = field(default_factory=dict)
    children: list[ChildRun] = field(default_factory=list)
    status: str = COMPLETED
    message: str | None = None
    """Why the run stopped or failed (None: it did not)."""
    unreported: list[str] = field(default_factory=list)
    """Locales whose run left no row in the parent's database: nothing of theirs is there,
    so they are not exported as if translated."""


def fan_in(children: Sequence[ChildRun], recorded: Mapping[str, RecordedRun]) -> FanOutResult:
    """Add up what the children recorded; the parent fails when a child did not complete or
    left no `runs` row in the parent's database (it wrote elsewhere: its word is not proof),
    and stops when one stopped (a cost cap, a fatal engine error)."""
    out = FanOutResult(children=list(children))
    failed, silent, stopped = [], [], []
    for child in children:
        row = recorded.get(child.flow_run_id)
        if row is None:
            out.unreported.append(child.locale)
        else:
            for locale, d in row.counts.get("locales", {}).items():
                out.locales[locale] = LocaleSummary.from_dict(locale, d)
            add_engine_stats(out.engine, row.counts.get("engine", {}))
        if not child.completed:
            failed.append(child.failure())
        elif row is None:
            silent.append(f"locale {child.locale}: its run wrote nothing to this database")
        elif row.status == STOPPED:
            stopped.append(f"{child.locale}: {row.message}")
    reasons = ["fan-out runs failed: " + "; ".join(failed)] if failed else []
    if silent:
        reasons.append(f"fan-out: {'; '.join(silent)} ({NO_RECORD_HINT})")
    if reasons:
        out.status, out.message = FAILED, "; ".join(reasons)
    elif stopped:
        out.status, out.message = STOPPED, "; ".join(stopped)
    return out


@dataclass
class RunResult:
    """What one `localise` run did."""

    run_id: int
    flow_run_id: str
    status: str = COMPLETED
    message: str | None = None
    """Why the run stopped or failed (None: it did not)."""
    sync: SyncReport | None = None
    locales: dict[str, LocaleSummary] = field(default_factory=dict)
    files: list[FileResult] = field(default_factory=list)
    engine: dict[str, Any] | None = None
    """The engine's own stats (a fan-out: its children's, added up); None: it keeps none."""
    children: list[ChildRun] | None = None
    documents: DocsRunResult | None = None
    """The `[[docs]]` run that followed (`locflow run`)."""

    def stop(self, message: str) -> None:
        self.status, self.message = STOPPED, message

    def gaps(self) -> list[Gap]:
        """What this run was asked to do and did not (the `[[docs]]` run has its own)."""
        out = [g for k, x in self.locales.items() for g in locale_gaps(x)]
        deferred = sum(x.counts.deferred for x in self.locales.values())
        return out + transient_gap(self.engine, deferred) + demoted_gaps(self.files)

    def settle(self) -> None:
        """At the end: completed, or partial when it left gaps."""
        self.status, self.message = settled(self.status, self.message, self.gaps())

    def take_fan_out(self, fanned: FanOutResult) -> None:
        self.locales = dict(fanned.locales)
        self.engine, self.children = fanned.engine, list(fanned.children)
        self.status = fanned.status
        if fanned.message is not None:
            self.message = fanned.message

    @property
    def files_changed(self) -> list[str]:
        return [f.path for f in self.files if f.changed]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "run_id": self.run_id,
            "flow_run_id": self.flow_run_id,
            "locales": {k: v.to_dict() for k, v in self.locales.items()},
            "files": [asdict(f) for f in self.files],
            "status": self.status,
            "gaps": [g.line() for g in self.gaps()],
        }
        if self.sync is not None:
            out["sync"] = self.sync.as_dict()
        if self.message is not None:
            out["message"] = self.message
        if self.engine is not None:
            out["engine"] = self.engine
        if self.children is not None:
            out["children"] = [c.to_dict() for c in self.children]
        if self.documents is not None:
            out["documents"] = self.documents.to_dict()
        return out

    def recorded_counts(self) -> dict[str, Any]:
        """What the run's `runs` row keeps in `counts` (a fan-out parent reads it back)."""
        return {
            "requests": sum(x.requests for x in self.locales.values()),
            "paid_requests": sum(x.paid_requests for x in self.locales.values()),
            "locales": {k: v.to_dict() for k, v in self.locales.items()},
            "engine": self.engine or {},
            "files_changed": len(self.files_changed),
            "gaps": [g.to_dict() for g in self.gaps()],
        }


# --- translate_docs ------------------------------------------------------------------------


@dataclass(frozen=True)
class DocSummary:
    """One translated document, and what this run stored for it."""

    doc: DocResult
    translated: int = 0
    """Blocks this run's engine output translated."""
    engine_errors: int = 0

    @property
    def reused(self) -> int:
        return max(0, self.doc.localised - self.translated)

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.doc.as_dict(),
            "translated": self.translated,
            "reused": self.reused,
            "engine_errors": self.engine_errors,
        }


@dataclass
class DocsRunResult:
    """What one `translate_docs` run did."""

    run_id: int
    flow_run_id: str
    status: str = COMPLETED
    message: str | None = None
    """Why the run stopped or failed (None: it did not)."""
    changed_since: str | None = None
    selected: list[str] = field(default_factory=list)
    """The docs whose blocks were sent (every doc without `changed_since`)."""
    sync: DocsSyncReport | None = None
    locales: dict[str, LocaleSummary] = field(default_factory=dict)
    docs: list[DocSummary] = field(default_factory=list)

    def stop(self, message: str) -> None:
        self.status, self.message = STOPPED, message

    def fail(self, error: BaseException) -> None:
        self.status, self.message = FAILED, str(error).split("\n")[0]

    def gaps(self) -> list[Gap]:
        """Docs not read or not written (structure), blocks deferred or refused."""
        unread = self.sync.problems if self.sync is not None else []
        out = document_gaps([d.doc for d in self.docs], unread)
        return out + [g for x in self.locales.values() for g in locale_gaps(x, "block")]

    def settle(self) -> None:
        """At the end: completed, or partial when it left gaps."""
        self.status, self.message = settled(self.status, self.message, self.gaps())

    def failures(self) -> list[str]:
        """One line per reason the run should fail CI: structure problems, engine errors."""
        out = list(self.sync.problems if self.sync is not None else [])  # an unreadable doc
        out += [f"{p} [{d.doc.locale}]" for d in self.docs for p in d.doc.problems]
        for locale, x in self.locales.items():
            if x.engine_errors:
                out.append(f"{locale}: the engine refused {x.engine_errors} block(s)")
        if self.status == STOPPED:
            out.append(f"stopped: {self.message}")
        return out

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "run_id": self.run_id,
            "flow_run_id": self.flow_run_id,
            "status": self.status,
            "changed_since": self.changed_since,
            "selected": list(self.selected),
            "locales": {k: v.docs_dict() for k, v in self.locales.items()},
            "docs": [d.to_dict() for d in self.docs],
        }
        if self.sync is not None:
            out["sync"] = self.sync.as_dict()
        if self.message is not None:
            out["message"] = self.message
        out["failed"] = self.failures()
        out["gaps"] = [g.line() for g in self.gaps()]
        return out

    def recorded_counts(self) -> dict[str, Any]:
        """What the run's `runs` row keeps in `counts`."""
        return {
            "requests": sum(x.requests for x in self.locales.values()),
            "paid_requests": sum(x.paid_requests for x in self.locales.values()),
            "locales": {k: v.docs_dict() for k, v in self.locales.items()},
            "docs_written": sum(1 for d in self.docs if d.doc.written),
            "docs_failed": sum(1 for d in self.docs if d.doc.failed),
        }


@dataclass(frozen=True)
class PublishResult:
    """What one `publish` run (`locflow export`) wrote."""

    files: tuple[FileResult, ...]
    status: str = COMPLETED

    @classmethod
    def of(cls, files: tuple[FileResult, ...]) -> PublishResult:
        """Partial when an entry could not be written as it is."""
        return cls(files, settled(COMPLETED, None, demoted_gaps(files))[0])

    @property
    def written(self) -> list[FileResult]:
        return [f for f in self.files if f.written]

    def gaps(self) -> list[Gap]:
        return demoted_gaps(self.files)

    def to_dict(self) -> dict[str, Any]:
        out = {"files": [asdict(f) for f in self.files], "status": self.status}
        return {**out, "gaps": [g.line() for g in self.gaps()]}
