"""What every route of the review UI shares, as FastAPI dependencies.

The app's state is one `ReviewUi` on `app.state.ui` (config, session factory, templates,
secret, glossary cache). Pages depend on `Reviewer`: the signed-in user, or a redirect to
sign in. Every POST depends on `Poster` (a signed-in user whose form carries their session's
CSRF token) or, for signing in, on `LoginForm` (the double-submit token); without it the
request ends with 403 before the route runs.

A user who signed in with a one-time password (`password_change_required`) is sent to
`/password` by `Reviewer` and `Poster` alike, so nothing but choosing a new password (and
signing out, which use `Account` and `AccountPoster`) is reachable until they have.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Annotated, Any, cast

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from locflow.db import repo
from locflow.review.actions import PermissionDenied
from locflow.review.throttle import PasswordChecks, SignInThrottle
from locflow.review.views import GlossaryCache
from locflow.review.web import (
    WebUser,
    check_csrf,
    check_login_csrf,
    security_headers,
    signed_in,
)
from locflow.settings import Config

NOTICES = {
    "approved": "Approved.",
    "rejected": "Rejected: it will be translated again on the next run.",
    "saved": "Saved as a new version and approved.",
    "kept": "Saved as a new version; kept for review because checks fail.",
    "reverted": "Restored as a new version.",
    "bulk": "Bulk approval done.",
    "signed-out": "Signed out.",
    "password": "Your password is changed; your other sessions are signed out.",
}


@dataclass(frozen=True)
class ReviewUi:
    """What the routes share, built once by `create_app`."""

    config: Config
    db: sessionmaker[Session]
    templates: Environment
    secret: bytes
    glossary: GlossaryCache
    throttle: SignInThrottle = field(default_factory=SignInThrottle)
    checks: PasswordChecks = field(default_factory=PasswordChecks)

    @property
    def locales(self) -> tuple[str, ...]:
        return tuple(self.config.locales)

    def ordered(self, me: WebUser | None) -> tuple[str, ...]:
        """The locales a signed-in user reviews first (in config order), then the others:
        with dozens of locales, theirs are the tabs and rows they look for."""
        if me is None:
            return self.locales
        return tuple(sorted(self.locales, key=lambda loc: not me.user.can_review(loc)))

    def page(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        """A rendered page with the security headers (and a fresh nonce for our script)."""
        nonce = secrets.token_urlsafe(16)
        context.setdefault("me", None)
        context.setdefault("locale", "")
        html = self.templates.get_template(template).render(
            nonce=nonce, project=self.config.project, locales=self.ordered(context["me"]), **context
        )
        response = HTMLResponse(html, status_code=status)
        security_headers(response, nonce, hsts=self.secure)
        return response

    @property
    def secure(self) -> bool:
        """A TLS proxy is declared: cookies get `Secure`, pages HSTS."""
        return self.config.ui.secure_cookies

    def project_id(self, s: Session) -> int | None:
        project = repo.find_project(s, self.config.project)
        return project.id if project is not None else None


def notice(request: Request) -> str:
    """The message a redirect asked for (`?notice=approved`), or ""."""
    return NOTICES.get(request.query_params.get("notice", ""), "")


class NeedsLogin(Exception):
    """No session: pages send the visitor to sign in."""


class NeedsNewPassword(Exception):
    """Signed in with a one-time password: every page but `/password` sends them there."""


# --- the dependencies -------------------------------------------------------------------


def ui_of(request: Request) -> ReviewUi:
    return cast(ReviewUi, request.app.state.ui)


Ui = Annotated[ReviewUi, Depends(ui_of)]


async def form_fields(request: Request) -> dict[str, Any]:
    return dict(await request.form())


Form = Annotated[dict[str, Any], Depends(form_fields)]


def known_locale(locale: str, ui: Ui) -> str:
    """The `{locale}` of the path, 404 unless the project has it."""
    if locale not in ui.locales:
        raise HTTPException(404, f"{locale} is not a locale of this project")
    return locale


Locale = Annotated[str, Depends(known_locale)]


def account(request: Request, ui: Ui) -> WebUser:
    """The signed-in user, even one who must still choose a new password (for `/password`
    and signing out); without a session, a redirect to sign in."""
    with ui.db() as s:
        me = signed_in(s, request, ui.secret)
    if me is None:
        raise NeedsLogin()
    return me


Account = Annotated[WebUser, Depends(account)]


def reviewer(me: Account) -> WebUser:
    """The signed-in user of a page; one who must choose a new password is sent to do so."""
    if me.user.password_change_required:
        raise NeedsNewPassword()
    return me


Reviewer = Annotated[WebUser, Depends(reviewer)]


def account_poster(request: Request, ui: Ui, form: Form) -> WebUser:
    """The signed-in user of a POST whose form carries their CSRF token; 403 otherwise."""
    with ui.db() as s:
        me = signed_in(s, request, ui.secret)
    if me is None:
        raise HTTPException(403, "not signed in")
    check_csrf(form, me)
    return me


AccountPoster = Annotated[WebUser, Depends(account_poster)]


def poster(me: AccountPoster) -> WebUser:
    """As `account_poster`; one who must choose a new password is sent to do so (and the
    action is not done)."""
    if me.user.password_change_required:
        raise NeedsNewPassword()
    return me


Poster = Annotated[WebUser, Depends(poster)]


def login_form(request: Request, ui: Ui, form: Form) -> dict[str, Any]:
    """The sign-in form, once its double-submit CSRF token checks out; 403 otherwise."""
    check_login_csrf(request, form, ui.secret)
    return form


LoginForm = Annotated[dict[str, Any], Depends(login_form)]


# --- error pages ------------------------------------------------------------------------


async def to_login(request: Request, exc: Exception) -> Response:
    return RedirectResponse("/login", status_code=303)


async def to_password(request: Request, exc: Exception) -> Response:
    return RedirectResponse("/password", status_code=303)


async def http_error_page(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)  # FastAPI's, and the router's 404/405
    response = ui_of(request).page("error.html", exc.status_code, message=str(exc.detail))
    response.headers.update(exc.headers or {})  # Allow on a 405, Retry-After on a 429
    return response


async def denied_page(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PermissionDenied)
    return ui_of(request).page("error.html", 403, message=f"Not allowed: {exc}")
