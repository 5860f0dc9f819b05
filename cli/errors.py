"""Turning known failures into the one line a user sees (never a secret)."""

from __future__ import annotations

from sqlalchemy.exc import ArgumentError, OperationalError

from locflow.catalog.locales import UnknownLocale
from locflow.cli.common import EXIT_ERROR, EXIT_USAGE, UsageError
from locflow.connectors.engines.base import EngineError
from locflow.connectors.po_model import PoError
from locflow.database_url import redacted
from locflow.flows.deploy import NoPrefectServer
from locflow.pipeline.export import ExportConflict
from locflow.settings import ConfigError

redact_url = redacted
"""A database URL without its password."""


def exit_code_for(exc: BaseException) -> int:
    """2 for usage and configuration errors (see `locflow.cli.common`), else 1."""
    return EXIT_USAGE if isinstance(exc, ConfigError | UsageError) else EXIT_ERROR


def user_message(exc: BaseException) -> str | None:
    """A one-line message for expected failures; None for bugs (show the traceback)."""
    known = (
        ConfigError,
        UsageError,
        PoError,
        UnknownLocale,
        ExportConflict,
        EngineError,
        NoPrefectServer,
    )
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
