"""Managing users on SQLite and PostgreSQL (issue 15): roles from the old is_admin flag,
set-role, set-locales, deactivate, reset-password. Every change writes a `user_events` row
and ends the user's UI sessions; a deactivated user cannot sign in (refused like a wrong
password, with the same work); a reset password must be changed at the next sign-in."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from locflow.db import user_repo
from locflow.db.base import Base, utcnow
from locflow.db.session import MIGRATIONS, create_db_engine, open_database
from locflow.review import users
from locflow.review.users import (
    NotAllowed,
    Role,
    UserError,
    activate,
    add_user,
    authenticate,
    change_own_password,
    deactivate,
    events,
    get_user,
    reset_password,
    set_locales,
    set_password,
    set_role,
)
from tests.support.env import run_cli
from tests.support.review_demo import PASSWORD, make_demo

PW = "correct horse"


@pytest.fixture
def people(Session):
    with Session() as s, s.begin():
        add_user(s, "root", PW, admin=True, by="cli:ops")
        add_user(s, "fanny", PW, locales=["fr"], by="cli:ops")
        add_user(s, "lea", PW, role="lead", locales=["fr", "de"], by="cli:ops")
    return Session


class CountingHasher:
    """argon2's hasher, counting verifications (the costly step sign-in always does)."""

    def __init__(self, real, seen: list[str]) -> None:
        self.real, self.seen = real, seen

    def verify(self, stored: str, password: str) -> bool:
        self.seen.append(password)
        return self.real.verify(stored, password)

    def __getattr__(self, name: str):
        return getattr(self.real, name)


def _session_for(s, name: str, token: str) -> None:
    user = user_repo.get_user(s, name)
    user_repo.add_ui_session(s, user.id, token * 64, "c" * 32, utcnow() + timedelta(hours=1))


def _signed_in(Session, token: str) -> bool:
    with Session() as s:
        return user_repo.find_ui_session(s, token * 64) is not None


def test_migration_0006_turns_is_admin_into_roles_and_matches_the_models(db_url):
    engine = create_db_engine(db_url)
    open_database(db_url).kw["bind"].dispose()  # at head
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005")
        conn.execute(text("DELETE FROM users"))
        for name, admin in (("old_root", True), ("old_fanny", False)):
            conn.execute(
                text(
                    "INSERT INTO users (name, password_hash, is_admin, locales, created_at, "
                    "updated_at) VALUES (:n, 'x', :a, '[\"fr\"]', :t, :t)"
                ),
                {"n": name, "a": admin, "t": utcnow()},
            )
        command.upgrade(cfg, "head")
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT name, role, active, must_change_password FROM users ORDER BY name")
        ).all()
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    engine.dispose()
    assert [(r[0], r[1], bool(r[2]), bool(r[3])) for r in rows] == [
        ("old_fanny", "reviewer", True, False),
        ("old_root", "admin", True, False),
    ]


def test_roles_order_and_what_each_may_do(people):
    with people() as s:
        root, fanny, lea = (get_user(s, n) for n in ("root", "fanny", "lea"))
    assert [r.rank for r in (Role.REVIEWER, Role.LEAD, Role.ADMIN)] == [0, 1, 2]
    assert fanny.can_review("fr") and not fanny.can_override("fr") and not fanny.can_bulk("fr")
    assert lea.can_override("de") and lea.can_bulk("fr") and not lea.can_review("ja")
    assert root.can_override("ja") and root.can_manage_users and not lea.can_manage_users
    assert lea.summary == "lead of de, fr" and lea.as_dict()["role"] == "lead"
    with people() as s, s.begin(), pytest.raises(UserError, match="a lead needs --locale"):
        add_user(s, "lee", PW, role="lead")
    with people() as s, s.begin(), pytest.raises(UserError, match="unknown role 'boss'"):
        add_user(s, "lee", PW, role="boss", locales=["fr"])


def test_every_change_is_recorded_and_signs_the_user_out(people):
    steps = [
        (lambda s: set_role(s, "fanny", "lead", by="cli:ops"), "set-role", "reviewer -> lead"),
        (lambda s: set_locales(s, "fanny", ["de,fr"], by="cli:ops"), "set-locales", "fr -> de, fr"),
        (lambda s: deactivate(s, "fanny", by="cli:ops"), "deactivate", ""),
        (lambda s: activate(s, "fanny", by="cli:ops"), "activate", ""),
        (lambda s: set_password(s, "fanny", "battery staple", by="cli:ops"), "passwd", ""),
        (lambda s: reset_password(s, "fanny", by="cli:ops"), "reset-password", "one-time"),
    ]
    for i, (change, action, detail) in enumerate(steps):
        token = "abcdef"[i]
        with people() as s, s.begin():
            _session_for(s, "fanny", token)
            _session_for(s, "lea", token.upper())
        with people() as s, s.begin():
            change(s)
        assert not _signed_in(people, token), action  # fanny is signed out
        assert _signed_in(people, token.upper()), action  # lea is not
        with people() as s:
            _, actor, name, done, said = events(s, "fanny")[-1]
        assert (actor, name, done) == ("cli:ops", "fanny", action)
        assert said.startswith(detail)
    with people() as s:
        assert events(s, "fanny")[0][3] == "add"
        user = get_user(s, "fanny")
    assert user.role == Role.LEAD and user.locales == ("de", "fr") and user.active


def test_only_an_admin_manages_users_and_is_named_in_the_trail(people):
    with people() as s, s.begin():
        lea, root = get_user(s, "lea"), get_user(s, "root")
        with pytest.raises(NotAllowed, match="lea may not manage users"):
            set_role(s, "fanny", "admin", by=lea)
        set_role(s, "fanny", "lead", by=root)
        assert events(s, "fanny")[-1][1] == "root"
    with people() as s, s.begin(), pytest.raises(NotAllowed):
        deactivate(s, "root", by=get_user(s, "fanny"))


def test_the_last_active_admin_stays(people):
    with people() as s, s.begin():
        for change in (lambda: deactivate(s, "root"), lambda: set_role(s, "root", "lead")):
            with pytest.raises(UserError, match="root is the last active admin"):
                change()
        with pytest.raises(UserError, match="fanny is already a reviewer"):
            set_role(s, "fanny", "reviewer")
        set_role(s, "lea", "admin")
        deactivate(s, "root")
        with pytest.raises(UserError, match="lea is the last active admin"):
            set_role(s, "lea", "reviewer")


def test_a_deactivated_user_cannot_sign_in_and_the_work_is_the_same(people, monkeypatch):
    checks: list[str] = []
    monkeypatch.setattr(users, "_hasher", CountingHasher(users._hasher, checks))
    with people() as s, s.begin():
        _session_for(s, "fanny", "z")
        deactivate(s, "fanny")
        _session_for(s, "fanny", "y")  # a session row left behind is not honoured either
    with people() as s, s.begin():
        assert authenticate(s, "fanny", PW) is None  # the right password
        assert authenticate(s, "fanny", "wrong password") is None
        assert authenticate(s, "nobody", PW) is None
        assert authenticate(s, "lea", PW) is not None
    assert len(checks) == 4  # one argon2 verification each, whatever the outcome
    assert not _signed_in(people, "z") and not _signed_in(people, "y")
    with people() as s, s.begin():
        activate(s, "fanny")
        assert authenticate(s, "fanny", PW).name == "fanny"


def test_a_reset_password_is_used_once_then_must_be_changed(people):
    with people() as s, s.begin():
        one_time = reset_password(s, "fanny")
    assert len(one_time) >= 16 and one_time != PW
    with people() as s, s.begin():
        assert authenticate(s, "fanny", PW) is None
        user = authenticate(s, "fanny", one_time)
        assert user is not None and user.password_change_required
        with pytest.raises(UserError, match="wrong current password"):
            change_own_password(s, "fanny", "nope nope", "new secret 42")
        with pytest.raises(UserError, match="other than the current"):
            change_own_password(s, "fanny", one_time, one_time)
        changed = change_own_password(s, "fanny", one_time, "new secret 42")
    assert not changed.password_change_required
    with people() as s, s.begin():
        assert authenticate(s, "fanny", one_time) is None
        assert not authenticate(s, "fanny", "new secret 42").password_change_required
        assert [e[3] for e in events(s, "fanny")][-2:] == ["reset-password", "passwd"]


@pytest.mark.slow
def test_user_management_from_the_cli(demo_project):
    demo = make_demo(demo_project)
    env = {**demo.env, "LOCFLOW_USER": "ops"}

    def cli(*args: str, stdin: str | None = None):
        return run_cli("user", *args, cwd=demo.root, env=env, input=stdin)

    assert cli("add", "root", "--admin", "--password-stdin", stdin=PASSWORD).returncode == 0
    added = cli("add", "lea", "--role", "lead", "-l", "fr", "--password-stdin", stdin=PASSWORD)
    assert added.returncode == 0 and "added lea: lead of fr" in added.stdout, added.stderr
    role = cli("set-role", "lea", "reviewer")
    assert role.returncode == 0 and "lea: reviewer of fr; their UI sessions ended" in role.stdout
    assert "fr, ru" in cli("set-locales", "lea", "ru,fr").stdout
    assert cli("set-role", "lea", "boss").returncode == 2  # argparse: not a role
    assert cli("deactivate", "lea").returncode == 0
    listed = json.loads(cli("list", "--json").stdout)
    assert [(u["name"], u["role"], u["active"]) for u in listed] == [
        ("lea", "reviewer", False),
        ("root", "admin", True),
    ]
    refused = cli("deactivate", "root")
    assert refused.returncode == 1 and "last active admin" in refused.stderr
    reset = cli("reset-password", "lea", "-q")
    assert reset.returncode == 0
    one_time = reset.stdout.split("one-time password for lea: ")[1].split()[0]
    assert cli("activate", "lea").returncode == 0
    with demo.Session() as s, s.begin():
        assert authenticate(s, "lea", one_time).password_change_required
    trail = cli("events", "lea").stdout.splitlines()
    assert [line.split("\t")[1:3] for line in trail] == [
        ["cli:ops", "add lea: lead of fr"],
        ["cli:ops", "set-role lea: lead -> reviewer"],
        ["cli:ops", "set-locales lea: fr -> fr, ru"],
        ["cli:ops", "deactivate lea"],
        ["cli:ops", "reset-password lea: one-time password; must change at sign-in"],
        ["cli:ops", "activate lea"],
    ]
    assert one_time not in cli("events", "--json").stdout
