"""Prefect flows: `localise` (sync -> plan -> translate -> check/store -> export) and
`publish` (approved -> files). Tasks are thin wrappers over plain functions in flows/steps;
the database, not Prefect's cache, decides what is already done, so a crashed run resumes
by running again."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.context import get_run_context
from prefect.futures import PrefectFuture

from locflow.connectors.engines.base import Engine, Fatal
from locflow.db import repo, run_repo
from locflow.flows import report, scale
from locflow.pipeline import units as jobs
from locflow.pipeline.cost import estimate_jobs, prices_for
from locflow.pipeline.export import FileResult
from locflow.pipeline.plan import LocalePlan, apply_glossary_changes
from locflow.pipeline.runner import LoopRunner
from locflow.pipeline.sync import SyncReport
from locflow.pipeline.terms import compliance
from locflow.pipeline.translate import (
    Job,
    StoreCounts,
    jobs_of,
    store_outcomes,
    store_reused,
    translate_jobs,
)
from locflow.pipeline.units import sessions
from locflow.settings import Config, load_config

BATCH = 40
"""Strings per stored batch. Up to the engine's concurrency batches are in flight at once,
so a crash re-sends at most one batch per concurrency slot."""


@dataclass
class LocaleSummary:
    locale: str
    queued: int = 0
    up_to_date: int = 0
    requests: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    glossary_stale: int = 0
    glossary_flagged: int = 0
    glossary_compliance: float | None = None
    counts: StoreCounts = field(default_factory=StoreCounts)

    def add(self, done: BatchResult) -> None:
        self.counts.add(done.counts)
        self.requests += done.requests
        self.tokens_in += done.tokens_in
        self.tokens_out += done.tokens_out
        self.cost += done.cost


@dataclass(frozen=True)
class BatchResult:
    counts: StoreCounts
    requests: int
    tokens_in: int
    tokens_out: int
    cost: float


@dataclass
class Budget:
    limit: float | None
    spent: float = 0.0
    reserved: float = 0.0
    """Estimated cost of batches sent but not finished."""


@task(name="sync", cache_policy=NO_CACHE)
def sync_task(config: Config, locales: list[str], dry_run: bool = False) -> SyncReport:
    return jobs.sync_catalogues(config, locales, dry_run, _log_wait)


@task(name="plan", cache_policy=NO_CACHE)
def plan_task(config: Config, locale: str) -> LocalePlan:
    return jobs.plan(config, locale)


@task(name="apply-glossary-changes", cache_policy=NO_CACHE)
def glossary_changes_task(config: Config, plan: LocalePlan) -> None:
    with sessions(config.database_url)() as s, s.begin():
        apply_glossary_changes(s, plan)


@task(name="glossary-compliance", cache_policy=NO_CACHE)
def compliance_task(config: Config, locale: str) -> float | None:
    with sessions(config.database_url)() as s:
        project = repo.get_or_create_project(s, config.project, config.source_locale)
        return compliance(s, project, locale).percent


@task(name="store-memory-hits", cache_policy=NO_CACHE)
def store_reused_task(config: Config, plan: LocalePlan, run_id: int) -> StoreCounts:
    with sessions(config.database_url)() as s, s.begin():
        return store_reused(s, plan.reused, run_id=run_id)


@task(name="translate-batch", cache_policy=NO_CACHE)
def translate_batch_task(
    config: Config, engine: Engine, runner: LoopRunner, jobs: list[Job], run_id: int
) -> BatchResult:
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


@task(name="export", cache_policy=NO_CACHE)
def export_task(config: Config, locales: list[str], dry_run: bool = False) -> list[FileResult]:
    return jobs.export_catalogues(config, locales, dry_run, _log_wait)


def _log_wait(message: str) -> None:
    get_run_logger().warning("another run holds %s", message)


def _flow_run_id() -> str:
    try:
        ctx = get_run_context()
        return str(ctx.flow_run.id) if getattr(ctx, "flow_run", None) else ""
    except Exception:
        return ""


class CostCapReached(RuntimeError):
    pass


def _translate_locale(
    config: Config,
    engine: Engine,
    runner: LoopRunner,
    summary: LocaleSummary,
    run_id: int,
    budget: Budget,
) -> None:
    """Plan, reuse and translate one locale, holding its lock so a concurrent run waits."""
    with jobs.work_lock(config, jobs.translate_scope(summary.locale), _log_wait):
        plan = plan_task(config, summary.locale)
        summary.queued, summary.up_to_date = plan.queued_items, plan.up_to_date
        summary.glossary_stale = len(plan.stale_by_glossary)
        summary.glossary_flagged = len(plan.flagged_by_glossary)
        if plan.stale_by_glossary or plan.flagged_by_glossary:
            glossary_changes_task(config, plan)
        if plan.reused:
            summary.counts.add(store_reused_task(config, plan, run_id))
        send_batches(config, engine, runner, summary, jobs_of(plan), run_id, budget)


def send_batches(
    config: Config,
    engine: Engine,
    runner: LoopRunner,
    summary: LocaleSummary | Any,
    jobs: list[Job],
    run_id: int,
    budget: Budget,
    label: str = "",
) -> None:
    """Translate and store `jobs` in batches of BATCH, up to the engine's concurrency in
    flight, within the budget; `summary` (anything with `add(BatchResult)`) adds them up."""
    batches = [jobs[i : i + BATCH] for i in range(0, len(jobs), BATCH)]
    window = max(1, engine.limits().concurrency)
    in_flight: deque[tuple[PrefectFuture[BatchResult], float, int]] = deque()
    finished = 0

    def settle_oldest() -> None:
        nonlocal finished
        future, expected, size = in_flight.popleft()
        budget.reserved -= expected
        done = future.result()
        budget.spent += done.cost
        summary.add(done)
        finished += size
        report.progress(label or summary.locale, finished, len(jobs))

    try:
        for batch in batches:
            if len(in_flight) >= window:
                settle_oldest()
            expected = 0.0
            if budget.limit is not None:
                expected = estimate_jobs(batch, config.engine, config.source_locale).cost
                committed = budget.spent + budget.reserved
                if committed + expected > budget.limit:
                    raise CostCapReached(
                        f"cost cap reached: spent ${budget.spent:.4f} of ${budget.limit:.4f}; "
                        f"the next batch would need about ${expected:.4f}. Work so far is stored."
                    )
            budget.reserved += expected
            future = translate_batch_task.submit(config, engine, runner, batch, run_id)
            in_flight.append((future, expected, len(batch)))
    finally:
        # batches already sent finish and are stored even when the run stops
        while in_flight:
            settle_oldest()


@flow(name="localise", log_prints=True)
def localise(
    config_path: str | None = None,
    locales: list[str] | None = None,
    sync: bool = True,
    translate: bool = True,
    export: bool = True,
    max_cost: float | None = None,
    fan_out: bool = False,
) -> dict[str, Any]:
    """Sync, translate what is missing or stale, check, store and export. `fan_out`: the
    translation runs as one deployment run per locale spread over a work pool's workers
    (see flows/scale.py); sync and export stay here."""
    config = load_config(config_path)
    chosen = list(locales or config.locales)
    Session = sessions(config.database_url)
    with Session() as s, s.begin():
        project = repo.get_or_create_project(s, config.project, config.source_locale)
        run_id = run_repo.start_run(s, project, "localise", _flow_run_id()).id
    result: dict[str, Any] = {
        "run_id": run_id,
        "flow_run_id": _flow_run_id(),
        "locales": {},
        "files": [],
        "status": "completed",
    }
    summaries: list[LocaleSummary] = []
    engine: Engine | None = None
    try:
        if sync:
            result["sync"] = sync_task(config, chosen).as_dict()
        if translate and fan_out:
            result.update(scale.fan_out(config, chosen, max_cost))
        elif translate:
            engine = scale.run_engine(config.engine)
            budget = Budget(max_cost)
            with LoopRunner() as runner:
                for locale in chosen:
                    summaries.append(LocaleSummary(locale))
                    _translate_locale(config, engine, runner, summaries[-1], run_id, budget)
                    summaries[-1].glossary_compliance = compliance_task(config, locale)
    except (Fatal, CostCapReached) as exc:
        result["status"], result["message"] = "stopped", str(exc)
        get_run_logger().error("run stopped: %s", exc)
    finally:
        result["locales"].update({x.locale: report.locale_dict(x) for x in summaries})
        engine_stats = engine.stats() if engine is not None else None
        if engine_stats is not None:
            result["engine"] = engine_stats.as_dict()
    try:
        if export:
            result["files"] = [f.__dict__ for f in export_task(config, chosen)]
    finally:
        with Session() as s, s.begin():
            run_repo.finish_run(
                s, run_id, result["status"], report.run_counts(result), result.get("message", "")
            )
    report.publish_artifacts(result)
    if result["status"] == "failed":
        raise scale.FanOutFailed(result["message"])
    return result


@flow(name="publish")
def publish(
    config_path: str | None = None, locales: list[str] | None = None, dry_run: bool = False
) -> dict[str, Any]:
    """Write approved translations (and machine output by policy) to the catalogues."""
    config = load_config(config_path)
    files = export_task(config, list(locales or config.locales), dry_run)
    return {"files": [f.__dict__ for f in files], "status": "completed"}
