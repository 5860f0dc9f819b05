"""Shared set-up for the review tests: the demo project synced and pseudo-translated into
a SQLite database, and its users."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from locflow.db import review_repo
from locflow.db.models import SegmentRow, Translation
from locflow.db.review_repo import QueueFilter
from locflow.db.session import open_database
from locflow.review.users import add_user
from locflow.settings import Config
from tests.support.helpers import config_for, sync, translate

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Demo:
    root: Path
    db_url: str
    config: Config
    Session: sessionmaker[Session]

    @property
    def env(self) -> dict[str, str]:
        return {"LOCFLOW_DATABASE_URL": self.db_url}

    def project_id(self) -> int:
        from locflow.db import repo

        with self.Session() as s:
            project = repo.find_project(s, self.config.project)
            assert project is not None
            return project.id

    def version_of(self, msgid: str, locale: str) -> Translation:
        """The current version of the (first) string with this msgid."""
        with self.Session() as s:
            seg = s.scalars(select(SegmentRow).where(SegmentRow.msgid == msgid)).first()
            assert seg is not None, msgid
            current = review_repo.current_version(s, seg.id, locale)
            assert current is not None, (msgid, locale)
            return current

    def queue_ids(self, locale: str) -> list[int]:
        with self.Session() as s:
            rows = review_repo.queue_page(s, self.project_id(), QueueFilter(locale), limit=1000)
            return [r.version_id for r in rows]


def make_demo(project: Path, db_url: str | None = None) -> Demo:
    """Sync the demo project and translate it with the pseudo engine (no Prefect)."""
    url = db_url or f"sqlite:///{project / '.locflow' / 'locflow.db'}"
    config = config_for(project, url, LOCFLOW_ENGINE_NAME="pseudo")
    factory = open_database(url)
    sync(factory, config)
    translate(factory, config)
    return Demo(project, url, config, factory)


def add_users(demo: Demo) -> None:
    """root (admin), fanny (reviewer of fr, ru, ar), lea (lead of fr, ru, ar), dieter
    (reviewer of de)."""
    with demo.Session() as s, s.begin():
        add_user(s, "root", PASSWORD, admin=True)
        add_user(s, "fanny", PASSWORD, locales=["fr", "ru", "ar"])
        add_user(s, "lea", PASSWORD, role="lead", locales=["fr", "ru", "ar"])
        add_user(s, "dieter", PASSWORD, locales=["de"])
