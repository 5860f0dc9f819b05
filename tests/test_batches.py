"""The run's stream of batches and the cost cap as plain functions (pipeline/stream.py,
budget.py): no Prefect, no engine; a batch is "sent" when submitted and "finishes" when
its result is read, and its one request is charged then, through the budget as an
engine's would be."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field

import pytest

from locflow.connectors.engines.base import OverBudget
from locflow.connectors.engines.spend import Hold
from locflow.pipeline.budget import Budget, CostCapReached
from locflow.pipeline.stream import Batch, Window, batches_of, send_stream
from locflow.pipeline.summary import BatchResult
from locflow.pipeline.translate import StoreCounts
from locflow.settings import Prices

DOLLAR_A_TOKEN = Prices(1e6, 1e6)
"""Prices at which one token costs $1, so holds read as dollars."""


@dataclass
class Line:
    """Batches submitted and finished, in order; each costs `cost` and makes one request
    per job."""

    cost: float = 1.0
    budget: Budget | None = None
    """Charged `cost` per finished batch, through the engines' reserve/paid calls."""
    fail_on: int | None = None
    """Submitting this batch (1-based) raises, as a stopped engine would."""
    events: list[str] = field(default_factory=list)
    done: list[tuple[int, int]] = field(default_factory=list)
    """(requests of the batch, strings finished so far) per on_done call."""

    def submit(self, batch: Batch) -> Pending:
        n = sum(1 for e in self.events if e.startswith("send")) + 1
        if n == self.fail_on:
            raise RuntimeError("engine gone")
        self.events.append(f"send {n}")
        return Pending(self, n, len(batch.jobs))

    def on_done(self, locale: str, result: BatchResult, finished: int) -> None:
        self.done.append((result.requests, finished))

    def in_flight_at_most(self) -> int:
        flying = peak = 0
        for e in self.events:
            flying += 1 if e.startswith("send") else -1
            peak = max(peak, flying)
        return peak


@dataclass
class Pending:
    line: Line
    n: int
    size: int

    def result(self) -> BatchResult:
        self.line.events.append(f"done {self.n}")
        budget, cost = self.line.budget, int(self.line.cost)
        if budget is not None:
            hold = Hold(cost, 0)
            assert budget.reserve(hold)
            budget.paid(hold, cost, 0)
        return BatchResult(
            counts=StoreCounts(machine=self.size),
            strings=self.size,
            requests=self.size,
            paid_requests=self.size,
            tokens_in=0,
            tokens_out=0,
            cost=self.line.cost,
        )


def _send(line: Line, jobs: int, budget: Budget, window: int = 2, size: int = 3) -> None:
    stream(line.submit, line, list(range(jobs)), budget, window, size, lambda batch: line.cost)


def stream(submit, line: Line, jobs: list, budget: Budget, window: int, size: int, estimate):  # type: ignore[no-untyped-def]
    """One locale's `jobs` (the loop never looks inside one) through the run's stream, at
    most `window` batches in flight."""
    most = max(1, window)

    def refused(locale: str, exc: Exception) -> None:
        raise AssertionError(f"{locale} refused: {exc}")

    send_stream(
        batches_of({"de": jobs}, size),
        submit,
        window=Window(0, most, most),
        budget=budget,
        estimate=estimate,
        on_done=line.on_done,
        on_refused=refused,
        size=size,
    )


def test_batches_go_out_up_to_the_window_and_finish_in_order() -> None:
    line = Line()
    _send(line, jobs=10, budget=Budget(None), window=2, size=3)
    assert line.events == [
        "send 1", "send 2", "done 1", "send 3", "done 2", "send 4", "done 3", "done 4",
    ]  # fmt: skip
    assert line.in_flight_at_most() == 2
    assert line.done == [(3, 3), (3, 6), (3, 9), (1, 10)]


def test_a_window_of_zero_still_sends_one_batch_at_a_time() -> None:
    line = Line()
    _send(line, jobs=4, budget=Budget(None), window=0, size=2)
    assert line.events == ["send 1", "done 1", "send 2", "done 2"]


def test_a_batch_whose_estimate_does_not_fit_what_is_left_is_not_started() -> None:
    budget = Budget(2.5, DOLLAR_A_TOKEN)
    line = Line(cost=1.0, budget=budget)
    with pytest.raises(CostCapReached, match=r"spent \$2\.0000 of \$2\.5000.*about \$1\.0000"):
        _send(line, jobs=9, budget=budget, window=1, size=3)
    # two batches finished ($2 spent); the third would need $1 more: over 2.5, never sent
    assert line.events == ["send 1", "done 1", "send 2", "done 2"]
    assert (budget.spent, budget.reserved) == (2.0, 0.0)
    assert [finished for _, finished in line.done] == [3, 6]


def test_without_a_cap_nothing_is_estimated() -> None:
    def estimate() -> float:
        raise AssertionError("estimated without a cap")

    Budget(None).check(estimate)


def test_a_request_that_does_not_fit_waits_for_those_out_then_stops_the_run() -> None:
    budget = Budget(10.0, DOLLAR_A_TOKEN)
    first, second = Hold(6, 0), Hold(5, 0)
    assert budget.reserve(first)
    assert not budget.reserve(second)  # 6 reserved + 5 > 10: wait, the first may cost less
    budget.paid(first, 4, 0)
    assert budget.reserve(second) and (budget.spent, budget.reserved) == (4.0, 5.0)
    budget.paid(second, 5, 0)
    with pytest.raises(OverBudget, match=r"cost cap reached: spent \$9\.0000 of \$10\.0000"):
        budget.reserve(Hold(2, 0))  # nothing is out and it cannot fit: the run stops
    assert budget.exhausted
    with pytest.raises(OverBudget):
        budget.reserve(Hold(1, 0))  # would fit, but nothing more is sent after a stop
    with pytest.raises(CostCapReached):
        budget.check(lambda: 0.0)


def test_a_pack_that_does_not_fit_is_refused_without_stopping_the_run() -> None:
    budget = Budget(3.0, DOLLAR_A_TOKEN)
    with pytest.raises(OverBudget):
        budget.reserve(Hold(4, 0), final=False)  # its engine splits it
    assert not budget.exhausted and budget.reserve(Hold(2, 0))


def test_each_outcome_is_charged_as_the_provider_may_bill_it() -> None:
    budget = Budget(None, Prices(1e6, 2e6))
    paid, unpaid, unknown = Hold(3, 10), Hold(3, 10), Hold(3, 10)
    for hold in (paid, unpaid, unknown):
        assert budget.reserve(hold)
    assert budget.reserved == 3 * 23.0
    budget.paid(paid, 2, 4)  # answered with usage: what the usage costs
    budget.unpaid(unpaid)  # answered with an error: nothing
    budget.unknown(unknown)  # no answer: the whole reservation
    assert (budget.spent, budget.reserved, budget.out) == (10.0 + 23.0, 0.0, 0)


def test_requests_stopped_in_the_last_batch_stop_the_run() -> None:
    budget = Budget(1.0, DOLLAR_A_TOKEN)
    line = Line(cost=0.0)

    def stopped_inside(batch: Batch) -> Pending:
        with pytest.raises(OverBudget):
            budget.reserve(Hold(5, 0))  # a request the batch's engine could not send
        return line.submit(batch)

    with pytest.raises(CostCapReached):
        stream(stopped_inside, line, [0, 1], budget, 1, 2, lambda batch: 0.0)
    assert line.events == ["send 1", "done 1"]


def test_a_stop_while_sending_lets_the_batches_in_flight_finish() -> None:
    line = Line(fail_on=3)
    with pytest.raises(RuntimeError, match="engine gone"):
        _send(line, jobs=12, budget=Budget(None), window=2, size=3)
    assert line.events == ["send 1", "send 2", "done 1", "done 2"]
    assert len(line.done) == 2


def test_the_pipeline_imports_no_prefect() -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        "import locflow.pipeline as p\n"
        "for m in pkgutil.iter_modules(p.__path__):\n"
        "    importlib.import_module('locflow.pipeline.' + m.name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'prefect'))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
