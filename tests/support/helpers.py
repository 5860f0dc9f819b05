"""Plain-function pipeline drivers for tests (no Prefect)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from locflow.connectors.engines.base import Engine
from locflow.connectors.engines.registry import create_engine
from locflow.db import repo
from locflow.pipeline.export import FileResult, export_project
from locflow.pipeline.plan import plan_locale
from locflow.pipeline.sync import SyncReport, sync_project
from locflow.pipeline.translate import (
    StoreCounts,
    jobs_of,
    store_outcomes,
    store_reused,
    translate_jobs,
)
from locflow.settings import Config, load_config

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def config_for(project: Path, db_url: str, **env: str) -> Config:
    return load_config(project / "locflow.toml", env={"LOCFLOW_DATABASE_URL": db_url, **env})


def sync(Session, config: Config) -> SyncReport:
    with Session() as s, s.begin():
        return sync_project(s, config)


def translate(Session, config: Config, engine: Engine | None = None) -> tuple[StoreCounts, int]:
    """Plan and translate every locale; returns counts and the number of texts (plural forms
    and glossary retries included) handed to the engine."""
    engine = engine or create_engine(config.engine)
    total, requests = StoreCounts(), 0
    for locale in config.locales:
        with Session() as s:
            project = repo.get_or_create_project(s, config.project, config.source_locale)
            keep = config.export.charset == "keep"
            plan = plan_locale(s, project, locale, keep_charsets=keep)
        outcomes = asyncio.run(translate_jobs(engine, jobs_of(plan), config.source_locale))
        requests += sum(o.forms_sent for o in outcomes)
        with Session() as s, s.begin():
            total.add(store_reused(s, plan.reused, run_id=None))
            total.add(
                store_outcomes(
                    s,
                    outcomes,
                    source_locale=config.source_locale,
                    engine_name=engine.name,
                    run_id=None,
                )
            )
    return total, requests


def export(Session, config: Config, *, dry_run: bool = False) -> list[FileResult]:
    with Session() as s, s.begin():
        return export_project(s, config, now=NOW, dry_run=dry_run)


def start_locflow(project: Path, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    """`locflow run -q` (or other arguments) in its own process group, stderr captured."""
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "locflow"), *(args or ("run", "-q"))],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
