"""The reviewer web UI: FastAPI, server-rendered Jinja2 pages, no JavaScript build.

`create_app(config, secret=…)` serves sign-in, a queue per locale with filters, one item
with its plural forms, history and checks, and the review actions (`review.actions`, which
enforces who may do what). Every page escapes what it shows (autoescape; no `|safe` on
data), every POST needs a CSRF token, and the only script is ours (CSP nonce).

The routes live in `review.routes` (one router per screen); sign-in and CSRF are their
dependencies (`review.routes.deps`), and what they share is one `ReviewUi` on `app.state`.
Every error is a page with the security headers too (`web.Hardened` and the handlers
below): a framework 404/405/400, a bad id (404), a body over `[ui] max_body_bytes` (413),
a server error (500). Sign-in is throttled (`review.throttle`, used by `routes.auth`).
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from locflow.db.session import open_database
from locflow.review.actions import PermissionDenied
from locflow.review.present import diff_text, shorten, shorten_pieces, state_name
from locflow.review.routes import admin, auth, item, password, queue
from locflow.review.routes.deps import (
    NeedsLogin,
    NeedsNewPassword,
    ReviewUi,
    denied_page,
    http_error_page,
    to_login,
    to_password,
    ui_of,
)
from locflow.review.throttle import SignInThrottle
from locflow.review.views import GlossaryCache
from locflow.review.web import (
    CSRF_FIELD,
    BodyTooLarge,
    Hardened,
    security_headers,
    signed_in,
    ui_secret,
)
from locflow.settings import Config

HERE = Path(__file__).parent

__all__ = ["create_app", "ui_secret"]


def templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"), autoescape=True, undefined=StrictUndefined
    )
    env.globals.update(state_name=state_name, diff_text=diff_text, csrf_field=CSRF_FIELD)
    env.filters.update(short=shorten_pieces, short_text=shorten)  # lists: ~300 characters
    return env


def create_app(
    config: Config,
    *,
    secret: bytes,
    factory: sessionmaker[Session] | None = None,
    throttle: SignInThrottle | None = None,
) -> FastAPI:
    app = FastAPI(
        title="locflow review",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(plain_ids)],
    )
    ui = ReviewUi(
        config=config,
        db=factory or open_database(config.database_url),
        templates=templates(),
        secret=secret,
        glossary=GlossaryCache(config),
        throttle=throttle or SignInThrottle(),
    )
    app.state.ui = ui
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for router in (auth.router, password.router, queue.router, item.router, admin.router):
        app.include_router(router)
    app.add_exception_handler(NeedsLogin, to_login)
    app.add_exception_handler(NeedsNewPassword, to_password)
    app.add_exception_handler(StarletteHTTPException, http_error_page)
    app.add_exception_handler(RequestValidationError, invalid_request_page)
    app.add_exception_handler(BodyTooLarge, too_large_page)
    app.add_exception_handler(PermissionDenied, denied_page)
    app.add_exception_handler(Exception, server_error_page)
    app.add_middleware(
        Hardened,
        hsts=ui.secure,
        max_body=config.ui.max_body_bytes,
        error_page=lambda status, message: ui.page("error.html", status, message=message),
    )
    return app


_PLAIN_ID = re.compile(r"[0-9]{1,18}")


def plain_ids(request: Request) -> None:
    """A whole-number path parameter (`/item/{vid}`) is plain digits below 10**18, else the
    page does not exist (404): `abc`, `-1` or a number past the database's 64 bits never
    reach a query (SQLite would fail on it with a 500). As for any page, the visitor must be
    signed in first (or learns nothing but the way to the sign-in form)."""
    dependant = getattr(request.scope.get("route"), "dependant", None)
    for param in getattr(dependant, "path_params", ()):
        value = str(request.path_params.get(param.name, ""))
        if param.field_info.annotation is int and not _PLAIN_ID.fullmatch(value):
            ui = ui_of(request)
            with ui.db() as s:
                if signed_in(s, request, ui.secret) is None:
                    if request.method in ("GET", "HEAD"):
                        raise NeedsLogin()
                    raise HTTPException(403, "not signed in")
            raise HTTPException(404, "No such page.")


async def invalid_request_page(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if any(error.get("loc", ("",))[0] == "path" for error in exc.errors()):
        return ui_of(request).page("error.html", 404, message="No such page.")
    return ui_of(request).page("error.html", 422, message="The request was not understood.")


async def too_large_page(request: Request, exc: Exception) -> Response:
    return ui_of(request).page("error.html", 413, message=str(exc))


async def server_error_page(request: Request, exc: Exception) -> Response:
    """A 500 as a page with the security headers (the traceback goes to the log only)."""
    message = "Something went wrong on the server; it is in the server's log."
    try:
        return ui_of(request).page("error.html", 500, message=message)
    except Exception:  # the page itself failed: plain text, same headers
        response = PlainTextResponse(message, status_code=500)
        security_headers(response, secrets.token_urlsafe(16), hsts=ui_of(request).secure)
        return response
