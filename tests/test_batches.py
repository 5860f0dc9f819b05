"""The batch loop and the cost cap as plain functions (pipeline/batches.py, budget.py): no
Prefect, no engine; a batch is "sent" when submitted and "finishes" when its result is read."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field

import pytest

from locflow.pipeline.batches import send_batches
from locflow.pipeline.budget import Budget, CostCapReached
from locflow.pipeline.results import BatchResult
from locflow.pipeline.translate import StoreCounts


@dataclass
class Line:
    """Batches submitted and finished, in order; each costs `cost` and makes one request
    per job."""

    cost: float = 1.0
    fail_on: int | None = None
    """Submitting this batch (1-based) raises, as a stopped engine would."""
    events: list[str] = field(default_factory=list)
    done: list[tuple[int, int]] = field(default_factory=list)
    """(requests of the batch, strings finished so far) per on_done call."""

    def submit(self, batch: list) -> Pending:
        n = sum(1 for e in self.events if e.startswith("send")) + 1
        if n == self.fail_on:
            raise RuntimeError("engine gone")
        self.events.append(f"send {n}")
        return Pending(self, n, len(batch))

    def on_done(self, result: BatchResult, finished: int) -> None:
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
        return BatchResult(StoreCounts(machine=self.size), self.size, 0, 0, self.line.cost)


def _send(line: Line, jobs: int, budget: Budget, window: int = 2, size: int = 3) -> None:
    send_batches(
        list(range(jobs)),  # type: ignore[arg-type]  # the loop never looks inside a job
        line.submit,
        window=window,
        budget=budget,
        estimate=lambda batch: line.cost,
        on_done=line.on_done,
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


def test_the_cost_cap_stops_before_a_batch_that_would_pass_it_and_keeps_the_sent_ones() -> None:
    line = Line(cost=1.0)
    budget = Budget(2.5)
    with pytest.raises(CostCapReached, match=r"spent \$1\.0000 of \$2\.5000.*about \$1\.0000"):
        _send(line, jobs=9, budget=budget, window=2, size=3)
    # two batches were sent (2.0 reserved); the third waits for one to finish (1.0 spent,
    # 1.0 reserved) and would need 1.0 more: over 2.5, so it is never sent
    assert line.events == ["send 1", "send 2", "done 1", "done 2"]
    assert (budget.spent, budget.reserved) == (2.0, 0.0)
    assert [finished for _, finished in line.done] == [3, 6]


def test_without_a_cap_nothing_is_estimated() -> None:
    def estimate() -> float:
        raise AssertionError("estimated without a cap")

    assert Budget(None).reserve(estimate) == 0.0


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
