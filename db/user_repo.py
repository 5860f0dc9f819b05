"""Reviewer accounts, the audit trail of changes to them (`user_events`), and their sign-in
sessions for the web UI (`ui_sessions`).

Session first, never commits (callers own transactions). The review queue and a string's
history are in `review_repo`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from locflow.db.base import utcnow
from locflow.db.models import UiSession, User, UserEvent

# --- users ------------------------------------------------------------------------------


def get_user(s: Session, name: str) -> User | None:
    return s.scalar(select(User).where(User.name == name))


def list_users(s: Session) -> list[User]:
    return list(s.scalars(select(User).order_by(User.name)))


def insert_user(
    s: Session, name: str, password_hash: str, *, role: str, locales: Sequence[str]
) -> User:
    user = User(name=name, password_hash=password_hash, role=role, locales=list(locales))
    s.add(user)
    s.flush()
    return user


def delete_user(s: Session, name: str) -> bool:
    return s.execute(delete(User).where(User.name == name)).rowcount > 0


def set_password_hash(
    s: Session,
    user: User,
    password_hash: str,
    *,
    end_sessions: bool = True,
    must_change: bool = False,
) -> None:
    user.password_hash, user.updated_at = password_hash, utcnow()
    user.must_change_password = must_change
    if end_sessions:  # a new password signs the user out everywhere
        end_ui_sessions(s, user.id)


def count_admins(s: Session) -> int:
    """Active admins."""
    q = select(func.count()).select_from(User).where(User.role == "admin", User.active.is_(True))
    return s.scalar(q) or 0


def add_event(s: Session, actor: str, user_name: str, action: str, detail: str = "") -> None:
    s.add(UserEvent(actor=actor, user_name=user_name, action=action, detail=detail, at=utcnow()))
    s.flush()


def events(s: Session, user_name: str | None = None) -> list[UserEvent]:
    """The audit trail, oldest first (of one user, or of all)."""
    q = select(UserEvent).order_by(UserEvent.at, UserEvent.id)
    if user_name is not None:
        q = q.where(UserEvent.user_name == user_name)
    return list(s.scalars(q))


# --- UI sessions ------------------------------------------------------------------------


def add_ui_session(
    s: Session, user_id: int, token_hash: str, csrf_token: str, expires_at: datetime
) -> None:
    s.add(
        UiSession(
            user_id=user_id, token_hash=token_hash, csrf_token=csrf_token, expires_at=expires_at
        )
    )
    s.flush()


def find_ui_session(
    s: Session, token_hash: str, now: datetime | None = None
) -> tuple[UiSession, User] | None:
    row = s.execute(
        select(UiSession, User)
        .join(User, User.id == UiSession.user_id)
        .where(
            UiSession.token_hash == token_hash,
            UiSession.expires_at > (now or utcnow()),
            User.active.is_(True),
        )
    ).first()
    return (row[0], row[1]) if row else None


def end_ui_sessions(s: Session, user_id: int) -> int:
    """Sign a user out everywhere (after any change to their account)."""
    return s.execute(delete(UiSession).where(UiSession.user_id == user_id)).rowcount


def delete_ui_session(s: Session, token_hash: str) -> None:
    s.execute(delete(UiSession).where(UiSession.token_hash == token_hash))


def purge_ui_sessions(s: Session, now: datetime | None = None) -> int:
    return s.execute(delete(UiSession).where(UiSession.expires_at <= (now or utcnow()))).rowcount
