"""Sign-in sessions, CSRF and security headers for the review UI.

Sessions are server-side (`ui_sessions`): the cookie holds a random token, the table only
its HMAC under the UI secret, so a copied database opens no session and a new secret ends
them all. Every POST carries a CSRF token: the session's own once signed in, and on the
sign-in form a double-submit token (a random cookie and its HMAC in the form).

The UI secret is required (32+ bytes) beyond loopback. `Hardened`, an ASGI middleware, puts
the security headers on every response, errors included, and refuses oversized bodies.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from fastapi import HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from locflow.db import user_repo
from locflow.db.base import utcnow
from locflow.review.users import UserInfo, info

SESSION_COOKIE = "locflow_session"
LOGIN_COOKIE = "locflow_login"
SESSION_HOURS = 12
CSRF_FIELD = "csrf"


MIN_SECRET = 32
"""Bytes of `LOCFLOW_UI_SECRET` required when the UI listens beyond this machine."""


class SecretError(ValueError):
    """`LOCFLOW_UI_SECRET` missing or too short for a UI reachable from other machines."""


def is_loopback(host: str) -> bool:
    """Whether `host` is only reachable from this machine (`0.0.0.0` and names are not)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def ui_secret(env: Mapping[str, str], host: str = "127.0.0.1") -> bytes:
    """`LOCFLOW_UI_SECRET`; on loopback a missing or short one is only warned about (a
    missing one is replaced by a random secret for this process). Beyond loopback it must
    hold 32 bytes or more: a guessable secret would let anyone forge session tokens from a
    copied database, and a random one would sign everyone out at each restart."""
    value = env.get("LOCFLOW_UI_SECRET", "")
    size = len(value.encode("utf-8"))
    if not is_loopback(host) and size < MIN_SECRET:
        problem = "is not set" if not value else f"has {size} bytes"
        raise SecretError(
            f"LOCFLOW_UI_SECRET {problem}; serving on {host} needs {MIN_SECRET}+ random bytes "
            "(e.g. openssl rand -hex 32)"
        )
    if value:
        if size < MIN_SECRET:
            print(
                f"locflow ui: warning: LOCFLOW_UI_SECRET is short; use {MIN_SECRET}+ random "
                "characters",
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
    s: Session,
    response: Response,
    request: Request,
    secret: bytes,
    user_id: int,
    *,
    secure: bool = False,
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
        secure=secure or request.url.scheme == "https",
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


def set_login_cookie(
    response: Response, request: Request, nonce: str | None, *, secure: bool = False
) -> None:
    if nonce:
        response.set_cookie(
            LOGIN_COOKIE,
            nonce,
            max_age=3600,
            httponly=True,
            samesite="strict",
            secure=secure or request.url.scheme == "https",
            path="/",
        )


STRICT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
"""The policy of responses that are not our pages (errors from the framework, static files)."""
HSTS = "max-age=31536000"


def page_csp(nonce: str) -> str:
    return (
        "default-src 'none'; style-src 'self'; img-src 'self'; "
        f"script-src 'nonce-{nonce}'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'"
    )


def default_headers(hsts: bool) -> dict[str, str]:
    """The headers every response carries unless it set its own (a page sets its CSP)."""
    headers = {
        "Content-Security-Policy": STRICT_CSP,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }
    if hsts:
        headers["Strict-Transport-Security"] = HSTS
    return headers


def security_headers(response: Response, nonce: str, *, hsts: bool = False) -> None:
    """No inline script but ours (by nonce), no framing, no sniffing, nothing cached; HSTS
    when a TLS proxy is declared (`[ui] secure_cookies`)."""
    response.headers["Content-Security-Policy"] = page_csp(nonce)
    for name, value in default_headers(hsts).items():
        response.headers.setdefault(name, value)


# --- every response ---------------------------------------------------------------------


class BodyTooLarge(Exception):
    """A request body over `[ui] max_body_bytes`, found while reading it."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request is too large: at most {limit // 1024} KiB may be sent.")
        self.limit = limit


ErrorPage = Callable[[int, str], Response]


class Hardened:
    """ASGI middleware: every response gets the default security headers (errors from the
    framework included), and a request body over `max_body` is refused with a 413 page:
    at once when its Content-Length says so, else as soon as the bytes read pass it.

    It sits inside Starlette's outermost error middleware, so a 500 does not pass here:
    the app's 500 handler renders its page with the same headers itself."""

    def __init__(self, app: ASGIApp, *, hsts: bool, max_body: int, error_page: ErrorPage) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in default_headers(hsts).items()]
        self.max_body = max_body
        self.error_page = error_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_hardened(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > self.max_body:
            message = str(BodyTooLarge(self.max_body))
            await self.error_page(413, message)(scope, receive, send_hardened)
            return
        seen = 0

        async def receive_bounded() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise BodyTooLarge(self.max_body)
            return message

        await self.app(scope, receive_bounded, send_hardened)
