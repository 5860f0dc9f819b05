"""Turning known failures into the one line a user sees (never a secret)."""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from locflow.catalog.locales import UnknownLocale
from locflow.connectors.engines.base import EngineError
from locflow.connectors.po_model import PoError
from locflow.flows.deploy import NoPrefectServer
from locflow.pipeline.export import ExportConflict
from locflow.settings import ConfigError


def redact_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid database URL>"


def user_message(exc: BaseException) -> str | None:
    """A one-line message for expected failures; None for bugs (show the traceback)."""
    known = (ConfigError, PoError, UnknownLocale, ExportConflict, EngineError, NoPrefectServer)
    if isinstance(exc, known):
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if isinstance(exc, FileNotFoundError | PermissionError | IsADirectoryError):
        return (
            f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": ")
            if exc.filename
            else str(exc)
        )
    if isinstance(exc, OperationalError):
        return f"database error: {str(exc.orig).splitlines()[0] if exc.orig else exc}"
    if isinstance(exc, ArgumentError):
        return f"invalid database URL: {exc}"
    if isinstance(exc, ValueError):
        return str(exc).splitlines()[0]
    return None
