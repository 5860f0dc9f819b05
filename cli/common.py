"""What every command module shares: exit codes, the output channel, the shared arguments,
settings and database access, and the progress display.

Exit codes: 0 success; 1 error (bad input, configuration, a file changed on disk; one line on
stderr); 2 usage, or an unknown key or engine name in locflow.toml; 3 `export --check` found
catalogues that would change; 4 the run stopped early (a fatal engine error or the cost cap),
with everything done so far kept.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.progress import Progress as RichProgress
from rich.progress import TaskID
from sqlalchemy.orm import Session, sessionmaker

from locflow.db.session import open_database
from locflow.settings import Config, load_config

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_CHANGES, EXIT_STOPPED = 0, 1, 2, 3, 4

Subparsers = argparse._SubParsersAction
"""What `add_subparsers()` returns: each command module adds its commands to it."""


class Output:
    def __init__(self, *, quiet: bool, verbose: bool, as_json: bool) -> None:
        self.quiet, self.verbose, self.as_json = quiet, verbose, as_json

    def say(self, text: str) -> None:
        if not self.quiet and not self.as_json:
            print(text)

    def data(self, payload: Any) -> None:
        if self.as_json:
            print(json.dumps(payload, indent=2, default=str, ensure_ascii=False))


Handler = Callable[[argparse.Namespace, Output], int]
"""A command: set on its parser with `set_defaults(handler=...)`; returns the exit code."""


@dataclass(frozen=True)
class Parents:
    """The argument groups commands share (argparse `parents=`)."""

    common: argparse.ArgumentParser
    """--config, --quiet, --verbose, --json: every command."""
    locale: argparse.ArgumentParser
    """-l/--locale, repeatable or comma-separated."""
    dry_run: argparse.ArgumentParser


def parent_parsers() -> Parents:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", help="configuration file (default ./locflow.toml)")
    common.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    common.add_argument("-v", "--verbose", action="store_true", help="show Prefect's logs too")
    common.add_argument("--json", action="store_true", help="machine-readable output")
    loc = argparse.ArgumentParser(add_help=False)
    loc.add_argument(
        "-l",
        "--locale",
        action="append",
        metavar="LOCALE",
        help="limit to these locales (repeat, or comma-separated)",
    )
    dry = argparse.ArgumentParser(add_help=False)
    dry.add_argument(
        "--dry-run", action="store_true", help="report what would change, change nothing"
    )
    return Parents(common, loc, dry)


def split_locales(values: Sequence[str] | None) -> list[str] | None:
    """`-l fr -l de,ru` -> ["fr", "de", "ru"]; None when no locale was given."""
    if not values:
        return None
    out: list[str] = []
    for v in values:
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return out


def load_settings(args: argparse.Namespace) -> Config:
    """The configuration named by `--config` (else $LOCFLOW_CONFIG, else ./locflow.toml)."""
    return load_config(args.config)


def chosen_locales(args: argparse.Namespace, config: Config) -> list[str]:
    """The `-l` locales, else every configured one."""
    return split_locales(args.locale) or list(config.locales)


def open_sessions(config: Config) -> sessionmaker[Session]:
    """Sessions on the configured database (migrated on first use)."""
    return open_database(config.database_url)


def fail(message: str) -> int:
    print(f"locflow: error: {message}", file=sys.stderr)
    return EXIT_ERROR


class Progress:
    """A rich progress bar on an interactive terminal; nothing otherwise (NO_COLOR honoured).

    `with Progress(out) as hook:` gives the hook for `flows.report.set_progress_hook` (None
    when disabled)."""

    def __init__(self, out: Output) -> None:
        self.enabled = sys.stderr.isatty() and not out.quiet and not out.as_json
        self._bar: RichProgress | None = None
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> Callable[[str, int, int], None] | None:
        if not self.enabled:
            return None
        self._bar = RichProgress(console=Console(stderr=True), transient=True)
        self._bar.start()
        return self._update

    def _update(self, label: str, done: int, total: int) -> None:
        assert self._bar is not None
        if label not in self._tasks:
            self._tasks[label] = self._bar.add_task(f"translating {label}", total=total)
        self._bar.update(self._tasks[label], completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
