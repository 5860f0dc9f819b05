"""Engine and session factory; schema migrations applied on first use."""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")
_PG_MIGRATION_LOCK = 7_355_608  # advisory lock key: one migrator at a time
_migrated: set[str] = set()
_lock = threading.Lock()


def create_db_engine(url: str) -> Engine:
    """SQLite gets WAL, foreign keys and a busy timeout. Its folder is created when only that
    folder is missing (the project's `.locflow/`), never a chain of folders: the settings
    check that a folder outside the project exists (`locflow.database_url`)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            folder = Path(parsed.database).parent
            if not folder.is_dir() and folder.parent.is_dir():
                folder.mkdir(exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


@contextmanager
def _one_sqlite_migrator(engine: Engine) -> Iterator[None]:
    """SQLite: one migrator at a time, across threads and processes (`flock` on a file beside
    the database), from its first connection on: new connections setting WAL on a new
    database while another migrates can otherwise fail with "database is locked"."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with open(f"{database}-migrate.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def migrate(engine: Engine) -> None:
    """Upgrade the schema to the newest revision (idempotent, safe across processes)."""
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with _one_sqlite_migrator(engine), engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # SQLite alters a table by rebuilding it: with foreign keys enforced, dropping the
            # old table would fire ON DELETE (SET NULL, CASCADE) on the rows that point at it.
            # The pragma only takes effect outside a transaction; it is checked before commit.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()  # ends SQLAlchemy's autobegun transaction (none in SQLite)
        try:
            with conn.begin():
                if not sqlite:
                    conn.execute(
                        text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK}
                    )
                elif MigrationContext.configure(conn).get_current_revision() != head_revision():
                    # one migrator at a time (two first runs would both create the tables)
                    conn.exec_driver_sql("BEGIN EXCLUSIVE")
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                if sqlite and (broken := conn.exec_driver_sql("PRAGMA foreign_key_check").all()):
                    raise RuntimeError(f"migration left dangling references: {broken[:3]}")
        finally:
            if sqlite:
                conn.rollback()  # a no-op unless the upgrade failed
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg).get_current_head()


def open_database(url: str, *, auto_migrate: bool = True) -> sessionmaker[Session]:
    engine = create_db_engine(url)
    if auto_migrate:
        with _lock:
            if url not in _migrated:
                migrate(engine)
                _migrated.add(url)
    return sessionmaker(engine, expire_on_commit=False)
