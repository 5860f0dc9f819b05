"""A run holds the translate locks of all its locales at once (db.locks.named_locks): in
sorted order, so runs with overlapping locales take turns instead of deadlocking, and on
PostgreSQL on one connection, so many locales do not drain the connection pool."""

from __future__ import annotations

import threading

import pytest

from locflow.db.locks import named_lock, named_locks

LOCALES = [f"p:translate:l{i:02}" for i in range(24)]


def _bind(Session):
    bind = Session.kw["bind"]
    if bind.url.database in (None, "", ":memory:"):
        pytest.skip("an in-memory database has nothing to share")
    return bind


def test_many_locks_are_held_together_on_one_connection(Session) -> None:
    bind = _bind(Session)
    told: list[str] = []
    waiting = threading.Semaphore(0)
    got: list[str] = []

    def other(name: str) -> None:
        with named_lock(bind, name, on_wait=lambda m: (told.append(m), waiting.release())):
            got.append(name)

    names = ("p:translate:l00", "p:translate:l23")
    threads = [threading.Thread(target=other, args=(name,)) for name in names]
    with named_locks(bind, reversed(LOCALES)):
        if bind.dialect.name == "postgresql":
            assert bind.pool.checkedout() == 1  # 24 locks, one pooled connection
        for t in threads:
            t.start()
        for _ in names:
            assert waiting.acquire(timeout=60)  # each other holder is told, and waits
        assert got == []
    for t in threads:
        t.join(60)
    assert sorted(got) == list(names)
    assert sorted(m.split(": held by")[0] for m in told) == list(names)


def test_runs_with_overlapping_locales_take_turns(Session) -> None:
    bind = _bind(Session)
    events: list[str] = []
    inside, waiting = threading.Event(), threading.Event()

    def first() -> None:
        with named_locks(bind, ["p:translate:de", "p:translate:fr"]):
            events.append("first in")
            inside.set()
            waiting.wait(60)  # held until the second waits, however late it comes
            events.append("first out")

    def second() -> None:
        inside.wait(60)
        told = lambda message: (events.append("second waits"), waiting.set())  # noqa: E731
        with named_locks(bind, ["p:translate:fr", "p:translate:ar", "p:translate:de"], told):
            events.append("second in")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert events == ["first in", "second waits", "first out", "second in"]
