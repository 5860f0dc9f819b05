"""What the `localise` and `translate_docs` flows share: the tasks that translate the chosen
locales' plans in one stream of batches, the run's Prefect id, and how a run stops cleanly."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.context import get_run_context
from prefect.task_runners import ThreadPoolTaskRunner

from locflow.connectors.engines.base import AdaptivePacking, Engine, Fatal, LocaleRefused
from locflow.connectors.engines.registry import sizing_for
from locflow.flows import report
from locflow.pipeline import batches, units
from locflow.pipeline.budget import Budget, CostCapReached
from locflow.pipeline.cost import estimate_jobs
from locflow.pipeline.plan import LocalePlan
from locflow.pipeline.progress import RunProgress
from locflow.pipeline.results import DocsRunResult, RunResult
from locflow.pipeline.runner import LoopRunner
from locflow.pipeline.stream import Window, batches_of, send_stream
from locflow.pipeline.summary import BatchResult, LocaleSummary
from locflow.pipeline.translate import Job, StoreCounts, jobs_of
from locflow.pipeline.units import store_memory_hits, translate_scope, work_locks
from locflow.settings import Config

TASK_THREADS = 64
"""Worker threads of a translating flow's task runner: batches in flight at most (a
submitted task waits for a free thread; each batch waits in its thread for the engine)."""


def task_runner() -> ThreadPoolTaskRunner:
    """The task runner of the flows that translate: enough threads for the stream's window
    (Prefect's default depends on PREFECT_TASKS_RUNNER_THREAD_POOL_MAX_WORKERS)."""
    return ThreadPoolTaskRunner(max_workers=TASK_THREADS)


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


def translate_locales(
    config: Config,
    engine: Engine,
    runner: LoopRunner,
    summaries: Mapping[str, LocaleSummary],
    run_id: int,
    budget: Budget,
    plan_for: Callable[[str], LocalePlan],
    label: Callable[[str], str] = str,
) -> None:
    """Plan every locale, store its memory hits, then translate them all in one stream of
    stored batches, holding every locale's lock so a concurrent run waits (taken in sorted
    order: two runs never wait for each other crosswise). A locale the engine refuses is
    left with its error, the others go on; a Fatal error or the cost cap stops the stream
    (what is stored stays). The summaries take the ledger's numbers in every case."""
    with work_locks(config, [translate_scope(locale) for locale in summaries], log_wait):
        jobs: dict[str, list[Job]] = {}
        for locale, summary in summaries.items():
            plan = plan_for(locale)
            summary.planned(plan)
            if plan.reused:
                summary.counts.add(store_reused_task(config, plan, run_id))
            jobs[locale] = jobs_of(plan)
        try:
            with adaptive_packing(config, engine):
                translate_stream(config, engine, runner, summaries, jobs, run_id, budget, label)
        except (Fatal, CostCapReached):  # a clean stop: the run goes on to report
            units.take_usage(config, run_id, dict(summaries))
            raise
        units.take_usage(config, run_id, dict(summaries))  # the ledger's numbers


@contextmanager
def adaptive_packing(config: Config, engine: Engine) -> Iterator[None]:
    """An engine whose pack sizes adapt starts from the sizes stored for it, and its sizes
    are stored when the block ends, a stopped run's too."""
    if not isinstance(engine, AdaptivePacking):
        yield
        return
    engine.resume_pack_sizes(units.stored_pack_sizes(config, engine.name))
    try:
        yield
    except BaseException:
        with suppress(Exception):  # the error that stops the run is the one to see
            units.store_pack_sizes(config, engine.name, engine.pack_sizes())
        raise
    units.store_pack_sizes(config, engine.name, engine.pack_sizes())


def translate_stream(
    config: Config,
    engine: Engine,
    runner: LoopRunner,
    summaries: Mapping[str, LocaleSummary],
    jobs: Mapping[str, list[Job]],
    run_id: int,
    budget: Budget,
    label: Callable[[str], str] = str,
) -> None:
    """Every locale's `jobs` as `translate-batch` tasks in one stream (pipeline/stream.py),
    each batch's result added up in its locale's summary."""
    totals = {locale: len(todo) for locale, todo in jobs.items()}

    def done(locale: str, batch: BatchResult, finished: int) -> None:
        summaries[locale].add(batch)
        if report.wants_progress():
            spent = units.run_spent(config, run_id)
            report.progress(
                RunProgress(
                    label(locale),
                    finished,
                    totals[locale],
                    requests=spent.requests,
                    tokens=spent.tokens,
                    cost=spent.total_cost,
                )
            )

    def refused(locale: str, exc: LocaleRefused) -> None:
        summaries[locale].error = str(exc)  # this locale only: the run ends partial
        get_run_logger().error("locale %s: %s", locale, exc)

    window = Window.for_engine(
        engine.limits().concurrency, sizing_for(config.engine).max_pack, most=TASK_THREADS
    )
    send_stream(
        batches_of(jobs),
        lambda batch: translate_batch_task.submit(
            config, engine, runner, list(batch.jobs), run_id, budget
        ),
        window=window,
        budget=budget,
        estimate=lambda batch: estimate_jobs(batch, config.engine, config.source_locale).cost,
        on_done=done,
        on_refused=refused,
    )
