"""A fan-out parent's view of its children (flows/scale.py): what their `runs` rows, in the
parent's own database, say they did."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from locflow.pipeline.summary import (
    COMPLETED,
    FAILED,
    STOPPED,
    LocaleSummary,
    add_engine_stats,
)


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
