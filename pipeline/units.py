"""The units of work the Prefect tasks wrap, each in its own transaction, as plain
functions: the CLI calls them directly where no flow is needed (`locflow sync` does not
import Prefect). Work that two runs must not do at once holds a named lock (db.locks):
`catalogues` for sync and export (catalogues and documents), `translate:<locale>` for
planning and storing a locale.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from locflow.connectors.po import StagedWrites
from locflow.db import pack_repo, repo, run_repo
from locflow.db.base import utcnow
from locflow.db.locks import named_lock, named_locks
from locflow.db.models import Run
from locflow.db.session import open_database
from locflow.pipeline import heartbeat
from locflow.pipeline.docs import (
    DocsSyncReport,
    changed_since,
    discover_docs,
    discover_sites,
    plan_docs,
    sync_docs,
)
from locflow.pipeline.docs_export import DocResult, export_docs, versions_stored_by_doc
from locflow.pipeline.export import FileResult, export_project
from locflow.pipeline.fan_in import RecordedRun
from locflow.pipeline.plan import LocalePlan, apply_glossary_changes, plan_locale
from locflow.pipeline.results import DocSummary
from locflow.pipeline.summary import LocaleSummary
from locflow.pipeline.sync import SyncReport, sync_project
from locflow.pipeline.terms import compliance
from locflow.pipeline.translate import StoreCounts, store_reused
from locflow.settings import Config

Notify = Callable[[str], None]


@cache
def sessions(url: str) -> sessionmaker[Session]:
    return open_database(url)


def _to_stderr(message: str) -> None:
    print(f"locflow: {message}", file=sys.stderr)


@contextmanager
def work_lock(config: Config, scope: str, on_wait: Notify | None = None) -> Iterator[None]:
    """Take turns with other runs on the same project and database (see db.locks)."""
    bind = sessions(config.database_url).kw["bind"]
    with named_lock(bind, f"{config.project}:{scope}", on_wait or _to_stderr):
        yield


@contextmanager
def work_locks(
    config: Config, scopes: Sequence[str], on_wait: Notify | None = None
) -> Iterator[None]:
    """`work_lock` for several scopes at once, taken in sorted order (see db.locks)."""
    bind = sessions(config.database_url).kw["bind"]
    names = [f"{config.project}:{scope}" for scope in scopes]
    with named_locks(bind, names, on_wait or _to_stderr):
        yield


def translate_scope(locale: str) -> str:
    return f"translate:{locale}"


def sync_catalogues(
    config: Config, locales: Sequence[str], dry_run: bool = False, on_wait: Notify | None = None
) -> SyncReport:
    with work_lock(config, "catalogues", on_wait), sessions(config.database_url)() as s:
        tx = s.begin()
        try:
            result = sync_project(s, config, locales=list(locales))
        except BaseException:
            tx.rollback()
            raise
        tx.rollback() if dry_run else tx.commit()
    return result


def plan(config: Config, locale: str) -> LocalePlan:
    """A locale's plan; callers that act on it hold `translate_scope(locale)`."""
    with sessions(config.database_url)() as s:
        project = repo.get_or_create_project(s, config.project, config.source_locale)
        return engine_scope(
            config, plan_locale(s, project, locale, keep_charsets=config.export.charset == "keep")
        )


def engine_scope(config: Config, plan: LocalePlan) -> LocalePlan:
    """The plan as the engine may see it: none of it for a locale left to translators."""
    return plan if config.options_for(plan.locale).engine else plan.for_translators()


def export_catalogues(
    config: Config, locales: Sequence[str], dry_run: bool = False, on_wait: Notify | None = None
) -> list[FileResult]:
    """Export all or nothing: if the database commit fails after the files were renamed
    into place, they are put back, so files and records never disagree."""
    with work_lock(config, "catalogues", on_wait), sessions(config.database_url)() as s:
        tx = s.begin()
        writes = StagedWrites()
        try:
            files = export_project(
                s, config, locales=list(locales), now=datetime.now(UTC), dry_run=dry_run,
                writes=writes,
            )  # fmt: skip
            tx.rollback() if dry_run else tx.commit()
        except BaseException:
            writes.rollback()
            if tx.is_active:
                tx.rollback()
            raise
    return files


def apply_glossary(config: Config, plan: LocalePlan) -> None:
    """Retire and flag the versions a glossary change concerns (see plan.py)."""
    with sessions(config.database_url)() as s, s.begin():
        apply_glossary_changes(s, plan)


def glossary_compliance(config: Config, locale: str) -> float | None:
    with sessions(config.database_url)() as s:
        project = repo.get_or_create_project(s, config.project, config.source_locale)
        return compliance(s, project, locale).percent


def store_memory_hits(config: Config, plan: LocalePlan, run_id: int) -> StoreCounts:
    with sessions(config.database_url)() as s, s.begin():
        return store_reused(s, plan.reused, run_id=run_id)


# --- runs ----------------------------------------------------------------------------------


def start_run(
    config: Config, kind: str, flow_run_id: str = "", parent_id: int | None = None
) -> int:
    """A `runs` row for a run that starts (`parent_id`: the fan-out run that started it);
    its id. Its heartbeat beats until `finish_run`. Runs of the project whose process died
    are marked crashed first (see pipeline/heartbeat.py)."""
    with sessions(config.database_url)() as s, s.begin():
        project = repo.get_or_create_project(s, config.project, config.source_locale)
        run_repo.mark_crashed(s, project.id, utcnow(), heartbeat.stale_after())
        run_id = run_repo.start_run(s, project, kind, flow_run_id, parent_id).id
    heartbeat.register(config.database_url, run_id)
    return run_id


def finish_run(
    config: Config, run_id: int, status: str, counts: dict[str, Any], message: str | None
) -> None:
    try:
        with sessions(config.database_url)() as s, s.begin():
            run_repo.finish_run(s, run_id, status, counts, message or "")
    finally:
        heartbeat.unregister(run_id)  # a row left running goes stale: crashed, later


def recorded_runs(
    config: Config, flow_run_ids: Sequence[str], parent_id: int | None = None
) -> dict[str, RecordedRun]:
    """The `runs` rows of these Prefect flow runs (those that recorded one), by flow run id;
    with `parent_id`, only rows that name that run as their parent (a fan-out's children)."""
    query = select(Run).where(Run.flow_run_id.in_(list(flow_run_ids)))
    if parent_id is not None:
        query = query.where(Run.parent_id == parent_id)
    with sessions(config.database_url)() as s:
        rows = s.scalars(query)
        return {r.flow_run_id: RecordedRun(r.status, r.message, r.counts or {}) for r in rows}


def has_run(config: Config, run_id: int, flow_run_id: str) -> bool:
    """Whether this database holds run `run_id` of that flow run (a fan-out child checks
    that it writes where its parent reads)."""
    with sessions(config.database_url)() as s:
        run = s.get(Run, run_id)
        return run is not None and run.flow_run_id == flow_run_id


# --- documents -----------------------------------------------------------------------------


def find_docs(config: Config, ref: str | None) -> tuple[list[str], list[str] | None]:
    """All doc names, and those changed since git `ref` (None: no ref given)."""
    docs, sites = discover_docs(config), discover_sites(config)
    names = [d.name for d in docs] + [x.file for x in sites]
    return names, (sorted(changed_since(config, ref, docs, sites)) if ref else None)


def sync_documents(config: Config, on_wait: Notify | None = None) -> DocsSyncReport:
    lock = work_lock(config, "catalogues", on_wait)
    with lock, sessions(config.database_url)() as s, s.begin():
        return sync_docs(s, config)


def plan_documents(config: Config, locale: str, names: Sequence[str] | None) -> LocalePlan:
    """The plan for the blocks of these docs (all when None), glossary changes applied."""
    with sessions(config.database_url)() as s, s.begin():
        project = repo.get_or_create_project(s, config.project, config.source_locale)
        plan = plan_docs(s, project, locale, names)
        if plan.stale_by_glossary or plan.flagged_by_glossary:
            apply_glossary_changes(s, plan)
        return engine_scope(config, plan)


def export_documents(
    config: Config, locales: Sequence[str], on_wait: Notify | None = None
) -> list[DocResult]:
    lock = work_lock(config, "catalogues", on_wait)
    with lock, sessions(config.database_url)() as s, s.begin():
        return export_docs(s, config, locales=locales)


def doc_summaries(config: Config, run_id: int, docs: Sequence[DocResult]) -> list[DocSummary]:
    """Each written document with what run `run_id` stored for it."""
    with sessions(config.database_url)() as s:
        stored = versions_stored_by_doc(s, run_id)
    summaries = []
    for d in docs:
        ran = stored.get((d.doc, d.locale), {})
        summaries.append(DocSummary(d, ran.get("translated", 0), ran.get("errors", 0)))
    return summaries


# --- usage ---------------------------------------------------------------------------------


def run_usage(config: Config, run_id: int) -> dict[str, run_repo.UsageTotals]:
    """What run `run_id` (with the runs a fan-out parent started) spent per locale, from the
    usage ledger: the numbers every summary shows."""
    with sessions(config.database_url)() as s:
        return run_repo.usage_totals(s, run_id=run_id)


def run_spent(config: Config, run_id: int) -> run_repo.UsageTotals:
    """What run `run_id` spent so far, all locales together."""
    return run_repo.sum_totals(run_usage(config, run_id).values())


def take_usage(config: Config, run_id: int, locales: dict[str, LocaleSummary]) -> None:
    """Set the summaries' requests, tokens and cost from the ledger. A locale the ledger has
    no row for keeps its numbers (a fan-out child's recorded ones, read by its parent)."""
    for locale, usage in run_usage(config, run_id).items():
        if locale in locales:
            locales[locale].take_usage(usage)


# --- pack sizes ----------------------------------------------------------------------------


def stored_pack_sizes(config: Config, engine_name: str) -> dict[str, int]:
    """Strings per pack by target locale, where the last run of `engine_name` left them."""
    with sessions(config.database_url)() as s:
        return pack_repo.load_pack_sizes(s, engine_name)


def store_pack_sizes(config: Config, engine_name: str, sizes: Mapping[str, int]) -> None:
    with sessions(config.database_url)() as s, s.begin():
        pack_repo.save_pack_sizes(s, engine_name, sizes)
