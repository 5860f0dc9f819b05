"""One stored batch of strings: translated within the budget and stored in its own
transaction, with its row in the usage ledger. pipeline/stream.py decides how many are in
flight; a stop (a cost cap, a fatal engine error) lets the batches already sent finish and
be stored."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.orm import Session

from locflow.connectors.engines.base import Engine
from locflow.connectors.engines.spend import Hold, guarded
from locflow.db.run_repo import UsageTotals, add_usage
from locflow.pipeline.budget import Budget
from locflow.pipeline.cost import prices_for
from locflow.pipeline.runner import LoopRunner
from locflow.pipeline.summary import BatchResult
from locflow.pipeline.translate import Job, Outcome, store_outcomes, translate_jobs
from locflow.pipeline.units import sessions
from locflow.settings import Config, Prices


class Pending(Protocol):
    """A batch on its way (a Prefect future, or anything with `result()`)."""

    def result(self) -> BatchResult: ...


@dataclass
class BatchSpend:
    """One batch's requests, counted as they go through the run's budget (its SpendGuard):
    sent (HTTP attempts), paid (answered 2xx with usage: their tokens), and unanswered (an
    unknown outcome: charged the whole reservation, at `prices`)."""

    budget: Budget | None
    prices: Prices = field(default_factory=Prices)
    requests: int = 0
    paid_requests: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    unanswered_cost: float = 0.0

    def reserve(self, hold: Hold, *, final: bool = True) -> bool:
        admitted = self.budget.reserve(hold, final=final) if self.budget is not None else True
        self.requests += admitted
        return admitted

    def paid(self, hold: Hold, tokens_in: int, tokens_out: int) -> None:
        self.paid_requests += 1
        self.tokens_in += tokens_in
        self.tokens_out += tokens_out
        if self.budget is not None:
            self.budget.paid(hold, tokens_in, tokens_out)

    def unpaid(self, hold: Hold) -> None:
        if self.budget is not None:
            self.budget.unpaid(hold)

    def unknown(self, hold: Hold) -> None:
        self.unanswered_cost += self.prices.cost(hold.tokens_in, hold.tokens_out)
        if self.budget is not None:
            self.budget.unknown(hold)

    def usage(self, strings: int) -> UsageTotals:
        """What the batch spent, as its row in the ledger."""
        return UsageTotals(
            strings=strings,
            requests=self.requests,
            paid_requests=self.paid_requests,
            tokens_in=self.tokens_in,
            tokens_out=self.tokens_out,
            cost=self.prices.cost(self.tokens_in, self.tokens_out),
            unanswered_cost=self.unanswered_cost,
        )


async def translate_guarded(
    engine: Engine, jobs: Sequence[Job], source_locale: str, spend: BatchSpend
) -> list[Outcome]:
    """`translate_jobs` with every request the engine sends reserved in `spend`."""
    with guarded(spend):
        return await translate_jobs(engine, jobs, source_locale)


def translate_batch(
    config: Config,
    engine: Engine,
    runner: LoopRunner,
    jobs: Sequence[Job],
    run_id: int | None,
    budget: Budget | None = None,
) -> BatchResult:
    """Translate `jobs` within `budget` and store the results, checked, with the batch's row
    in the usage ledger (one per locale; none outside a run), in one transaction."""
    prices = prices_for(config.engine)
    spend = BatchSpend(budget, prices)
    try:
        outcomes = runner.run(translate_guarded(engine, jobs, config.source_locale, spend))
    except BaseException:  # a fatal engine error, a signal: what was sent is still spent
        if run_id is not None and spend.requests:
            with suppress(Exception), sessions(config.database_url)() as s, s.begin():
                _add_usage(s, run_id, jobs, spend, stored=False)
        raise
    with sessions(config.database_url)() as s, s.begin():
        counts = store_outcomes(
            s,
            outcomes,
            source_locale=config.source_locale,
            engine_name=engine.name,
            run_id=run_id,
            cost_of=prices.cost,
        )
        if run_id is not None:
            _add_usage(s, run_id, jobs, spend)
    usage = spend.usage(len(jobs))
    return BatchResult(
        retry=worth_retrying(outcomes, budget),
        counts=counts,
        strings=usage.strings,
        requests=usage.requests,
        paid_requests=usage.paid_requests,
        tokens_in=usage.tokens_in,
        tokens_out=usage.tokens_out,
        cost=usage.cost,
        unanswered_cost=usage.unanswered_cost,
    )


def worth_retrying(outcomes: Sequence[Outcome], budget: Budget | None) -> tuple[Job, ...]:
    """The deferred jobs a last pass may send again: those a transient failure or throttling
    deferred. The cost cap defers strings only once it is reached (a request that cannot fit
    stops the run: budget.reserve), and then nothing is sent again."""
    if budget is not None and budget.exhausted:
        return ()
    return tuple(o.job for o in outcomes if o.retry_later)


def _add_usage(
    s: Session, run_id: int, jobs: Sequence[Job], spend: BatchSpend, *, stored: bool = True
) -> None:
    """The batch's rows in the ledger: one per locale (a batch is one locale's; should one
    mix locales, the spending goes to the first). `stored`: its strings were stored (else
    it counts none)."""
    per_locale: dict[str, int] = {}
    for job in jobs:
        per_locale[job.lead.locale] = per_locale.get(job.lead.locale, 0) + 1
    for i, (locale, strings) in enumerate(per_locale.items()):
        n = strings if stored else 0
        add_usage(s, run_id, locale, spend.usage(n) if i == 0 else UsageTotals(strings=n))
