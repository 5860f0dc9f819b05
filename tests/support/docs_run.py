"""The docs pipeline without Prefect, for tests: sync -> plan (docs only) -> translate with
the pseudo engine -> store, every locale, then export."""

from __future__ import annotations

import asyncio

from locflow.connectors.engines.pseudo import PseudoEngine
from locflow.connectors.engines.registry import create_engine
from locflow.db import repo
from locflow.pipeline import units
from locflow.pipeline.batches import translate_batch
from locflow.pipeline.budget import Budget
from locflow.pipeline.docs import DocsSyncReport, plan_docs, sync_docs
from locflow.pipeline.docs_export import DocResult, export_docs
from locflow.pipeline.results import DocsRunResult
from locflow.pipeline.runner import LoopRunner
from locflow.pipeline.summary import LocaleSummary
from locflow.pipeline.translate import StoreCounts, jobs_of, store_outcomes, translate_jobs
from locflow.settings import Config


def sync(Session, config: Config) -> DocsSyncReport:
    with Session() as s, s.begin():
        return sync_docs(s, config)


def translate_all(Session, config: Config) -> StoreCounts:
    """Sync, then translate every queued block of every locale (pseudo); no run row."""
    assert sync(Session, config).problems == []
    engine, total = PseudoEngine(), StoreCounts()
    for locale in config.locales:
        with Session() as s, s.begin():
            project = repo.get_or_create_project(s, config.project, config.source_locale)
            plan = plan_docs(s, project, locale)
        outcomes = asyncio.run(translate_jobs(engine, jobs_of(plan), config.source_locale))
        with Session() as s, s.begin():
            total.add(
                store_outcomes(
                    s,
                    outcomes,
                    source_locale=config.source_locale,
                    engine_name="pseudo",
                    run_id=None,
                )
            )
    return total


def export(Session, config: Config) -> list[DocResult]:
    with Session() as s, s.begin():
        return export_docs(s, config)


def docs_run(config, locales: list[str]) -> DocsRunResult:
    """What the translate_docs flow does, with the plain step functions (no Prefect)."""
    run_id = units.start_run(config, "translate_docs")
    result = DocsRunResult(run_id, "")
    engine = create_engine(config.engine)
    with LoopRunner() as runner:
        for locale in locales:
            summary = result.locales[locale] = LocaleSummary(locale)
            plan = units.plan_documents(config, locale, None)
            summary.planned(plan)
            done = translate_batch(config, engine, runner, jobs_of(plan), run_id, Budget(None))
            summary.add(done)
    result.docs = units.doc_summaries(config, run_id, units.export_documents(config, locales))
    result.usage = units.run_spent(config, run_id)
    result.settle()
    units.finish_run(config, run_id, result.status, result.recorded_counts(), result.message)
    return result
