"""What the `localise` and `translate_docs` flows share: the tasks that translate a locale's
plan in batches, the run's Prefect id, and how a run stops cleanly."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.context import get_run_context

from locflow.connectors.engines.base import Engine, Fatal, LocaleRefused
from locflow.flows import report
from locflow.pipeline import batches, units
from locflow.pipeline.budget import Budget, CostCapReached
from locflow.pipeline.cost import estimate_jobs
from locflow.pipeline.plan import LocalePlan
from locflow.pipeline.progress import RunProgress
from locflow.pipeline.results import DocsRunResult, RunResult
from locflow.pipeline.runner import LoopRunner
from locflow.pipeline.summary import BatchResult, LocaleSummary
from locflow.pipeline.translate import Job, StoreCounts, jobs_of
from locflow.pipeline.units import store_memory_hits, translate_scope, work_lock
from locflow.settings import Config


def log_wait(message: str) -> None:
    get_run_logger().warning("another run holds %s", message)


def flow_run_id() -> str:
    """This flow run's Prefect id ("" outside a flow run)."""
    try:
        ctx = get_run_context()
    except Exception:  # outside a flow run
        return ""
    run = getattr(ctx, "flow_run", None)
    return str(run.id) if run is not None else ""


@contextmanager
def stopping(result: RunResult | DocsRunResult) -> Iterator[None]:
    """A fatal engine error or the cost cap stops the run cleanly: what is stored stays,
    and the run goes on to export it."""
    try:
        yield
    except (Fatal, CostCapReached) as exc:
        result.stop(str(exc))
        get_run_logger().error("run stopped: %s", exc)


@task(name="store-memory-hits", cache_policy=NO_CACHE)
def store_reused_task(config: Config, plan: LocalePlan, run_id: int) -> StoreCounts:
    return store_memory_hits(config, plan, run_id)


@task(name="translate-batch", cache_policy=NO_CACHE)
def translate_batch_task(
    config: Config,
    engine: Engine,
    runner: LoopRunner,
    jobs: list[Job],
    run_id: int,
    budget: Budget,
) -> BatchResult:
    return batches.translate_batch(config, engine, runner, jobs, run_id, budget)


def translate_locale(
    config: Config,
    engine: Engine,
    runner: LoopRunner,
    summary: LocaleSummary,
    run_id: int,
    budget: Budget,
    plan_for: Callable[[str], LocalePlan],
    label: str = "",
) -> None:
    """Plan a locale, store its memory hits and translate the rest, holding the locale's
    lock so a concurrent run waits."""
    with work_lock(config, translate_scope(summary.locale), log_wait):
        plan = plan_for(summary.locale)
        summary.planned(plan)
        if plan.reused:
            summary.counts.add(store_reused_task(config, plan, run_id))
        try:
            jobs = jobs_of(plan)
            translate_in_batches(config, engine, runner, summary, jobs, run_id, budget, label)
        except LocaleRefused as exc:  # this locale only: the others go on, the run is partial
            summary.error = str(exc)
            get_run_logger().error("locale %s: %s", summary.locale, exc)
        except (Fatal, CostCapReached):  # a clean stop: the run goes on to report
            units.take_usage(config, run_id, {summary.locale: summary})
            raise
        units.take_usage(config, run_id, {summary.locale: summary})  # the ledger's numbers


def translate_in_batches(
    config: Config,
    engine: Engine,
    runner: LoopRunner,
    summary: LocaleSummary,
    jobs: list[Job],
    run_id: int,
    budget: Budget,
    label: str = "",
) -> None:
    """`jobs` as `translate-batch` tasks, up to the engine's concurrency at once, added up
    in `summary` (see pipeline/batches.py)."""

    def done(batch: BatchResult, finished: int) -> None:
        summary.add(batch)
        if report.wants_progress():
            spent = units.run_spent(config, run_id)
            report.progress(
                RunProgress(
                    label or summary.locale,
                    finished,
                    len(jobs),
                    requests=spent.requests,
                    tokens=spent.tokens,
                    cost=spent.total_cost,
                )
            )

    batches.send_batches(
        jobs,
        lambda batch: translate_batch_task.submit(config, engine, runner, batch, run_id, budget),
        window=engine.limits().concurrency,
        budget=budget,
        estimate=lambda batch: estimate_jobs(batch, config.engine, config.source_locale).cost,
        on_done=done,
    )
