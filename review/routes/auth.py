"""Signing in and out."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from locflow.db import user_repo
from locflow.review.routes.deps import LoginForm, Poster, Ui
from locflow.review.users import authenticate
from locflow.review.web import end_session, login_csrf, set_login_cookie, start_session

router = APIRouter()


@router.get("/login")
def login_page(request: Request, ui: Ui) -> Response:
    token, fresh = login_csrf(request, ui.secret)
    response = ui.page("login.html", csrf=token, error="", name="")
    set_login_cookie(response, request, fresh)
    return response


@router.post("/login")
def login(request: Request, ui: Ui, form: LoginForm) -> Response:
    name, password = str(form.get("name", ""))[:64], str(form.get("password", ""))
    with ui.db() as s, s.begin():
        user = authenticate(s, name, password) if name and password else None
        if user is not None:
            response = RedirectResponse("/", status_code=303)
            row = user_repo.get_user(s, user.name)
            assert row is not None
            start_session(s, response, request, ui.secret, row.id)
            return response
    token, _ = login_csrf(request, ui.secret)
    return ui.page("login.html", 401, csrf=token, error="Wrong name or password.", name=name)


@router.post("/logout")
def logout(ui: Ui, me: Poster) -> Response:
    response = RedirectResponse("/login", status_code=303)
    with ui.db() as s, s.begin():
        end_session(s, response, me)
    return response
