"""Users and roles: an admin reviews every locale, a reviewer the locales given to them.

Passwords are hashed with argon2id (argon2-cffi) and never stored or shown otherwise.
Every function takes the session first and never commits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from locflow.catalog.locales import UnknownLocale, normalise_locale
from locflow.db import user_repo
from locflow.db.models import User

MIN_PASSWORD = 8
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("locflow: a password nobody has")


class UserError(ValueError):
    """Bad input for a user command (one line, shown as is)."""


@dataclass(frozen=True)
class UserInfo:
    name: str
    is_admin: bool
    locales: tuple[str, ...]
    created_at: datetime

    def can_review(self, locale: str) -> bool:
        return self.is_admin or locale in self.locales

    @property
    def role(self) -> str:
        if self.is_admin:
            return "admin (every locale)"
        return "reviewer of " + (", ".join(self.locales) or "no locale")

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "admin": self.is_admin,
            "locales": list(self.locales),
            "created_at": self.created_at.isoformat(timespec="seconds"),
        }


def info(user: User) -> UserInfo:
    return UserInfo(
        name=user.name,
        is_admin=user.is_admin,
        locales=tuple(user.locales or ()),
        created_at=user.created_at,
    )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password needs at least {MIN_PASSWORD} characters")
    if password != password.strip():
        raise UserError("the password must not begin or end with whitespace")


def parse_locales(values: Iterable[str]) -> tuple[str, ...]:
    """`["fr,de", "pt-BR"]` → `("de", "fr", "pt_BR")`; unknown codes are errors."""
    out: set[str] = set()
    for value in values:
        for code in value.split(","):
            if code.strip():
                try:
                    out.add(normalise_locale(code.strip()))
                except UnknownLocale as exc:
                    raise UserError(str(exc)) from None
    return tuple(sorted(out))


def add_user(
    s: Session,
    name: str,
    password: str,
    *,
    admin: bool = False,
    locales: Iterable[str] = (),
) -> UserInfo:
    if not _NAME.match(name):
        raise UserError(
            f"invalid user name {name!r}: letters, digits and _ . @ - (up to 64), "
            "starting with a letter or digit"
        )
    codes = parse_locales(locales)
    if not admin and not codes:
        raise UserError(f"{name}: a reviewer needs --locale (or make them --admin)")
    if user_repo.get_user(s, name) is not None:
        raise UserError(f"user {name!r} already exists")
    check_password_rules(password)
    user = user_repo.insert_user(s, name, hash_password(password), is_admin=admin, locales=codes)
    return info(user)


def get_user(s: Session, name: str) -> UserInfo | None:
    user = user_repo.get_user(s, name)
    return info(user) if user is not None else None


def list_users(s: Session) -> list[UserInfo]:
    return [info(u) for u in user_repo.list_users(s)]


def remove_user(s: Session, name: str) -> None:
    """Remove a user (their reviews stay, under their name)."""
    user = user_repo.get_user(s, name)
    if user is None:
        raise UserError(f"no user {name!r}")
    if user.is_admin and user_repo.count_admins(s) == 1 and len(user_repo.list_users(s)) > 1:
        raise UserError(f"{name} is the last admin; add another admin first")
    user_repo.delete_user(s, name)


def set_password(s: Session, name: str, password: str) -> None:
    """A new password; the user's UI sessions end."""
    user = user_repo.get_user(s, name)
    if user is None:
        raise UserError(f"no user {name!r}")
    check_password_rules(password)
    user_repo.set_password_hash(s, user, hash_password(password))


def authenticate(s: Session, name: str, password: str) -> UserInfo | None:
    """The user when the password is right, else None (same work either way)."""
    user = user_repo.get_user(s, name)
    stored = user.password_hash if user is not None else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user_repo.set_password_hash(s, user, hash_password(password), end_sessions=False)
    return info(user)
