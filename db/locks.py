"""Named locks across processes, so two runs on one database take turns on the same work.

PostgreSQL: a session-level advisory lock held on a connection of its own (autocommit, so
no transaction stays open while the work runs); the server drops it when the process dies.
SQLite: `flock` on a file beside the database (released by the kernel on exit). An
in-memory database is private to its process: nothing to lock.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from sqlalchemy import Engine, text


def lock_key(name: str) -> int:
    """A signed 64-bit key for pg_advisory_lock, stable across processes and versions."""
    digest = hashlib.blake2b(f"locflow:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def named_lock(
    bind: Engine, name: str, on_wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the lock `name` for the duration of the block. When another process holds it,
    `on_wait` is told who (one line) and the block waits its turn."""
    if bind.dialect.name == "postgresql":
        with _pg_lock(bind, name, on_wait):
            yield
        return
    database = bind.url.database
    if bind.dialect.name == "sqlite" and database and database != ":memory:":
        with _file_lock(Path(database), name, on_wait):
            yield
        return
    yield


@contextmanager
def _pg_lock(bind: Engine, name: str, on_wait: Callable[[str], None] | None) -> Iterator[None]:
    key = lock_key(name)
    conn = bind.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
        if not got:
            if on_wait is not None:
                on_wait(f"{name}: held by {_pg_holder(conn, key)}; waiting for it to finish")
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
    finally:
        conn.close()


@contextmanager
def named_locks(
    bind: Engine, names: Iterable[str], on_wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold every lock of `names` for the duration of the block, taken in sorted order, so
    two holders of overlapping sets never wait for each other crosswise. PostgreSQL: all on
    one connection (a run of many locales must not hold a pooled connection per locale)."""
    ordered = sorted(set(names))
    if bind.dialect.name == "postgresql":
        with _pg_locks(bind, ordered, on_wait):
            yield
        return
    with ExitStack() as stack:
        for name in ordered:
            stack.enter_context(named_lock(bind, name, on_wait))
        yield


@contextmanager
def _pg_locks(
    bind: Engine, names: list[str], on_wait: Callable[[str], None] | None
) -> Iterator[None]:
    conn = bind.connect().execution_options(isolation_level="AUTOCOMMIT")
    held: list[int] = []
    try:
        for name in names:
            key = lock_key(name)
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
            if not got:
                if on_wait is not None:
                    on_wait(f"{name}: held by {_pg_holder(conn, key)}; waiting for it to finish")
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
            held.append(key)
        yield
    finally:
        try:
            for key in reversed(held):
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        finally:
            conn.close()


def _pg_holder(conn: object, key: int) -> str:
    """Which server process holds the advisory lock (a bigint key is split in two int4s)."""
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    row = conn.execute(  # type: ignore[attr-defined]
        text(
            "SELECT a.pid, a.application_name, a.client_addr FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
            "AND l.granted AND l.classid::bigint = :hi AND l.objid::bigint = :lo LIMIT 1"
        ),
        {"hi": unsigned >> 32, "lo": unsigned & 0xFFFFFFFF},
    ).first()
    if row is None:
        return "another locflow run"
    return f"another locflow run (PostgreSQL backend pid {row.pid})"


@contextmanager
def _file_lock(database: Path, name: str, on_wait: Callable[[str], None] | None) -> Iterator[None]:
    folder = database.with_name(database.name + ".locks")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{lock_key(name) & 0xFFFFFFFFFFFFFFFF:016x}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
                on_wait(f"{name}: held by another locflow run (pid {holder}); waiting")
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
