"""Choosing one's own password (`/password`).

A user signed in with a one-time password (a new account, a reset) lands here and can reach
no other page until they choose their own (`deps.Reviewer` and `deps.Poster` send them
back); any signed-in user may change theirs here too. The current password must be given,
and a wrong one counts as a failed sign-in for the throttle (a stolen session must not
become a free password oracle). `users.change_own_password` ends every session of the user,
this one included, so a fresh session is started for the browser that made the change.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from locflow.db import user_repo
from locflow.review.routes.auth import client_of
from locflow.review.routes.deps import Account, AccountPoster, Form, ReviewUi, Ui
from locflow.review.users import MIN_PASSWORD, UserError, change_own_password
from locflow.review.web import WebUser, start_session

router = APIRouter()


@router.get("/password")
def password_page(ui: Ui, me: Account) -> Response:
    return page(ui, me)


def page(ui: ReviewUi, me: WebUser, status: int = 200, error: str = "") -> Response:
    return ui.page(
        "password.html",
        status,
        me=me,
        error=error,
        forced=me.user.password_change_required,
        min_length=MIN_PASSWORD,
    )


@router.post("/password")
def change_password(request: Request, ui: Ui, me: AccountPoster, form: Form) -> Response:
    current, new = str(form.get("current", "")), str(form.get("new", ""))
    if new != str(form.get("repeat", "")):
        return page(ui, me, 400, "The new password and its repetition differ.")
    account, address = me.name.casefold(), client_of(request, ui)
    if ui.throttle.wait(account, address) > 0:
        seconds = ui.throttle.retry_after(account, address)
        response = page(ui, me, 429, f"Too many wrong passwords. Try again in {seconds} s.")
        response.headers["Retry-After"] = str(seconds)
        return response
    if not ui.checks.acquire():
        return page(ui, me, 429, "The server is busy checking passwords. Try again.")
    try:
        with ui.db() as s, s.begin():
            try:
                change_own_password(s, me.name, current, new)
            except UserError as exc:
                if str(exc).startswith("wrong current password"):
                    ui.throttle.failed(account, address)
                return page(ui, me, 400, sentence(str(exc)))
            ui.throttle.succeeded(account, address)
            response = RedirectResponse("/?notice=password", status_code=303)
            row = user_repo.get_user(s, me.name)
            assert row is not None
            start_session(s, response, request, ui.secret, row.id, secure=ui.secure)
            return response
    finally:
        ui.checks.release()


def sentence(text: str) -> str:
    """A backend message (`fanny is active`) as a notice on a page (`Not done: fanny is
    active.`): it may begin with a user's name, whose case must stay."""
    return f"Not done: {text}" + ("" if text.endswith(".") else ".")
