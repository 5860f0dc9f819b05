"""Pack sizes per engine and target locale, kept between runs: an engine whose pack sizes
adapt (connectors.engines.base.AdaptivePacking) starts where the last run ended. Functions
take the session first and never commit."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from locflow.db.base import utcnow
from locflow.db.models import PackSize


def load_pack_sizes(s: Session, engine: str) -> dict[str, int]:
    """Strings per pack by target locale, as last stored for `engine`."""
    rows = s.execute(select(PackSize.locale, PackSize.size).where(PackSize.engine == engine))
    return {locale: size for locale, size in rows}


def save_pack_sizes(
    s: Session, engine: str, sizes: Mapping[str, int], now: datetime | None = None
) -> None:
    """Insert or update one row per locale. Safe when runs store at once: the database
    decides (INSERT … ON CONFLICT DO UPDATE), the last writer wins; rows are written in
    locale order so two transactions never wait for each other in opposite orders."""
    stamp = now or utcnow()
    rows = [
        {"engine": engine, "locale": locale, "size": max(1, int(size)), "updated_at": stamp}
        for locale, size in sorted(sizes.items())
    ]
    if rows:
        s.execute(_upsert(s).values(rows))


def _upsert(s: Session) -> Insert:
    dialect = s.get_bind().dialect.name
    if dialect == "postgresql":
        pg = postgresql.insert(PackSize)
        return pg.on_conflict_do_update(
            index_elements=["engine", "locale"],
            set_={"size": pg.excluded.size, "updated_at": pg.excluded.updated_at},
        )
    if dialect == "sqlite":
        lite = sqlite.insert(PackSize)
        return lite.on_conflict_do_update(
            index_elements=["engine", "locale"],
            set_={"size": lite.excluded.size, "updated_at": lite.excluded.updated_at},
        )
    raise NotImplementedError(f"no INSERT … ON CONFLICT for the {dialect} dialect")
