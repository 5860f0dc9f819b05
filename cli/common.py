"""What every command module shares: exit codes, the output channel, the shared arguments,
settings and database access, and the progress display.

Exit codes (an error is one line on stderr, `locflow: error: …`, and with `--json` also
`{"error": …, "exit_code": …}` on stdout; `-v` shows the traceback):
- 0 success;
- 1 error: bad input, I/O, the database or the Prefect API unreachable, a file changed on
  disk, a bug;
- 2 usage or configuration: bad arguments, any error in locflow.toml (invalid TOML, a missing
  file, an unknown key, engine name or locale, a database URL whose dialect or driver is not
  available, an SQLite folder that does not exist), a `-l` locale that is not configured;
- 3 `export --check` found catalogues that would change;
- 4 the run stopped early (a fatal engine error or the cost cap), everything done so far kept;
- 5 the run finished, but some strings, documents or entries could not be done (deferred,
  refused, a doc that failed its structure check, an entry export demoted): one line per
  reason on stderr (`locflow: partial: …`), the run recorded `partial`; `--allow-partial`
  makes it 0 (the record stays partial);
- 130 interrupted (Ctrl-C, SIGINT); 143 terminated (SIGTERM): the run is recorded as
  interrupted, work stored so far is kept (see cli/signals.py); 141 the reader of stdout
  went away (`locflow stats | head`), as for a Unix tool killed by SIGPIPE.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from rich.console import Console
from rich.progress import Progress as RichProgress
from rich.progress import TaskID
from sqlalchemy.orm import Session, sessionmaker

from locflow.catalog.locales import UnknownLocale, normalise_locale
from locflow.db.session import open_database
from locflow.flows.deploy import require_reachable_api
from locflow.pipeline.progress import RunProgress
from locflow.settings import Config, load_config

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_CHANGES, EXIT_STOPPED = 0, 1, 2, 3, 4
EXIT_PARTIAL = 5
EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 130, 141
EXIT_TERMINATED = 143


class UsageError(ValueError):
    """Arguments that do not fit the project (e.g. a `-l` locale it does not configure):
    exit 2."""


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


def add_allow_partial(parser: argparse.ArgumentParser) -> None:
    """`--allow-partial` on the commands that can finish with gaps (exit 5)."""
    parser.add_argument(
        "--allow-partial",
        action="store_true",
        help="exit 0, not 5, when some strings, documents or entries could not be done "
        "(they are still listed and the run is still recorded partial)",
    )


def partial_exit(args: argparse.Namespace, reasons: Sequence[str]) -> int:
    """0 when nothing was left undone; else each reason on stderr, then a last line, and
    5 (0 with `--allow-partial`)."""
    if not reasons:
        return EXIT_OK
    for reason in reasons:
        print(f"locflow: partial: {reason}", file=sys.stderr)
    allowed = bool(getattr(args, "allow_partial", False))
    n = f"{len(reasons)} reason{'s' if len(reasons) != 1 else ''}"
    tail = "accepted (--allow-partial)" if allowed else "exit 5 (--allow-partial accepts it)"
    print(f"locflow: partial: finished, but not everything was done ({n}); {tail}", file=sys.stderr)
    return EXIT_OK if allowed else EXIT_PARTIAL


def split_locales(values: Sequence[str] | None) -> list[str] | None:
    """`-l fr -l de,ru` -> ["fr", "de", "ru"]; None when no locale was given."""
    if not values:
        return None
    out: list[str] = []
    for v in values:
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return out


def load_settings(args: argparse.Namespace) -> Config:
    """The configuration named by `--config` (else $LOCFLOW_CONFIG, else ./locflow.toml);
    its warnings go to stderr, one line each (`locflow: warning: …`), unless --quiet."""
    config = load_config(args.config)
    if not getattr(args, "quiet", False):
        for warning in config.warnings:
            print(f"locflow: warning: {warning}", file=sys.stderr)
    return config


def chosen_locales(args: argparse.Namespace, config: Config) -> list[str]:
    """The `-l` locales, else every configured one. A `-l` locale the configuration does not
    list is a UsageError: nothing is synced, translated or written for it."""
    chosen = split_locales(args.locale)
    if not chosen:
        return list(config.locales)
    out: list[str] = []
    for code in chosen:
        try:
            locale = normalise_locale(code)
        except UnknownLocale as exc:
            raise UsageError(f"-l {code}: {exc}") from None
        if locale not in config.locales:
            known = ", ".join(config.locales) or "none"
            raise UsageError(
                f"locale {locale!r} is not configured in {config.file_label} "
                f"([project] locales: {known})"
            )
        if locale not in out:
            out.append(locale)
    return out


def open_sessions(config: Config) -> sessionmaker[Session]:
    """Sessions on the configured database (migrated on first use)."""
    return open_database(config.database_url)


def before_flow(config: Config, out: Output) -> None:
    """What a command checks before it starts a Prefect flow, so that a known failure is one
    line: the Prefect API answers and the database opens. Unless `-v`, Prefect's console stops
    printing the tracebacks of failing task and flow runs: the CLI reports those errors in its
    one line (the Prefect API still records them)."""
    require_reachable_api()
    if not out.verbose:
        for handler in logging.getLogger().handlers:
            if type(handler).__name__ == "PrefectConsoleHandler":
                handler.addFilter(HANDLED_FAILURES)
    open_sessions(config)


class _HandledFailures(logging.Filter):
    """Drops Prefect's run-failure records (the traceback and `Finished in state Failed`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.ERROR:
            return True
        if not record.name.startswith(("prefect.flow_runs", "prefect.task_runs")):
            return True
        return not (record.exc_info or str(record.msg).startswith("Finished in state"))


HANDLED_FAILURES = _HandledFailures()


def fail(message: str) -> int:
    print(f"locflow: error: {message}", file=sys.stderr)
    return EXIT_ERROR


PROGRESS_SECONDS = 10.0
"""Without a TTY, at most one progress line per this many seconds (the last line of each
locale always goes out); `LOCFLOW_PROGRESS_SECONDS` overrides it."""


class Progress:
    """Progress while a run translates, on stderr: rich bars on an interactive terminal
    (NO_COLOR honoured); without one (CI, schedules), one plain line per batch, at most one
    every `interval` seconds, and always the last of each locale, e.g. `locflow: fr 120/480
    strings, 9 requests, 4,210 tokens, $0.0123`. Nothing with --quiet or --json.

    `with Progress(out) as hook:` gives the hook for `flows.report.set_progress_hook` (None
    when disabled). `tty`, `interval`, `clock` and `stream` are for tests."""

    def __init__(
        self,
        out: Output,
        *,
        tty: bool | None = None,
        interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        stream: TextIO | None = None,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.enabled = not out.quiet and not out.as_json
        self.interval = progress_interval() if interval is None else interval
        self.clock = clock
        self._last: float | None = None
        self._bar: RichProgress | None = None
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> Callable[[RunProgress], None] | None:
        if not self.enabled:
            return None
        if not self.tty:
            return self._line
        self._bar = RichProgress(console=Console(file=self.stream), transient=True)
        self._bar.start()
        return self._update

    def _line(self, step: RunProgress) -> None:
        now = self.clock()
        if step.finished or self._last is None or now - self._last >= self.interval:
            self._last = now
            # written, not print()ed: a flow with log_prints would take a print to its logger
            self.stream.write(step.line() + "\n")
            self.stream.flush()

    def _update(self, step: RunProgress) -> None:
        assert self._bar is not None
        if step.label not in self._tasks:
            self._tasks[step.label] = self._bar.add_task(f"translating {step.label}")
        spent = f"{step.requests:,} requests, {step.tokens:,} tokens, ${step.cost:.4f}"
        self._bar.update(
            self._tasks[step.label],
            completed=step.done,
            total=step.total,
            description=f"translating {step.label} ({spent})",
        )

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def progress_interval() -> float:
    """`LOCFLOW_PROGRESS_SECONDS` if set to a number, else PROGRESS_SECONDS."""
    raw = os.environ.get("LOCFLOW_PROGRESS_SECONDS", "").strip()
    try:
        return max(0.0, float(raw)) if raw else PROGRESS_SECONDS
    except ValueError:
        return PROGRESS_SECONDS
