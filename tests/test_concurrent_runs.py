"""Two `locflow run` at once on one database: they take turns per locale (db.locks), so
every string is sent once, no version is duplicated and the catalogues equal a lone run's.
Below that, the row locking in `add_versions` and the `base_n` rule keep concurrent writers
(another run, a reviewer) from numbering versions twice or burying each other's work."""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from locflow.catalog.segment import Segment
from locflow.db import repo, segment_repo
from locflow.db.locks import named_lock
from locflow.db.models import Translation
from locflow.db.states import State
from tests.fakes.chat_server import ChatServer
from tests.support.helpers import start_locflow
from tests.support.sql import table_rows

LOCALES = ("fr", "ru", "ar", "de")


def _configure(project: Path, url: str) -> None:
    toml = project / "locflow.toml"
    engine = f'name = "openai_compat"\nbase_url = "{url}/v1"\npack_size = 4\nconcurrency = 1'
    toml.write_text(toml.read_text().replace('name = "pseudo"', engine))


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
    twice = table_rows(
        db_url,
        "select segment_id, locale, source_hash, count(*) from translations "
        "where origin in ('engine', 'tm') group by segment_id, locale, source_hash "
        "having count(*) > 1",
    )
    assert twice == []
    numbered_twice = table_rows(
        db_url,
        "select segment_id, locale, n from translations group by segment_id, locale, n "
        "having count(*) > 1",
    )
    assert numbered_twice == []
    live = table_rows(db_url, "select count(*) from segments where not obsolete")[0][0]
    current = table_rows(db_url, "select count(distinct segment_id || locale) from translations")
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
    if bind.url.database in (None, "", ":memory:"):
        pytest.skip("an in-memory database has nothing to share")
    events: list[str] = []
    inside, waiting = threading.Event(), threading.Event()

    def told(message: str) -> None:
        events.append(f"wait {message}")
        waiting.set()

    def first() -> None:
        with named_lock(bind, "p:translate:fr"):
            events.append("first in")
            inside.set()
            waiting.wait(60)  # held until the second is waiting, however late it comes
            events.append("first out")

    def second() -> None:
        inside.wait(60)
        with named_lock(bind, "p:translate:fr", on_wait=told):
            events.append("second in")
        with named_lock(bind, "p:translate:de"):  # another name: no waiting
            events.append("other in")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
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
