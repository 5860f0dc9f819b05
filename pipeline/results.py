"""What a run did, as typed values, and the one place that turns them into the dicts the CLI
prints (`--json`), the `runs` row keeps (`counts`) and a fan-out parent reads back.

`localise` returns a `RunResult` (one `LocaleSummary` per locale), `translate_docs` a
`DocsRunResult` (one `DocSummary` per document and locale). The key order of every dict is
part of the CLI's output: keep it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from locflow.db.run_repo import UsageTotals
from locflow.pipeline.docs import DocsSyncReport
from locflow.pipeline.docs_export import DocResult
from locflow.pipeline.export import FileResult
from locflow.pipeline.fan_in import ChildRun, FanOutResult
from locflow.pipeline.gaps import (
    Gap,
    demoted_gaps,
    document_gaps,
    locale_gaps,
    transient_gap,
)
from locflow.pipeline.summary import COMPLETED, FAILED, STOPPED, LocaleSummary, settled
from locflow.pipeline.sync import SyncReport


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
    usage: UsageTotals | None = None
    """What the run spent, all locales together, from the usage ledger (`run_spent`);
    None: not read yet (the locales' own ledger numbers are added up instead)."""

    def stop(self, message: str) -> None:
        self.status, self.message = STOPPED, message

    def totals(self) -> dict[str, Any]:
        """The run in numbers, blocks apart from requests: blocks are what was translated,
        requests the HTTP attempts sent (a packed request carries several blocks, a retried
        block takes several requests, a block from memory none), tokens the paid usage."""
        xs = list(self.locales.values())
        usage = self.usage
        if usage is None:
            usage = UsageTotals(
                requests=sum(x.requests for x in xs),
                paid_requests=sum(x.paid_requests for x in xs),
                tokens_in=sum(x.tokens_in for x in xs),
                tokens_out=sum(x.tokens_out for x in xs),
                cost=sum(x.cost for x in xs),
            )
        return {
            "blocks_translated": sum(
                x.counts.machine + x.counts.needs_review - x.engine_errors for x in xs
            ),
            "blocks_from_memory": sum(x.counts.reused for x in xs),
            "blocks_refused": sum(x.engine_errors for x in xs),
            "blocks_deferred": sum(x.counts.deferred for x in xs),
            "texts_sent": usage.strings,
            "requests": usage.requests,
            "paid_requests": usage.paid_requests,
            "tokens_in": usage.tokens_in,
            "tokens_out": usage.tokens_out,
            "cost": round(usage.total_cost, 6),
        }

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
        out += [f"{p} [{d.doc.locale}]" for d in self.docs for p in d.doc.demoted]
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
        out["totals"] = self.totals()
        return out

    def recorded_counts(self) -> dict[str, Any]:
        """What the run's `runs` row keeps in `counts`."""
        totals = self.totals()
        return {
            "requests": totals["requests"],
            "paid_requests": totals["paid_requests"],
            "blocks": totals["blocks_translated"],
            "tokens_in": totals["tokens_in"],
            "tokens_out": totals["tokens_out"],
            "locales": {k: v.docs_dict() for k, v in self.locales.items()},
            "docs_written": sum(1 for d in self.docs if d.doc.written),
            "docs_failed": sum(1 for d in self.docs if d.doc.failed),
        }


def docs_spend_line(totals: Mapping[str, Any]) -> str:
    """A docs run's `totals` in words: blocks (what was translated) apart from requests
    (what was sent to the engine: HTTP requests, or calls of the offline pseudo engine) and
    tokens, never one for the other."""
    n = totals.get
    line = (
        f"{n('blocks_translated', 0)} blocks translated by the engine, "
        f"{n('blocks_from_memory', 0)} from memory; "
        f"{n('requests', 0)} requests ({n('paid_requests', 0)} paid), "
        f"{n('tokens_in', 0) + n('tokens_out', 0):,} tokens, ${n('cost', 0.0):.4f}"
    )
    refused = n("blocks_refused", 0)
    return line + (f"; {refused} blocks refused" if refused else "")


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
