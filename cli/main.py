"""`locflow` command line: builds the parser from the command modules and dispatches.

Each command group lives in its own module and registers its commands, with their handlers,
on the parser here; exit codes are described in `locflow.cli.common`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from contextlib import nullcontext

from locflow.cli import deploy, docs, doctor, glossary, init, review, run, stats, user
from locflow.cli.common import (
    EXIT_BROKEN_PIPE,
    Handler,
    Output,
    parent_parsers,
)
from locflow.cli.errors import exit_code_for, user_message
from locflow.cli.signals import SignalGuard

PREFECT_DEFAULTS = {
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
}
"""Set unless the environment sets them. The server's level matters only for the temporary
server Prefect starts without PREFECT_API_URL (a subprocess that inherits this environment):
as it stops, its services sometimes log `Error flushing … events` with two tracebacks (seen
in 2 of 6 runs of `locflow run -q`) about bookkeeping that is thrown away with it. A real
failure of that server still reaches locflow as a failed API call. `-v` shows its logs."""

RUN_COMMANDS = frozenset({"run", "translate", "docs", "export"})
"""The commands that run flows: SIGTERM and SIGINT end them promptly (cli/signals.py)."""


def build_parser() -> argparse.ArgumentParser:
    parents = parent_parsers()
    p = argparse.ArgumentParser(
        prog="locflow", description="Batch translation and localisation pipeline."
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    init.add_parsers(sub, parents)
    run.add_parsers(sub, parents)  # sync, translate, export, run, probe
    doctor.add_parsers(sub, parents)
    deploy.add_serve_parser(sub, parents)
    stats.add_parsers(sub, parents)
    docs.add_parsers(sub, parents)
    glossary.add_parsers(sub, parents)
    deploy.add_deploy_parser(sub, parents)
    user.add_parsers(sub, parents)
    review.add_parsers(sub, parents)
    review.add_ui_parser(sub, parents)
    return p


def apply_prefect_defaults(*, verbose: bool) -> None:
    for k, v in PREFECT_DEFAULTS.items():
        os.environ.setdefault(k, v)
    if verbose:
        os.environ["PREFECT_LOGGING_LEVEL"] = "INFO"
        if (
            os.environ["PREFECT_SERVER_LOGGING_LEVEL"]
            == PREFECT_DEFAULTS["PREFECT_SERVER_LOGGING_LEVEL"]
        ):
            os.environ["PREFECT_SERVER_LOGGING_LEVEL"] = "WARNING"  # Prefect's own default


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    apply_prefect_defaults(verbose=args.verbose)
    out = Output(quiet=args.quiet, verbose=args.verbose, as_json=args.json)
    handler: Handler = args.handler
    guard = SignalGuard()
    with guard if args.command in RUN_COMMANDS else nullcontext(guard):
        try:
            code = handler(args, out)
            sys.stdout.flush()  # a closed pipe shows here, not at exit
        except BrokenPipeError:
            return _reader_gone()
        except BaseException as exc:
            if guard.signum is not None or isinstance(exc, KeyboardInterrupt):
                return _interrupted(guard)  # whatever a signal left propagating
            if args.verbose or not isinstance(exc, Exception):
                raise
            message = user_message(exc)
            if message is None:
                raise
            return _report_error(out, message, exit_code_for(exc))
        return _interrupted(guard) if guard.signum is not None else code


def _interrupted(guard: SignalGuard) -> int:
    """130 for Ctrl-C/SIGINT, 143 for SIGTERM; the run was recorded as interrupted."""
    guard.say()
    return guard.exit_code


def _report_error(out: Output, message: str, code: int) -> int:
    """The one line on stderr; with --json also an object on stdout."""
    print(f"locflow: error: {message}", file=sys.stderr)
    if out.as_json:
        try:
            print(json.dumps({"error": message, "exit_code": code}, ensure_ascii=False))
            sys.stdout.flush()
        except BrokenPipeError:
            return _reader_gone()
    return code


def _reader_gone() -> int:
    """stdout's reader has gone (`locflow stats | head`): stop quietly, as Unix tools do.
    stdout is pointed at /dev/null so that Python's flush at exit cannot complain."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return EXIT_BROKEN_PIPE


if __name__ == "__main__":
    raise SystemExit(main())
