"""Sign-in sessions, CSRF and security headers for the review UI.

Sessions are server-side (`ui_sessions`): the cookie holds a random token, the table only
its HMAC under the UI secret, so a copied database opens no session and a new secret ends
them all. Every POST carries a CSRF token: the session's own once signed in, and on the
sign-in form a double-submit token (a random cookie and its HMAC in the form).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from fastapi import HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from locflow.db import user_repo
from locflow.db.base import utcnow
from locflow.review.users import UserInfo, info

SESSION_COOKIE = "locflow_session"
LOGIN_COOKIE = "locflow_login"
SESSION_HOURS = 12
CSRF_FIELD = "csrf"


def ui_secret(env: Mapping[str, str]) -> bytes:
    """`LOCFLOW_UI_SECRET`, or a random secret for this process (with a warning)."""
    value = env.get("LOCFLOW_UI_SECRET", "")
    if value:
        if len(value) < 16:
            print(
                "locflow ui: warning: LOCFLOW_UI_SECRET is short; use 32+ random characters",
                file=sys.stderr,
            )
        return value.encode("utf-8")
    print(
        "locflow ui: warning: LOCFLOW_UI_SECRET is not set; using a random secret for this "
        "process (everyone is signed out when it stops)",
        file=sys.stderr,
    )
    return secrets.token_bytes(32)


def _mac(secret: bytes, purpose: str, value: str) -> str:
    return hmac.new(secret, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class WebUser:
    """The signed-in user of one request, read fresh from the database."""

    user: UserInfo
    csrf: str
    token_hash: str

    @property
    def name(self) -> str:
        return self.user.name


def signed_in(s: Session, request: Request, secret: bytes) -> WebUser | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 200:
        return None
    digest = _mac(secret, "session", token)
    found = user_repo.find_ui_session(s, digest)
    if found is None:
        return None
    session, user = found
    return WebUser(info(user), session.csrf_token, digest)


def start_session(
    s: Session, response: Response, request: Request, secret: bytes, user_id: int
) -> None:
    token = secrets.token_urlsafe(32)
    user_repo.purge_ui_sessions(s)
    user_repo.add_ui_session(
        s,
        user_id,
        _mac(secret, "session", token),
        secrets.token_urlsafe(32),
        utcnow() + timedelta(hours=SESSION_HOURS),
    )
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    response.delete_cookie(LOGIN_COOKIE, path="/")


def end_session(s: Session, response: Response, web_user: WebUser) -> None:
    user_repo.delete_ui_session(s, web_user.token_hash)
    response.delete_cookie(SESSION_COOKIE, path="/")


def check_csrf(form: Mapping[str, object], web_user: WebUser) -> None:
    """403 unless the form carries this session's CSRF token."""
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(sent, web_user.csrf):
        raise HTTPException(status_code=403, detail="missing or wrong CSRF token")


def login_csrf(request: Request, secret: bytes) -> tuple[str, str | None]:
    """(token for the sign-in form, a new cookie nonce to set or None)."""
    nonce = request.cookies.get(LOGIN_COOKIE)
    fresh = None
    if not nonce or len(nonce) > 100:
        nonce = fresh = secrets.token_urlsafe(24)
    return _mac(secret, "login", nonce), fresh


def check_login_csrf(request: Request, form: Mapping[str, object], secret: bytes) -> None:
    nonce = request.cookies.get(LOGIN_COOKIE)
    sent = form.get(CSRF_FIELD)
    if (
        not nonce
        or not isinstance(sent, str)
        or not hmac.compare_digest(sent, _mac(secret, "login", nonce))
    ):
        raise HTTPException(status_code=403, detail="missing or wrong CSRF token")


def set_login_cookie(response: Response, request: Request, nonce: str | None) -> None:
    if nonce:
        response.set_cookie(
            LOGIN_COOKIE,
            nonce,
            max_age=3600,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )


def security_headers(response: Response, nonce: str) -> None:
    """No inline script but ours (by nonce), no framing, no sniffing, nothing cached."""
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; img-src 'self'; "
        f"script-src 'nonce-{nonce}'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers.setdefault("Cache-Control", "no-store")
