"""Upgrading a database keeps its data. SQLite alters a table by rebuilding it (Alembic's
batch mode); with foreign keys enforced, dropping the old `runs` table set every
`translations.run_id` to NULL (ON DELETE SET NULL) when migration 0005 ran on a database
that had runs. Here a database at each old revision gets one row in every table, linked
to each other, and `open_database` upgrades it: every value of every column that still
exists must read back the same."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    insert,
    select,
)

from locflow.db.session import MIGRATIONS, create_db_engine, open_database

OLD_REVISIONS = ["0004", "0005", "0006"]
SIGNED_OUT = {"ui_sessions"}
"""0006 signs everyone out on purpose (roles changed): its rows are the one thing dropped."""


def _value(table: Table, column: Any, ids: dict[str, int]) -> Any:
    """A value for a required column: the linked row's id for a foreign key."""
    for fk in column.foreign_keys:
        return ids[fk.column.table.name]
    kind = column.type
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, Integer):
        return 3
    if isinstance(kind, Float):
        return 0.5
    if isinstance(kind, DateTime):
        return datetime(2026, 1, 2, 3, 4, 5)
    if isinstance(kind, JSON):
        return ["fr"]
    if isinstance(kind, LargeBinary):
        return b"bytes"
    if table.name == "users" and column.name == "role":
        return "reviewer"
    return f"{table.name}-{column.name}"[: getattr(kind, "length", None) or 200]


def _fill(conn: Any, metadata: MetaData) -> dict[str, dict[str, Any]]:
    """One row per table, parents first, every column set (nullable foreign keys too)."""
    ids: dict[str, int] = {}
    rows: dict[str, dict[str, Any]] = {}
    for table in metadata.sorted_tables:
        if table.name == "alembic_version":
            continue
        row = {
            c.name: _value(table, c, ids)
            for c in table.columns
            if not c.primary_key and not any(fk.column.table is table for fk in c.foreign_keys)
        }
        done = conn.execute(insert(table).values(**row))
        ids[table.name] = done.inserted_primary_key[0]
        rows[table.name] = {**row, "id": ids[table.name]}
    return rows


@pytest.mark.parametrize("revision", OLD_REVISIONS)
def test_upgrading_an_sqlite_database_keeps_every_value(tmp_path: Path, revision: str):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_db_engine(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        old = MetaData()
        old.reflect(conn)
        before = _fill(conn, old)
    engine.dispose()
    assert before["translations"]["run_id"] == before["runs"]["id"]

    factory = open_database(url)  # upgrades to head
    new = MetaData()
    with factory() as s:
        conn = s.connection()
        new.reflect(conn)
        for name, row in before.items():
            table = new.tables.get(name)
            if table is None or name in SIGNED_OUT:
                continue
            kept = [c for c in row if c in table.columns]
            got = conn.execute(select(*(table.c[c] for c in kept))).mappings().one()
            assert {c: got[c] for c in kept} == {c: row[c] for c in kept}, name
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    factory.kw["bind"].dispose()
