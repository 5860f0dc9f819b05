"""Two `locflow run` at once on one database: they take turns per locale (db.locks), so
every string is sent once, no version is duplicated and the catalogues equal a lone run's.
Below that, the row locking in `add_versions` and the `base_n` rule keep concurrent writers
(another run, a reviewer) from numbering versions twice or burying each other's work."""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, func, select, text

from locflow.catalog.segment import Segment
from locflow.db import catalog_repo, glossary_repo, repo, segment_repo
from locflow.db.locks import named_lock
from locflow.db.models import CatalogFile, GlossaryVersion, Project, Source, Translation
from locflow.db.session import create_db_engine, current_revision, head_revision, migrate
from locflow.db.states import State
from tests.fakes.chat_server import ChatServer
from tests.support.helpers import start_locflow
from tests.support.pg import throwaway_database

LOCALES = ("fr", "ru", "ar", "de")


def _configure(project: Path, url: str) -> None:
    toml = project / "locflow.toml"
    engine = f'name = "openai_compat"\nbase_url = "{url}/v1"\npack_size = 4\nconcurrency = 1'
    toml.write_text(toml.read_text().replace('name = "pseudo"', engine))


def _table(db: str, sql: str) -> list[tuple]:
    eng = create_engine(db)
    with eng.connect() as c:
        rows = [tuple(r) for r in c.execute(text(sql))]
    eng.dispose()
    return rows


def _catalogues(project: Path) -> dict[str, str]:
    out = {}
    for path in sorted((project / "locale").rglob("*.po")):
        body = path.read_text(encoding="utf-8")
        out[str(path.relative_to(project))] = re.sub(r'"PO-Revision-Date: [^"]*"', "", body)
    return out


def _strings(server: ChatServer) -> list[str]:
    """Every source string the server was asked to translate (packed requests unpacked)."""
    import json

    sent = []
    for rec in server.requests:
        if not rec.path.endswith("completions"):  # e.g. GET /models: nothing translated
            continue
        if "messages" not in rec.body:  # completion mode: one string per request
            sent.append(json.dumps(rec.body, sort_keys=True))
            continue
        user = rec.body["messages"][-1]["content"]
        start = user.rfind('{"items"')
        if start >= 0:
            sent.extend(str(item) for item in json.loads(user[start:])["items"])
        else:
            sent.append(user)
    return sent


@pytest.mark.slow
def test_two_runs_at_once_send_each_string_once_and_agree_with_a_lone_run(
    demo_project, prefect_server, tmp_path, db_url
):
    env = {**os.environ, "PREFECT_API_URL": prefect_server, "LOCFLOW_DATABASE_URL": db_url}
    lone = tmp_path / "lone"
    import shutil

    shutil.copytree(demo_project, lone)
    with ChatServer() as reference:
        _configure(lone, reference.url)
        solo = start_locflow(
            lone, {**env, "LOCFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'lone.db'}"}
        )
        assert solo.wait(timeout=300) == 0, solo.stderr.read() if solo.stderr else ""
        needed = sorted(_strings(reference))

    with ChatServer() as server:
        server.delay = 0.2  # each request takes a while: the two runs overlap for sure
        _configure(demo_project, server.url)
        first = start_locflow(demo_project, env)
        deadline = time.monotonic() + 120
        while not server.requests:  # the first run is translating its first locale
            assert first.poll() is None, first.stderr.read() if first.stderr else ""
            assert time.monotonic() < deadline
            time.sleep(0.02)
        second = start_locflow(demo_project, env)
        errors = [p.communicate(timeout=300)[1] for p in (first, second)]
        assert first.returncode == 0, errors[0]
        assert second.returncode == 0, errors[1]
        sent = sorted(_strings(server))

    assert sent == needed  # every string once, by one run or the other
    assert "held by another locflow run" in errors[1]  # the second one waited its turn
    twice = _table(
        db_url,
        "select segment_id, locale, source_hash, count(*) from translations "
        "where origin in ('engine', 'tm') group by segment_id, locale, source_hash "
        "having count(*) > 1",
    )
    assert twice == []
    numbered_twice = _table(
        db_url,
        "select segment_id, locale, n from translations group by segment_id, locale, n "
        "having count(*) > 1",
    )
    assert numbered_twice == []
    live = _table(db_url, "select count(*) from segments where not obsolete")[0][0]
    current = _table(db_url, "select count(distinct segment_id || locale) from translations")
    assert current[0][0] == live * len(LOCALES)  # nothing left untranslated
    assert _catalogues(demo_project) == _catalogues(lone)


def _segment(s, name: str = "a") -> tuple[int, str]:
    project = repo.get_or_create_project(s, "p", "en")
    source = repo.get_or_create_source(s, project, "messages", "po")
    seg = Segment(msgid=f"Hello {name}")
    row = segment_repo.insert_segment(s, source.id, seg, 0)
    return row.id, row.source_hash


def _machine(segment_id: int, source_hash: str, base_n: int | None) -> repo.NewVersion:
    return repo.NewVersion(
        segment_id=segment_id,
        locale="fr",
        forms=("Bonjour",),
        state=State.MACHINE,
        origin="engine",
        source_hash=source_hash,
        base_n=base_n,
    )


def test_a_reviewers_version_written_meanwhile_wins_over_the_run(Session):
    with Session() as s, s.begin():
        planned, h1 = _segment(s, "a")
        untouched, h2 = _segment(s, "b")
    # the run planned both with no version yet (base_n=0); then a reviewer typed one in
    with Session() as s, s.begin():
        repo.add_version(
            s,
            repo.NewVersion(
                segment_id=planned,
                locale="fr",
                forms=("Salut",),
                state=State.APPROVED,
                origin="human",
                source_hash=h1,
                author="fanny",
            ),
        )
    with Session() as s, s.begin():
        stored = repo.add_versions(s, [_machine(planned, h1, 0), _machine(untouched, h2, 0)])
    assert len(stored) == 1
    with Session() as s:
        mine = s.scalars(select(Translation).where(Translation.segment_id == planned)).all()
        other = s.scalars(select(Translation).where(Translation.segment_id == untouched)).all()
    assert [(t.n, t.origin, t.forms) for t in mine] == [(1, "human", ["Salut"])]
    assert [(t.n, t.origin) for t in other] == [(1, "engine")]
    assert stored == [other[0].id]


def test_writers_at_once_number_versions_one_after_the_other(Session):
    """Eight threads append to the same segments at once: every version gets its own n."""
    with Session() as s, s.begin():
        ids = [_segment(s, str(i)) for i in range(5)]
    failures: list[BaseException] = []

    def write() -> None:
        try:
            for _ in range(3):
                with Session() as s, s.begin():
                    repo.add_versions(s, [_machine(sid, h, None) for sid, h in ids])
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=write) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    with Session() as s:
        numbers = s.execute(
            select(Translation.segment_id, Translation.n).order_by(
                Translation.segment_id, Translation.n
            )
        ).all()
    for sid, _ in ids:
        assert [n for seg, n in numbers if seg == sid] == list(range(1, 25))


def test_a_named_lock_makes_the_second_holder_wait_and_says_who_holds_it(Session):
    bind = Session.kw["bind"]
    events: list[str] = []
    inside = threading.Event()

    def first() -> None:
        with named_lock(bind, "p:translate:fr"):
            events.append("first in")
            inside.set()
            time.sleep(0.4)
            events.append("first out")

    def second() -> None:
        inside.wait(5)
        with named_lock(bind, "p:translate:fr", on_wait=lambda m: events.append(f"wait {m}")):
            events.append("second in")
        with named_lock(bind, "p:translate:de"):  # another name: no waiting
            events.append("other in")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if bind.url.database in (None, "", ":memory:"):
        pytest.skip("an in-memory database has nothing to share")
    assert events[0] == "first in"
    assert events[1].startswith("wait p:translate:fr: held by another locflow run")
    assert events[2:] == ["first out", "second in", "other in"]


def test_a_superseded_result_is_kept_as_rejected_history_with_its_usage(Session):
    """store_outcomes: the reviewer's version stays current, the run's result is stored as
    rejected (so the request's tokens and cost stay in the ledger) and counted superseded."""
    from locflow.catalog.plurals import plural_info
    from locflow.pipeline.plan import WorkItem
    from locflow.pipeline.translate import Job, Outcome, store_outcomes

    with Session() as s, s.begin():
        planned, h1 = _segment(s, "a")
        untouched, h2 = _segment(s, "b")

    def outcome(segment_id: int, source_hash: str, name: str) -> Outcome:
        item = WorkItem(
            segment_id,
            "fr",
            Segment(msgid=f"Hello {name}"),
            source_hash,
            plural_info("fr"),
            base_n=0,
        )
        return Outcome(Job((item,)), (f"Bonjour {name}",), (), tokens_in=10, tokens_out=5)

    outcomes = [outcome(planned, h1, "a"), outcome(untouched, h2, "b")]
    with Session() as s, s.begin():  # a reviewer saves while the batch is in flight
        repo.add_version(
            s,
            repo.NewVersion(
                segment_id=planned,
                locale="fr",
                forms=("Salut a",),
                state=State.APPROVED,
                origin="human",
                source_hash=h1,
                author="fanny",
            ),
        )
    with Session() as s, s.begin():
        counts = store_outcomes(
            s,
            outcomes,
            source_locale="en",
            engine_name="pseudo",
            run_id=None,
            cost_of=lambda i, o: 0.25,
        )
    assert (counts.superseded, counts.machine, counts.needs_review) == (1, 1, 0)
    with Session() as s:
        current = repo.current_versions(s, [planned, untouched], "fr")
        history = repo.versions(s, planned, "fr")
        spent = s.execute(select(Translation.tokens_in, Translation.cost)).all()
    assert [(v.origin, v.forms) for v in current[planned]] == [("human", ["Salut a"])]
    assert [(v.origin, State(v.state)) for v in current[untouched]] == [("engine", State.MACHINE)]
    assert [(v.n, v.origin, State(v.state)) for v in history] == [
        (1, "human", State.APPROVED),
        (2, "engine", State.REJECTED),
    ]
    assert history[1].issues[-1]["check"] == "superseded"
    assert sum(t for t, _ in spent) == 20 and sum(c for _, c in spent) == 0.5


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
        assert len(_table(url, "select id from projects")) == 1
