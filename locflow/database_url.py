"""The database URL checked when the configuration is loaded, so that a typo or a missing
driver is a one-line configuration error instead of a traceback from the first query.

- the dialect must be one SQLAlchemy knows, and its driver must be installed;
- an SQLite file's folder must exist, or lie inside the project (the config file's folder,
  e.g. the default `.locflow/`) with its parent existing: `db.session` creates that one
  folder on first use and never a chain of them.

The password never travels with the URL to Prefect: `locflow deploy` puts the URL
`without_password` in the deployment's job variables, and each worker supplies the password
from its own environment (PASSWORD_ENV), merged in by the settings (`with_password`).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

PASSWORD_ENV = "LOCFLOW_DATABASE_PASSWORD"
"""Where a process finds the database password when its URL names a user but no password."""


def without_password(url: str) -> str:
    """`url` with its password removed (not masked): what may be stored in Prefect."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return url
    if parsed.password is None:
        return url
    bare = URL.create(  # not `set(password=None)`: None there means "keep it"
        parsed.drivername, parsed.username, None, parsed.host, parsed.port, parsed.database,
        parsed.query,
    )  # fmt: skip
    return bare.render_as_string(hide_password=False)


def with_password(url: str, password: str | None) -> str:
    """`url` with `password` added when it names a user and has no password of its own."""
    if not password:
        return url
    try:
        parsed = make_url(url)
    except ArgumentError:
        return url
    if not parsed.username or parsed.password is not None:
        return url
    return parsed.set(password=password).render_as_string(hide_password=False)


def redacted(url: str) -> str:
    """`url` without its password (for messages)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid database URL>"


def database_url_problem(url: str, root: Path) -> str | None:
    """What is wrong with `url` for a project in `root`, in a few words; None when nothing."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "is not a database URL (e.g. sqlite:///path/to/file.db)"
    try:
        dialect = parsed.get_dialect()
    except NoSuchModuleError:
        return f"unknown database dialect {parsed.drivername!r}"
    try:
        dialect.import_dbapi()
    except ImportError as exc:
        module = exc.name or str(exc)
        return (
            f"its driver {module!r} is not installed (install it, or name an installed driver "
            f"in the URL, e.g. postgresql+psycopg://)"
        )
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_folder_problem(parsed, root)
    return None


def _sqlite_folder_problem(parsed: URL, root: Path) -> str | None:
    database = parsed.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    folder = Path(database).parent
    if folder.is_dir():
        return None
    if folder.exists():
        return f"{folder} is not a folder"
    if folder.resolve().is_relative_to(root.resolve()) and folder.parent.is_dir():
        return None  # inside the project: created on first use
    return f"folder {folder} does not exist (create it, or use a path inside the project)"
