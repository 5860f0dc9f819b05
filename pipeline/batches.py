"""Strings go to the engine in stored batches: up to the engine's concurrency batches are in
flight at once, each translated and stored in its own transaction, within the budget. A
crash re-sends at most one batch per concurrency slot; a stop (a cost cap, a fatal engine
error) lets the batches already sent finish and be stored."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from functools import partial
from typing import Protocol

from locflow.connectors.engines.base import Engine
from locflow.pipeline.budget import Budget
from locflow.pipeline.cost import prices_for
from locflow.pipeline.results import BatchResult
from locflow.pipeline.runner import LoopRunner
from locflow.pipeline.translate import Job, store_outcomes, translate_jobs
from locflow.pipeline.units import sessions
from locflow.settings import Config

BATCH = 40
"""Strings per stored batch."""


class Pending(Protocol):
    """A batch on its way (a Prefect future, or anything with `result()`)."""

    def result(self) -> BatchResult: ...


def translate_batch(
    config: Config, engine: Engine, runner: LoopRunner, jobs: Sequence[Job], run_id: int
) -> BatchResult:
    """Translate `jobs` and store the results, checked, in one transaction."""
    outcomes = runner.run(translate_jobs(engine, jobs, config.source_locale))
    prices = prices_for(config.engine)
    with sessions(config.database_url)() as s, s.begin():
        counts = store_outcomes(
            s,
            outcomes,
            source_locale=config.source_locale,
            engine_name=engine.name,
            run_id=run_id,
            cost_of=prices.cost,
        )
    tin = sum(o.tokens_in for o in outcomes)
    tout = sum(o.tokens_out for o in outcomes)
    return BatchResult(counts, sum(o.requests for o in outcomes), tin, tout, prices.cost(tin, tout))


def send_batches(
    jobs: Sequence[Job],
    submit: Callable[[list[Job]], Pending],
    *,
    window: int,
    budget: Budget,
    estimate: Callable[[list[Job]], float],
    on_done: Callable[[BatchResult, int], None],
    size: int = BATCH,
) -> None:
    """Submit `jobs` in batches of `size`, at most `window` in flight, each within the
    budget (`estimate`: a batch's expected cost). `on_done(result, strings finished so far)`
    is called per batch, in order. CostCapReached stops the sending."""
    in_flight: deque[tuple[Pending, float, int]] = deque()
    finished = 0

    def settle_oldest() -> None:
        nonlocal finished
        pending, expected, count = in_flight.popleft()
        done = pending.result()
        budget.settle(expected, done.cost)
        finished += count
        on_done(done, finished)

    try:
        for start in range(0, len(jobs), size):
            batch = list(jobs[start : start + size])
            if len(in_flight) >= max(1, window):
                settle_oldest()
            expected = budget.reserve(partial(estimate, batch))
            in_flight.append((submit(batch), expected, len(batch)))
    finally:
        # batches already sent finish and are stored even when the run stops
        while in_flight:
            settle_oldest()
