"""`locflow` command line: builds the parser from the command modules and dispatches.

Each command group lives in its own module and registers its commands, with their handlers,
on the parser here; exit codes are described in `locflow.cli.common`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from locflow.cli import deploy, docs, doctor, glossary, review, run, stats, user
from locflow.cli.common import EXIT_ERROR, EXIT_USAGE, Handler, Output, parent_parsers
from locflow.cli.errors import user_message
from locflow.settings import UnknownSetting

PREFECT_DEFAULTS = {
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
}


def build_parser() -> argparse.ArgumentParser:
    parents = parent_parsers()
    p = argparse.ArgumentParser(
        prog="locflow", description="Batch translation and localisation pipeline."
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run.add_parsers(sub, parents)  # init, sync, translate, export, run, probe
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


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    for k, v in PREFECT_DEFAULTS.items():
        os.environ.setdefault(k, v)
    if args.verbose:
        os.environ["PREFECT_LOGGING_LEVEL"] = "INFO"
    out = Output(quiet=args.quiet, verbose=args.verbose, as_json=args.json)
    handler: Handler = args.handler
    try:
        return handler(args, out)
    except KeyboardInterrupt:
        print("locflow: interrupted; work stored so far is kept", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.verbose:
            raise
        message = user_message(exc)
        if message is None:
            raise
        print(f"locflow: error: {message}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, UnknownSetting) else EXIT_ERROR


if __name__ == "__main__":
    raise SystemExit(main())
