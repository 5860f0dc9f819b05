"""Reading a database's tables in tests."""

from __future__ import annotations

from sqlalchemy import create_engine, text


def table_rows(db: str, sql: str) -> list[tuple]:
    eng = create_engine(db)
    with eng.connect() as c:
        rows = [tuple(r) for r in c.execute(text(sql))]
    eng.dispose()
    return rows
