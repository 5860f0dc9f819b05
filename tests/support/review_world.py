"""A small review world in the database (no files): a few strings with machine output in fr
and de, and one user of each role. Shared by the gate, limits and comments tests."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from locflow.catalog.segment import Segment
from locflow.db import repo, segment_repo
from locflow.db.models import Review, Translation
from locflow.db.states import State
from locflow.review.users import UserInfo, add_user, get_user

DELETED = Segment(msgid="Deleted %d of %d notes", flags=("python-format",))
SIGNED_IN = Segment(msgid="Signed in as {user}", flags=("python-brace-format",))
DELETE_NOTE = Segment(msgid="Delete the note")  # 15 characters
SELECTED = Segment(msgid="One note selected", msgid_plural="%d notes selected")
PASSWORD = "correct horse"


@dataclass(frozen=True)
class World:
    Session: sessionmaker[Session]
    project_id: int
    ids: dict[str, int]
    """`locale:key` -> the machine version's id."""
    rows: dict[str, int]

    def actor(self, s: Session, name: str) -> UserInfo:
        user = get_user(s, name)
        assert user is not None
        return user

    def state(self, vid: int) -> State:
        with self.Session() as s:
            t = s.get(Translation, vid)
            assert t is not None
            return State(t.state)

    def counts(self) -> tuple[int, int]:
        """(versions, reviews) in the database: a refused action adds neither."""
        with self.Session() as s:
            versions = s.scalar(select(func.count()).select_from(Translation)) or 0
            reviews = s.scalar(select(func.count()).select_from(Review)) or 0
            return versions, reviews


def make_world(Session: sessionmaker[Session]) -> World:
    """fanny reviews fr, lea leads fr, dieter reviews de, root is an admin."""
    with Session() as s, s.begin():
        project = repo.get_or_create_project(s, "demo", "en")
        source = repo.get_or_create_source(s, project, "locale/messages.pot", "po")
        segs = {"deleted": DELETED, "signed_in": SIGNED_IN, "note": DELETE_NOTE}
        segs["selected"] = SELECTED
        rows = {k: segment_repo.insert_segment(s, source.id, g, i) for i, (k, g) in
                enumerate(segs.items())}  # fmt: skip
        machine = {
            "fr:deleted": ("deleted", ("%d notes sur %d supprimées",)),
            "fr:signed_in": ("signed_in", ("Connecté en tant que {user}",)),
            "fr:note": ("note", ("Supprimer la note",)),
            "fr:selected": ("selected", ("Une note sélectionnée", "%d notes sélectionnées")),
            "de:note": ("note", ("Notiz löschen",)),
        }
        ids = {
            key: _machine(s, rows[seg].id, rows[seg].source_hash, key.split(":")[0], forms)
            for key, (seg, forms) in machine.items()
        }
        add_user(s, "root", PASSWORD, admin=True)
        add_user(s, "fanny", PASSWORD, locales=["fr"])
        add_user(s, "lea", PASSWORD, role="lead", locales=["fr"])
        add_user(s, "dieter", PASSWORD, locales=["de"])
    return World(Session, project.id, ids, {k: r.id for k, r in rows.items()})


def _machine(s: Session, segment_id: int, source_hash: str, locale: str, forms) -> int:
    return repo.add_version(
        s,
        repo.NewVersion(
            segment_id=segment_id,
            locale=locale,
            forms=tuple(forms),
            state=State.MACHINE,
            origin="engine",
            source_hash=source_hash,
            engine="pseudo",
        ),
    )
