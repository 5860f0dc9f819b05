"""The units of work the Prefect tasks wrap, each in its own transaction, as plain
functions: the CLI calls them directly where no flow is needed (`locflow sync` does not
import Prefect). Work that two runs must not do at once holds a named lock (db.locks):
`catalogues` for sync and export, `translate:<locale>` for planning and storing a locale.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache

from sqlalchemy.orm import Session, sessionmaker

from locflow.db import repo
from locflow.db.locks import named_lock
from locflow.db.session import open_database
from locflow.pipeline.export import FileResult, export_project
from locflow.pipeline.plan import LocalePlan, plan_locale
from locflow.pipeline.sync import SyncReport, sync_project
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
        return plan_locale(s, project, locale)


def export_catalogues(
    config: Config, locales: Sequence[str], dry_run: bool = False, on_wait: Notify | None = None
) -> list[FileResult]:
    with work_lock(config, "catalogues", on_wait), sessions(config.database_url)() as s:
        tx = s.begin()
        try:
            files = export_project(
                s, config, locales=list(locales), now=datetime.now(UTC), dry_run=dry_run
            )
        except BaseException:
            tx.rollback()
            raise
        tx.rollback() if dry_run else tx.commit()
    return files
