"""User administration for admins (`/admin/users`): the users with their role, locales and
last change; adding one; and per user (`/admin/users/{name}`) changing role and locales,
deactivating or activating, resetting the password, and the audit trail.

Every action is `review.users`'s own, with `by=` the signed-in admin: it checks the right
again, writes the `user_events` row and signs the changed user out everywhere. A new user
and a reset get a one-time password, shown once on the page that answers the form (never
in a URL or a log); its holder must choose their own at the first sign-in. What the backend
refuses (the last admin, an unknown locale, a bad name) comes back as the page with the
message (400), never as a server error. Others than admins get a 403 page.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from locflow.review import users
from locflow.review.routes.deps import Form, Poster, Reviewer, ReviewUi, Ui
from locflow.review.routes.password import sentence
from locflow.review.users import Role, UserError, UserInfo
from locflow.review.web import WebUser

router = APIRouter()

NOTICES = {
    "role": "Role changed; they were signed out.",
    "locales": "Locales changed; they were signed out.",
    "deactivate": "Deactivated: they can no longer sign in; their history stays.",
    "activate": "Activated: they can sign in again.",
}
ROLES = tuple(r.value for r in Role)


def admin(me: Reviewer) -> WebUser:
    """The signed-in admin of a page; 403 for anyone else."""
    if not me.user.can_manage_users:
        raise HTTPException(403, "Only an admin manages users.")
    return me


def admin_poster(me: Poster) -> WebUser:
    """The signed-in admin of a POST carrying their CSRF token; 403 for anyone else."""
    return admin(me)


Admin = Annotated[WebUser, Depends(admin)]
AdminPoster = Annotated[WebUser, Depends(admin_poster)]


@dataclass(frozen=True)
class UserRow:
    user: UserInfo
    last_at: datetime | None
    last: str
    """The last change to the account: `set-role by root`."""


@dataclass(frozen=True)
class OneTime:
    """A one-time password to hand over, shown once."""

    name: str
    password: str


def user_rows(s: Session) -> list[UserRow]:
    last: dict[str, tuple[datetime, str]] = {}
    for at, actor, name, action, _ in users.events(s):  # oldest first: the last one stays
        last[name] = (at, f"{action} by {actor}")
    return [UserRow(u, *last.get(u.name, (None, ""))) for u in users.list_users(s)]


def list_page(
    ui: ReviewUi,
    s: Session,
    me: WebUser,
    status: int = 200,
    *,
    error: str = "",
    one_time: OneTime | None = None,
    form: Mapping[str, Any] | None = None,
) -> Response:
    return ui.page(
        "admin.html",
        status,
        me=me,
        rows=user_rows(s),
        roles=ROLES,
        error=error,
        one_time=one_time,
        form=dict(form or {}),
    )


@router.get("/admin/users")
def users_page(ui: Ui, me: Admin) -> Response:
    with ui.db() as s:
        return list_page(ui, s, me)


@router.post("/admin/users")
def add_user(ui: Ui, me: AdminPoster, form: Form) -> Response:
    """A new user with a one-time password (`add_user`, then `reset_password`: the account
    never has a password anyone knows but the one shown here)."""
    name = str(form.get("name", "")).strip()
    with ui.db() as s:
        try:
            with s.begin():
                users.add_user(
                    s,
                    name,
                    secrets.token_urlsafe(24),
                    role=str(form.get("role", "reviewer")),
                    locales=[str(form.get("locales", ""))],
                    by=me.user,
                )
                one_time = users.reset_password(s, name, by=me.user)
        except UserError as exc:
            return list_page(ui, s, me, 400, error=sentence(str(exc)), form=form)
        return list_page(ui, s, me, one_time=OneTime(name, one_time))


# --- one user ---------------------------------------------------------------------------


def user_page(
    request: Request,
    ui: ReviewUi,
    s: Session,
    me: WebUser,
    name: str,
    status: int = 200,
    *,
    error: str = "",
    one_time: OneTime | None = None,
) -> Response:
    user = users.get_user(s, name)
    if user is None:
        raise HTTPException(404, f"No user {name!r}.")
    trail = list(reversed(users.events(s, name)))  # newest first
    return ui.page(
        "admin_user.html",
        status,
        me=me,
        user=user,
        roles=ROLES,
        trail=trail,
        error=error,
        one_time=one_time,
        notice=NOTICES.get(request.query_params.get("notice", ""), ""),
    )


@router.get("/admin/users/{name}")
def one_user(request: Request, name: str, ui: Ui, me: Admin) -> Response:
    with ui.db() as s:
        return user_page(request, ui, s, me, name)


Change = Callable[[Session, str, Mapping[str, Any], UserInfo], object]
"""One change to a user: (session, their name, the posted form, the acting admin)."""

CHANGES: dict[str, Change] = {
    "role": lambda s, name, form, by: users.set_role(s, name, str(form.get("role", "")), by=by),
    "locales": lambda s, name, form, by: users.set_locales(
        s, name, [str(form.get("locales", ""))], by=by
    ),
    "deactivate": lambda s, name, form, by: users.deactivate(s, name, by=by),
    "activate": lambda s, name, form, by: users.activate(s, name, by=by),
}


@router.post("/admin/users/{name}/{action}")
def change_user(
    request: Request, name: str, action: str, ui: Ui, me: AdminPoster, form: Form
) -> Response:
    """One of `CHANGES`, then back to the user's page with its notice; a reset shows its
    one-time password instead. A change to one's own account signs oneself out too."""
    if action != "reset-password" and action not in CHANGES:
        raise HTTPException(404, "No such page.")
    with ui.db() as s:
        try:
            with s.begin():
                if users.get_user(s, name) is None:
                    raise HTTPException(404, f"No user {name!r}.")
                if action == "reset-password":
                    one_time = OneTime(name, users.reset_password(s, name, by=me.user))
                else:
                    CHANGES[action](s, name, form, me.user)
                    one_time = None
        except UserError as exc:
            return user_page(request, ui, s, me, name, 400, error=sentence(str(exc)))
        if one_time is not None:
            return user_page(request, ui, s, me, name, one_time=one_time)
    return RedirectResponse(f"/admin/users/{name}?notice={action}", status_code=303)
