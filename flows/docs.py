"""The `translate_docs` Prefect flow: sync the `[[docs]]`, translate what changed, write the
translated documents. Tasks are thin wrappers over plain functions in pipeline/units.py.

With `changed_since` (a git ref) only the blocks of documents changed since that ref reach
the engine; every document is still synced (cheap) and exported, so the outputs stay
complete. Unchanged paragraphs keep their versions: only new or changed blocks are sent.
"""

from __future__ import annotations

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from locflow.connectors.engines.registry import create_engine
from locflow.flows import report
from locflow.flows.common import flow_run_id, log_wait, stopping, task_runner, translate_locales
from locflow.pipeline import heartbeat, units
from locflow.pipeline.budget import Budget
from locflow.pipeline.docs import DocsSyncReport
from locflow.pipeline.docs_export import DocResult
from locflow.pipeline.plan import LocalePlan
from locflow.pipeline.results import DocsRunResult
from locflow.pipeline.runner import LoopRunner
from locflow.pipeline.summary import LocaleSummary
from locflow.settings import Config, load_config


@task(name="discover-docs", cache_policy=NO_CACHE)
def discover_task(config: Config, changed: str | None) -> tuple[list[str], list[str] | None]:
    """All doc names, and those changed since the ref (None: no ref given)."""
    return units.find_docs(config, changed)


@task(name="sync-docs", cache_policy=NO_CACHE)
def sync_docs_task(config: Config) -> DocsSyncReport:
    return units.sync_documents(config, log_wait)


@task(name="plan-docs", cache_policy=NO_CACHE)
def plan_docs_task(config: Config, locale: str, names: list[str] | None) -> LocalePlan:
    return units.plan_documents(config, locale, names)


@task(name="export-docs", cache_policy=NO_CACHE)
def export_docs_task(config: Config, locales: list[str]) -> list[DocResult]:
    return units.export_documents(config, locales, log_wait)


def translate_blocks(
    config: Config, locales: list[str], names: list[str] | None, result: DocsRunResult
) -> None:
    """Translate the blocks of the docs `names` (all when None), every locale in one stream
    of batches."""
    engine = create_engine(config.engine)
    summaries = {locale: LocaleSummary(locale) for locale in locales}
    result.locales.update(summaries)

    def plan_for(locale: str) -> LocalePlan:
        return plan_docs_task(config, locale, names)

    with LoopRunner() as runner:
        translate_locales(
            config, engine, runner, summaries, result.run_id, Budget(None), plan_for, _label
        )


def _label(locale: str) -> str:
    return f"docs {locale}"


@flow(name="translate_docs", log_prints=True, task_runner=task_runner())
def translate_docs(
    config_path: str | None = None,
    locales: list[str] | None = None,
    changed_since: str | None = None,
) -> DocsRunResult:
    """Sync the docs, translate the blocks of the docs changed since `changed_since` (all
    docs when None), and write every translated document that passes its structure check."""
    config = load_config(config_path)
    chosen = list(locales or config.locales)
    names, selected = discover_task(config, changed_since)
    run_id = units.start_run(config, "translate_docs", flow_run_id())
    result = DocsRunResult(run_id, flow_run_id(), changed_since=changed_since)
    result.selected = selected if selected is not None else names
    docs: list[DocResult] = []
    try:
        with stopping(result):
            result.sync = sync_docs_task(config)
            if selected is None or selected:
                translate_blocks(config, chosen, selected, result)
        docs = export_docs_task(config, chosen)
    except BaseException as exc:  # the row ends in every path: failed, or interrupted
        result.status, result.message = heartbeat.ended_by(exc)
        raise
    finally:
        try:
            result.docs = units.doc_summaries(config, run_id, docs)  # a failing run too
            result.usage = units.run_spent(config, run_id)  # requests and tokens: the ledger's
            result.settle()  # completed, or partial when docs or blocks were left undone
        finally:
            units.finish_run(
                config, run_id, result.status, result.recorded_counts(), result.message
            )
    report.publish_docs_summary(result)
    return result
