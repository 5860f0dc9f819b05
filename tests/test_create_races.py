"""Get-or-create and migrations under races (issue 12, case 9): two transactions, many
threads or two runs creating the same rows at once, on SQLite and PostgreSQL, all succeed
with one row."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select

from locflow.db import catalog_repo, glossary_repo, repo
from locflow.db.models import CatalogFile, GlossaryVersion, Project, Source
from locflow.db.session import create_db_engine, current_revision, head_revision, migrate
from tests.support.helpers import start_locflow
from tests.support.pg import throwaway_database
from tests.support.sql import table_rows

# --- get-or-create under races (issue 12, case 9) ------------------------------------------


def _race(Session, create: Callable[[Any], int], paused_at: str) -> tuple[list[int], list[str]]:
    """`create` in two transactions interleaved as in two runs started at once on a new
    database: the late one runs the statement containing `paused_at` (and finds nothing),
    then the early one creates the row and commits, then the late one goes on. The order is
    forced by events, not by timing. Returns the ids both got and what they raised."""
    bind = Session.kw["bind"]
    looked, early_done = threading.Event(), threading.Event()
    ids: list[int] = []
    failures: list[str] = []

    def pause(conn, cursor, statement, parameters, context, executemany) -> None:
        late = threading.current_thread().name == "late"
        if late and paused_at in statement and not looked.is_set():
            looked.set()
            early_done.wait(30)  # a guard: the early transaction commits well before

    def late() -> None:
        try:
            with Session() as s, s.begin():
                ids.append(create(s))
        except Exception as exc:
            failures.append(f"{type(exc).__name__}: {exc}")

    event.listen(bind, "after_cursor_execute", pause)
    try:
        thread = threading.Thread(target=late, name="late")
        thread.start()
        assert looked.wait(30)
        try:
            with Session() as s, s.begin():
                ids.append(create(s))
        finally:
            early_done.set()
            thread.join(60)
    finally:
        event.remove(bind, "after_cursor_execute", pause)
    return ids, failures


def _count(Session, model) -> int:
    with Session() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_two_transactions_creating_one_project_at_once_both_get_it(Session):
    def create(s) -> int:
        return repo.get_or_create_project(s, "p", "en").id

    ids, failures = _race(Session, create, "FROM projects")
    assert failures == []
    assert len(ids) == 2 and ids[0] == ids[1]
    assert _count(Session, Project) == 1


def test_two_transactions_creating_one_source_at_once_both_get_it(Session):
    with Session() as s, s.begin():
        project_id = repo.get_or_create_project(s, "p", "en").id

    def create(s) -> int:
        project = s.get(Project, project_id)
        return repo.get_or_create_source(s, project, "messages.pot", "po").id

    ids, failures = _race(Session, create, "FROM sources")
    assert failures == []
    assert len(ids) == 2 and ids[0] == ids[1]
    assert _count(Session, Source) == 1


def test_two_transactions_storing_one_catalogue_file_at_once_both_succeed(Session):
    with Session() as s, s.begin():
        project = repo.get_or_create_project(s, "p", "en")
        source_id = repo.get_or_create_source(s, project, "messages.pot", "po").id

    def create(s) -> int:
        catalog_repo.put_catalog_file(s, source_id, "fr", "fr.po", b"a", "h1")
        row = catalog_repo.catalog_file(s, source_id, "fr")
        assert row is not None and row.content_hash == "h1"
        return row.id

    ids, failures = _race(Session, create, "FROM catalog_files")
    assert failures == []
    assert len(ids) == 2 and ids[0] == ids[1]
    assert _count(Session, CatalogFile) == 1


def test_two_transactions_storing_one_glossary_version_at_once_both_succeed(Session):
    with Session() as s, s.begin():
        project_id = repo.get_or_create_project(s, "p", "en").id
    terms = [{"source": "file", "target": "fichier"}]
    news: list[bool] = []

    def create(s) -> int:
        row, new = glossary_repo.store_glossary_version(s, project_id, "ui", "h1", terms)
        news.append(new)
        return row.id

    ids, failures = _race(Session, create, "glossaries.content_hash =")
    assert failures == []
    assert len(ids) == 2 and ids[0] == ids[1]
    assert sorted(news) == [False, True]  # stored once, by the early one
    assert _count(Session, GlossaryVersion) == 1


def test_many_threads_creating_the_same_rows_at_once_make_one_of_each(Session):
    """Eight threads, released together, each get-or-create a project and its source."""
    start = threading.Barrier(8)
    got: list[tuple[int, int]] = []
    failures: list[str] = []

    def create() -> None:
        try:
            start.wait(30)
            with Session() as s, s.begin():
                project = repo.get_or_create_project(s, "p", "en")
                got.append((project.id, repo.get_or_create_source(s, project, "m", "po").id))
        except Exception as exc:
            failures.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert failures == []
    assert len(set(got)) == 1 and len(got) == 8
    assert (_count(Session, Project), _count(Session, Source)) == (1, 1)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database nobody has used yet: no tables, no migrations."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'new.db'}"
        return
    with throwaway_database(request.getfixturevalue("pg_admin_url")) as url:
        yield url


def test_migrations_started_at_once_on_a_new_database_all_succeed(empty_db_url):
    """Four processes' worth of engines migrate a new database at once (PostgreSQL: the
    advisory lock in db.session.migrate makes them take turns)."""
    engines = [create_db_engine(empty_db_url) for _ in range(4)]
    start = threading.Barrier(len(engines))
    failures: list[str] = []

    def upgrade(engine) -> None:
        try:
            start.wait(30)
            migrate(engine)
        except Exception as exc:
            failures.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=upgrade, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    try:
        assert failures == []
        assert current_revision(engines[0]) == head_revision()
    finally:
        for e in engines:
            e.dispose()


@pytest.mark.postgres
def test_two_runs_started_at_once_on_a_new_postgresql_database_both_succeed(
    demo_project, prefect_server, pg_admin_url
):
    """Issue 12, case 9: one of them used to die with `UniqueViolation … uq_projects_name`."""
    with throwaway_database(pg_admin_url) as url:
        env = {**os.environ, "PREFECT_API_URL": prefect_server, "LOCFLOW_DATABASE_URL": url}
        runs = [start_locflow(demo_project, env) for _ in range(2)]
        errors = [p.communicate(timeout=300)[1] for p in runs]
        assert [p.returncode for p in runs] == [0, 0], errors
        assert len(table_rows(url, "select id from projects")) == 1
