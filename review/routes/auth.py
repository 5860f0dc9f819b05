"""Signing in and out.

A sign-in is throttled (`review.throttle`) by the name tried and by the client's address
(`[ui] trusted_proxies` decides when `X-Forwarded-For` names it): while a back-off runs the
form answers 429 with `Retry-After` and checks no password; at most two passwords are
checked at once, the others wait a moment or get a 429 too.
"""

from __future__ import annotations

from functools import lru_cache

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from locflow.db import user_repo
from locflow.review.routes.deps import AccountPoster, LoginForm, ReviewUi, Ui
from locflow.review.throttle import client_address, parse_networks
from locflow.review.users import UserInfo, authenticate
from locflow.review.web import end_session, login_csrf, set_login_cookie, start_session

router = APIRouter()
_networks = lru_cache(maxsize=8)(parse_networks)


@router.get("/login")
def login_page(request: Request, ui: Ui) -> Response:
    token, fresh = login_csrf(request, ui.secret)
    response = ui.page("login.html", csrf=token, error="", name="", retry_after=0)
    set_login_cookie(response, request, fresh, secure=ui.secure)
    return response


@router.post("/login")
def login(request: Request, ui: Ui, form: LoginForm) -> Response:
    name, password = str(form.get("name", ""))[:64], str(form.get("password", ""))
    account, address = name.casefold(), client_of(request, ui)
    if ui.throttle.wait(account, address) > 0:
        return too_many(request, ui, name, ui.throttle.retry_after(account, address))
    if not ui.checks.acquire():
        return too_many(request, ui, name, 2)
    try:
        if ui.throttle.wait(account, address) > 0:  # failures recorded while this one waited
            return too_many(request, ui, name, ui.throttle.retry_after(account, address))
        with ui.db() as s, s.begin():
            user = authenticate(s, name, password) if name and password else None
            if user is not None:
                ui.throttle.succeeded(account, address)
                return signed_in_response(request, ui, s, user)
        if name and password:
            ui.throttle.failed(account, address)
    finally:
        ui.checks.release()
    token, _ = login_csrf(request, ui.secret)
    return ui.page(
        "login.html", 401, csrf=token, error="Wrong name or password.", name=name, retry_after=0
    )


def client_of(request: Request, ui: ReviewUi) -> str:
    peer = request.client.host if request.client else ""
    trusted = _networks(ui.config.ui.trusted_proxies)
    return client_address(peer, request.headers.getlist("x-forwarded-for"), trusted)


def signed_in_response(request: Request, ui: ReviewUi, s: Session, user: UserInfo) -> Response:
    """A new session; a one-time password leads straight to choosing a new one."""
    target = "/password" if user.password_change_required else "/"
    response = RedirectResponse(target, status_code=303)
    row = user_repo.get_user(s, user.name)
    assert row is not None
    start_session(s, response, request, ui.secret, row.id, secure=ui.secure)
    return response


def too_many(request: Request, ui: ReviewUi, name: str, seconds: int) -> Response:
    """The sign-in form again, 429, saying how long to wait (and `Retry-After`)."""
    token, _ = login_csrf(request, ui.secret)
    unit = "second" if seconds == 1 else "seconds"
    response = ui.page(
        "login.html",
        429,
        csrf=token,
        error=f"Too many failed sign-ins. Try again in {seconds} {unit}.",
        name=name,
        retry_after=seconds,
    )
    response.headers["Retry-After"] = str(seconds)
    return response


@router.post("/logout")
def logout(ui: Ui, me: AccountPoster) -> Response:
    response = RedirectResponse("/login", status_code=303)
    with ui.db() as s, s.begin():
        end_session(s, response, me)
    return response
