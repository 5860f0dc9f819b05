"""Users and roles on SQLite and PostgreSQL: argon2 hashes, validation, sign-in, removal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from locflow.db import user_repo
from locflow.db.base import utcnow
from locflow.db.models import User
from locflow.review.users import (
    UserError,
    add_user,
    authenticate,
    get_user,
    list_users,
    parse_locales,
    remove_user,
    set_password,
)


def test_add_stores_an_argon2_hash_never_the_password(Session):
    with Session() as s, s.begin():
        info = add_user(s, "alice", "correct horse", locales=["fr,de", "pt-BR"])
    assert info.locales == ("de", "fr", "pt_BR") and info.role == "reviewer"
    with Session() as s:
        row = s.scalar(select(User).where(User.name == "alice"))
        assert row.password_hash.startswith("$argon2id$")
        assert "correct horse" not in row.password_hash


def test_roles_decide_who_reviews_what(Session):
    with Session() as s, s.begin():
        admin = add_user(s, "root", "correct horse", admin=True)
        fr = add_user(s, "fanny", "correct horse", locales=["fr"])
    assert admin.can_review("ja") and admin.summary == "admin (every locale)"
    assert fr.can_review("fr") and not fr.can_review("de")
    assert fr.summary == "reviewer of fr"


@pytest.mark.parametrize(
    ("name", "password", "kw", "message"),
    [
        ("bad name", "correct horse", {"admin": True}, "invalid user name"),
        ("-x", "correct horse", {"admin": True}, "invalid user name"),
        ("bob", "short", {"admin": True}, "at least 8"),
        ("bob", " padded pw ", {"admin": True}, "whitespace"),
        ("bob", "correct horse", {}, "needs --locale"),
        ("bob", "correct horse", {"locales": ["xx-nope"]}, "xx"),
    ],
)
def test_add_refuses_bad_input(Session, name, password, kw, message):
    with Session() as s, s.begin(), pytest.raises(UserError, match=message):
        add_user(s, name, password, **kw)


def test_names_are_unique(Session):
    with Session() as s, s.begin():
        add_user(s, "alice", "correct horse", admin=True)
    with Session() as s, s.begin(), pytest.raises(UserError, match="already exists"):
        add_user(s, "alice", "other password", admin=True)


def test_authenticate_checks_the_password(Session):
    with Session() as s, s.begin():
        add_user(s, "alice", "correct horse", locales=["fr"])
    with Session() as s, s.begin():
        assert authenticate(s, "alice", "correct horse").name == "alice"
        assert authenticate(s, "alice", "correct horsE") is None
        assert authenticate(s, "nobody", "correct horse") is None


def test_passwd_changes_the_hash_and_ends_ui_sessions(Session):
    with Session() as s, s.begin():
        add_user(s, "alice", "correct horse", locales=["fr"])
        user = user_repo.get_user(s, "alice")
        user_repo.add_ui_session(s, user.id, "h" * 64, "c" * 32, utcnow() + timedelta(hours=1))
    with Session() as s, s.begin():
        assert user_repo.find_ui_session(s, "h" * 64) is not None
        set_password(s, "alice", "battery staple")
    with Session() as s, s.begin():
        assert user_repo.find_ui_session(s, "h" * 64) is None
        assert authenticate(s, "alice", "correct horse") is None
        assert authenticate(s, "alice", "battery staple") is not None
        with pytest.raises(UserError, match="no user"):
            set_password(s, "bob", "battery staple")


def test_expired_sessions_are_not_found_and_get_purged(Session):
    with Session() as s, s.begin():
        add_user(s, "alice", "correct horse", locales=["fr"])
        uid = user_repo.get_user(s, "alice").id
        user_repo.add_ui_session(s, uid, "a" * 64, "c", utcnow() - timedelta(seconds=1))
        user_repo.add_ui_session(s, uid, "b" * 64, "c", utcnow() + timedelta(hours=1))
    with Session() as s, s.begin():
        assert user_repo.find_ui_session(s, "a" * 64) is None
        assert user_repo.purge_ui_sessions(s) == 1
        assert user_repo.find_ui_session(s, "b" * 64)[1].name == "alice"


def test_remove_keeps_the_last_admin_while_others_exist(Session):
    with Session() as s, s.begin():
        add_user(s, "root", "correct horse", admin=True)
        add_user(s, "fanny", "correct horse", locales=["fr"])
    with Session() as s, s.begin():
        with pytest.raises(UserError, match="last active admin"):
            remove_user(s, "root")
        remove_user(s, "fanny")
        with pytest.raises(UserError, match="no user"):
            remove_user(s, "fanny")
    with Session() as s, s.begin():
        remove_user(s, "root")  # the only user left: allowed
        assert list_users(s) == [] and get_user(s, "root") is None


def test_parse_locales_normalises_and_sorts():
    assert parse_locales(["fr, de", "pt-br", ""]) == ("de", "fr", "pt_BR")
