"""Users and roles (reviewer < lead < admin), and managing them.

A reviewer approves, edits and rejects in their locales; a lead may also override failing
checks and bulk-approve there; an admin may do all of that in every locale and manage
users. A deactivated user keeps their history but cannot sign in or act.

Every change to a user writes a `user_events` row (who, whom, what) and ends that user's UI
sessions, so a new role or a deactivation holds from the next request on. The changes take
`by`: a signed-in admin (`UserInfo`, refused unless `can_manage_users`) or, from the command
line, a label (`cli:NAME`): whoever can run the CLI could change the database anyway.

Passwords are hashed with argon2id (argon2-cffi) and never stored or shown otherwise (a
reset's one-time password is returned once, to be handed over). Every function takes the
session first and never commits.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from locflow.catalog.locales import UnknownLocale, normalise_locale
from locflow.db import user_repo
from locflow.db.base import utcnow
from locflow.db.models import ROLES, User

MIN_PASSWORD = 8
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("locflow: a password nobody has")


class UserError(ValueError):
    """Bad input for a user command (one line, shown as is)."""


class NotAllowed(UserError):
    """The acting user may not manage users."""


class Role(StrEnum):
    REVIEWER = "reviewer"
    LEAD = "lead"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return ROLES.index(self.value)

    @classmethod
    def parse(cls, value: str) -> Role:
        try:
            return cls(value.strip().lower())
        except ValueError:
            raise UserError(f"unknown role {value!r}: reviewer, lead or admin") from None


@dataclass(frozen=True)
class UserInfo:
    name: str
    role: Role
    locales: tuple[str, ...]
    created_at: datetime
    active: bool = True
    must_change_password: bool = False

    def can_review(self, locale: str) -> bool:
        """Approve, edit and reject in `locale`."""
        return self.active and (self.role == Role.ADMIN or locale in self.locales)

    def can_override(self, locale: str) -> bool:
        """Approve in `locale` despite failing error-level checks (with a reason)."""
        return self.can_review(locale) and self.role.rank >= Role.LEAD.rank

    def can_bulk(self, locale: str) -> bool:
        """Approve every clean item of a queue in `locale` at once."""
        return self.can_override(locale)

    @property
    def can_manage_users(self) -> bool:
        return self.active and self.role == Role.ADMIN

    @property
    def password_change_required(self) -> bool:
        """Signed in with a one-time password: the UI asks for a new one before anything."""
        return self.must_change_password

    @property
    def summary(self) -> str:
        """`admin (every locale)`, `lead of de, fr`, `reviewer of fr (deactivated)`."""
        if self.role == Role.ADMIN:
            text = "admin (every locale)"
        else:
            text = f"{self.role.value} of " + (", ".join(self.locales) or "no locale")
        return text if self.active else text + " (deactivated)"

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "role": self.role.value,
            "locales": list(self.locales),
            "active": self.active,
            "must_change_password": self.must_change_password,
            "created_at": self.created_at.isoformat(timespec="seconds"),
        }


Actor = UserInfo | str
"""Who changes a user: a signed-in admin, or a label for the command line (`cli:NAME`)."""


def info(user: User) -> UserInfo:
    return UserInfo(
        name=user.name,
        role=Role(user.role),
        locales=tuple(user.locales or ()),
        created_at=user.created_at,
        active=user.active,
        must_change_password=user.must_change_password,
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


def _by(by: Actor) -> str:
    """The audit label of `by`; NotAllowed unless it may manage users."""
    if isinstance(by, UserInfo):
        if not by.can_manage_users:
            raise NotAllowed(f"{by.name} may not manage users ({by.summary})")
        return by.name
    return by or "cli"


def _found(s: Session, name: str) -> User:
    user = user_repo.get_user(s, name)
    if user is None:
        raise UserError(f"no user {name!r}")
    return user


def _changed(s: Session, user: User, by: str, action: str, detail: str = "") -> UserInfo:
    """Record a change to `user` and sign them out everywhere (their rights changed)."""
    user_repo.add_event(s, by, user.name, action, detail)
    user_repo.end_ui_sessions(s, user.id)
    return info(user)


def _keeps_an_admin(s: Session, user: User, what: str) -> None:
    if user.role == Role.ADMIN and user.active and user_repo.count_admins(s) <= 1:
        raise UserError(f"{user.name} is the last active admin; {what} another admin first")


# --- accounts ---------------------------------------------------------------------------


def add_user(
    s: Session,
    name: str,
    password: str,
    *,
    role: Role | str | None = None,
    admin: bool = False,
    locales: Iterable[str] = (),
    by: Actor = "cli",
) -> UserInfo:
    """A new user; `admin=True` is short for `role="admin"`. Reviewers and leads need
    locales."""
    actor = _by(by)
    if not _NAME.match(name):
        raise UserError(
            f"invalid user name {name!r}: letters, digits and _ . @ - (up to 64), "
            "starting with a letter or digit"
        )
    chosen = Role.ADMIN if admin else Role.parse(str(role or Role.REVIEWER))
    codes = parse_locales(locales)
    if chosen != Role.ADMIN and not codes:
        raise UserError(f"{name}: a {chosen.value} needs --locale (or make them an admin)")
    if user_repo.get_user(s, name) is not None:
        raise UserError(f"user {name!r} already exists")
    check_password_rules(password)
    user = user_repo.insert_user(s, name, hash_password(password), role=chosen, locales=codes)
    return _changed(s, user, actor, "add", info(user).summary)


def get_user(s: Session, name: str) -> UserInfo | None:
    user = user_repo.get_user(s, name)
    return info(user) if user is not None else None


def list_users(s: Session) -> list[UserInfo]:
    return [info(u) for u in user_repo.list_users(s)]


def remove_user(s: Session, name: str, *, by: Actor = "cli") -> None:
    """Remove a user (their reviews stay, under their name). Deactivating is usually better:
    the account stays on record and can be brought back."""
    actor = _by(by)
    user = _found(s, name)
    if len(user_repo.list_users(s)) > 1:
        _keeps_an_admin(s, user, "add")
    user_repo.add_event(s, actor, name, "remove", info(user).summary)
    user_repo.delete_user(s, name)


def set_role(s: Session, name: str, role: Role | str, *, by: Actor = "cli") -> UserInfo:
    actor = _by(by)
    user = _found(s, name)
    new = Role.parse(str(role))
    old = Role(user.role)
    if new == old:
        raise UserError(f"{name} is already a {new.value}")
    if old == Role.ADMIN:
        _keeps_an_admin(s, user, "make")
    if new != Role.ADMIN and not user.locales:
        raise UserError(f"{name} has no locale: set-locales first, then make them a {new.value}")
    user.role, user.updated_at = new.value, utcnow()
    return _changed(s, user, actor, "set-role", f"{old.value} -> {new.value}")


def set_locales(s: Session, name: str, locales: Iterable[str], *, by: Actor = "cli") -> UserInfo:
    actor = _by(by)
    user = _found(s, name)
    codes = parse_locales(locales)
    if not codes and user.role != Role.ADMIN:
        raise UserError(f"{name}: a {user.role} needs at least one locale")
    old = ", ".join(user.locales or ()) or "none"
    user.locales, user.updated_at = list(codes), utcnow()
    return _changed(s, user, actor, "set-locales", f"{old} -> {', '.join(codes) or 'none'}")


def deactivate(s: Session, name: str, *, by: Actor = "cli") -> UserInfo:
    """The user can no longer sign in or act; their history stays."""
    actor = _by(by)
    user = _found(s, name)
    if not user.active:
        raise UserError(f"{name} is already deactivated")
    _keeps_an_admin(s, user, "make")
    user.active, user.updated_at = False, utcnow()
    return _changed(s, user, actor, "deactivate")


def activate(s: Session, name: str, *, by: Actor = "cli") -> UserInfo:
    actor = _by(by)
    user = _found(s, name)
    if user.active:
        raise UserError(f"{name} is active")
    user.active, user.updated_at = True, utcnow()
    return _changed(s, user, actor, "activate")


def set_password(s: Session, name: str, password: str, *, by: Actor = "cli") -> None:
    """A new password (typed by whoever runs `user passwd`); the user's UI sessions end."""
    actor = _by(by)
    user = _found(s, name)
    check_password_rules(password)
    user_repo.set_password_hash(s, user, hash_password(password))
    _changed(s, user, actor, "passwd")


def reset_password(s: Session, name: str, *, by: Actor = "cli") -> str:
    """A one-time password, returned once to be handed over: the user must choose a new one
    at the next sign-in (`password_change_required`)."""
    actor = _by(by)
    user = _found(s, name)
    one_time = secrets.token_urlsafe(12)
    user_repo.set_password_hash(s, user, hash_password(one_time), must_change=True)
    _changed(s, user, actor, "reset-password", "one-time password; must change at sign-in")
    return one_time


def change_own_password(s: Session, name: str, current: str, new: str) -> UserInfo:
    """The user's own change (the web's form after a reset): the current password first."""
    if authenticate(s, name, current) is None:
        raise UserError("wrong current password")
    if new == current:
        raise UserError("choose a password other than the current one")
    check_password_rules(new)
    user = _found(s, name)
    user_repo.set_password_hash(s, user, hash_password(new))
    return _changed(s, user, name, "passwd", "changed by the user")


def events(s: Session, name: str | None = None) -> list[tuple[datetime, str, str, str, str]]:
    """The audit trail (at, actor, user, action, detail), oldest first."""
    return [(e.at, e.actor, e.user_name, e.action, e.detail) for e in user_repo.events(s, name)]


def authenticate(s: Session, name: str, password: str) -> UserInfo | None:
    """The user when the password is right and the account active, else None: the same
    work either way (an unknown or deactivated name costs one argon2 check like the rest)."""
    user = user_repo.get_user(s, name)
    stored = user.password_hash if user is not None else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user_repo.set_password_hash(
            s,
            user,
            hash_password(password),
            end_sessions=False,
            must_change=user.must_change_password,
        )
    return info(user)
