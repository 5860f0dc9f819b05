"""Pack sizes per engine and target locale, kept in the database between runs (migration
0007, db/pack_repo.py), on SQLite and PostgreSQL, written by runs at once."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from locflow.db.base import Base
from locflow.db.models import PackSize
from locflow.db.pack_repo import load_pack_sizes, save_pack_sizes
from locflow.db.session import MIGRATIONS, create_db_engine


def test_sizes_are_kept_per_engine_and_locale_and_updated_in_place(Session) -> None:
    with Session() as s, s.begin():
        save_pack_sizes(s, "qwen_mt", {"fr": 12, "de": 7}, datetime(2026, 12, 1))
        save_pack_sizes(s, "openai_compat", {"fr": 3})
    with Session() as s, s.begin():
        save_pack_sizes(s, "qwen_mt", {"fr": 6, "ja": 20}, datetime(2026, 12, 2))
    with Session() as s:
        assert load_pack_sizes(s, "qwen_mt") == {"fr": 6, "de": 7, "ja": 20}
        assert load_pack_sizes(s, "openai_compat") == {"fr": 3}
        assert load_pack_sizes(s, "pseudo") == {}
        fr = s.query(PackSize).filter_by(engine="qwen_mt", locale="fr").one()
        assert fr.updated_at == datetime(2026, 12, 2)
        assert s.query(PackSize).count() == 4


def test_nothing_to_store_writes_nothing_and_a_size_is_at_least_one(Session) -> None:
    with Session() as s, s.begin():
        save_pack_sizes(s, "qwen_mt", {})
        save_pack_sizes(s, "qwen_mt", {"fr": 0})
    with Session() as s:
        assert load_pack_sizes(s, "qwen_mt") == {"fr": 1}
    with pytest.raises(IntegrityError), Session() as s, s.begin():
        s.add(PackSize(engine="qwen_mt", locale="de", size=0))


def test_runs_storing_at_once_never_fail_and_leave_one_row_per_locale(Session) -> None:
    locales = [f"l{i}" for i in range(12)]
    start = threading.Barrier(6)
    errors: list[BaseException] = []

    def store(n: int) -> None:
        try:
            start.wait(timeout=60)
            for _ in range(5):
                with Session() as s, s.begin():  # reversed or not: sorted inside
                    order = locales if n % 2 else locales[::-1]
                    save_pack_sizes(s, "qwen_mt", {x: n + 1 for x in order})
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=store, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with Session() as s:
        sizes = load_pack_sizes(s, "qwen_mt")
        assert s.query(PackSize).count() == len(locales)
    assert set(sizes) == set(locales) and len(set(sizes.values())) == 1  # one run's, whole


def test_the_migration_makes_the_table_the_model_describes(db_url: str) -> None:
    engine = create_db_engine(db_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        assert "pack_sizes" in inspect(conn).get_table_names()
        diff = [d for d in compare_metadata(MigrationContext.configure(conn), Base.metadata)]
        assert diff == []
        command.downgrade(cfg, "0006")
        assert "pack_sizes" not in inspect(conn).get_table_names()
        command.upgrade(cfg, "head")
    engine.dispose()
