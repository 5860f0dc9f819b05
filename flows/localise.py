"""Prefect flows: `localise` (sync -> plan -> translate -> check/store -> export) and
`publish` (approved -> files). Tasks are thin wrappers over plain functions in pipeline/;
the database, not Prefect's cache, decides what is already done, so a crashed run resumes
by running again."""

from __future__ import annotations

from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from locflow.connectors.engines.base import Engine, Fatal
from locflow.flows import report, scale
from locflow.flows.common import (
    flow_run_id,
    log_wait,
    stopping,
    task_runner,
    translate_locales,
)
from locflow.pipeline import heartbeat, units
from locflow.pipeline.budget import Budget, CostCapReached
from locflow.pipeline.cost import prices_for
from locflow.pipeline.export import FileResult
from locflow.pipeline.plan import LocalePlan
from locflow.pipeline.results import PublishResult, RunResult
from locflow.pipeline.runner import LoopRunner
from locflow.pipeline.summary import FAILED, LocaleSummary
from locflow.pipeline.sync import SyncReport
from locflow.settings import Config, load_config


@task(name="sync", cache_policy=NO_CACHE)
def sync_task(config: Config, locales: list[str], dry_run: bool = False) -> SyncReport:
    return units.sync_catalogues(config, locales, dry_run, log_wait)


@task(name="plan", cache_policy=NO_CACHE)
def plan_task(config: Config, locale: str) -> LocalePlan:
    return units.plan(config, locale)


@task(name="apply-glossary-changes", cache_policy=NO_CACHE)
def glossary_changes_task(config: Config, plan: LocalePlan) -> None:
    units.apply_glossary(config, plan)


@task(name="glossary-compliance", cache_policy=NO_CACHE)
def compliance_task(config: Config, locale: str) -> float | None:
    return units.glossary_compliance(config, locale)


@task(name="export", cache_policy=NO_CACHE)
def export_task(config: Config, locales: list[str], dry_run: bool = False) -> list[FileResult]:
    return units.export_catalogues(config, locales, dry_run, log_wait)


def _plan_with_glossary(config: Config, locale: str) -> LocalePlan:
    plan = plan_task(config, locale)
    if plan.stale_by_glossary or plan.flagged_by_glossary:
        glossary_changes_task(config, plan)
    return plan


def _engine_stats(engine: Engine) -> dict[str, Any] | None:
    engine_stats = engine.stats()
    if engine_stats is not None:
        return engine_stats.as_dict()
    return None


def translate_here(
    config: Config, locales: list[str], max_cost: float | None, result: RunResult
) -> None:
    """Translate `locales` in this process, in one stream of batches, within `max_cost`."""
    engine = scale.run_engine(config.engine)
    budget = Budget(max_cost, prices_for(config.engine))
    summaries = {locale: LocaleSummary(locale) for locale in locales}
    result.locales.update(summaries)

    def plan_for(locale: str) -> LocalePlan:
        return _plan_with_glossary(config, locale)

    try:
        with LoopRunner() as runner:
            try:
                translate_locales(
                    config, engine, runner, summaries, result.run_id, budget, plan_for
                )
            except (Fatal, CostCapReached):  # a clean stop: what is stored is measured too
                _compliance(config, summaries)
                raise
            _compliance(config, summaries)
    finally:
        result.engine = _engine_stats(engine)


def _compliance(config: Config, summaries: dict[str, LocaleSummary]) -> None:
    for locale, summary in summaries.items():
        summary.glossary_compliance = compliance_task(config, locale)


@flow(name="localise", log_prints=True, task_runner=task_runner())
def localise(
    config_path: str | None = None,
    locales: list[str] | None = None,
    sync: bool = True,
    translate: bool = True,
    export: bool = True,
    max_cost: float | None = None,
    fan_out: bool = False,
    parent_run_id: int | None = None,
    parent_flow_run_id: str = "",
) -> RunResult:
    """Sync, translate what is missing or stale, check, store and export. `fan_out`: the
    translation runs as one deployment run per locale spread over a work pool's workers
    (see flows/scale.py); sync and export stay here. `parent_*`: the fan-out run that
    started this one (set by it)."""
    config = load_config(config_path)
    chosen = list(locales or config.locales)
    if parent_run_id is not None:
        scale.check_parent(config, parent_run_id, parent_flow_run_id)
    run_id = units.start_run(config, "localise", flow_run_id(), parent_run_id)
    result = RunResult(run_id, flow_run_id())
    try:
        with stopping(result):
            if sync:
                result.sync = sync_task(config, chosen)
            if translate and fan_out:
                fanned = scale.fan_out(config, chosen, max_cost, run_id, result.flow_run_id)
                result.take_fan_out(fanned)
                units.take_usage(config, result.run_id, result.locales)  # with the children's
                chosen = [x for x in chosen if x not in fanned.unreported]
            elif translate:
                translate_here(config, chosen, max_cost, result)
        if export and chosen:
            result.files = export_task(config, chosen)
    except BaseException as exc:  # the row ends in every path: failed, or interrupted
        result.status, result.message = heartbeat.ended_by(exc)
        raise
    finally:
        result.settle()  # completed, or partial when strings or entries were left undone
        units.finish_run(
            config, result.run_id, result.status, result.recorded_counts(), result.message
        )
    report.publish_artifacts(result)
    if result.status == FAILED:
        raise scale.FanOutFailed(result.message)
    return result


@flow(name="publish")
def publish(
    config_path: str | None = None, locales: list[str] | None = None, dry_run: bool = False
) -> PublishResult:
    """Write approved translations (and machine output by policy) to the catalogues."""
    config = load_config(config_path)
    return PublishResult.of(tuple(export_task(config, list(locales or config.locales), dry_run)))
