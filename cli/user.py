"""`locflow review …`, `locflow user …` and `locflow ui` (registered by flows/cli.py).

Review commands act as `--user NAME` (else `$LOCFLOW_USER`); the action layer decides what
that user may do. User commands need only access to the database: whoever can run them
could change the database anyway. The first admin: `locflow user add NAME --admin`.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence
from typing import Any

EXIT_OK, EXIT_ERROR = 0, 1


def add_review_parsers(
    sub: argparse._SubParsersAction, parents: Sequence[argparse.ArgumentParser]
) -> None:
    """Add the review, user and ui subcommands; each sets `handler=fn(args, out) -> int`."""
    from locflow.cli import review as cli_review

    common = list(parents)
    _add_user_parsers(sub, common)
    cli_review.add_parsers(sub, common)
    ui = sub.add_parser("ui", parents=common, help="serve the reviewer web UI")
    ui.add_argument("--host", help="address to listen on (default 127.0.0.1, or [ui] host)")
    ui.add_argument("--port", type=int, help="port (default 8765, or [ui] port)")
    ui.set_defaults(handler=cmd_ui)


def _add_user_parsers(
    sub: argparse._SubParsersAction, common: list[argparse.ArgumentParser]
) -> None:
    user = sub.add_parser("user", help="reviewers and admins")
    usub = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = usub.add_parser("add", parents=common, help="add a user (the first one: --admin)")
    add.add_argument("name")
    add.add_argument("--admin", action="store_true", help="reviews every locale")
    add.add_argument(
        "-l",
        "--locale",
        action="append",
        default=[],
        metavar="LOCALES",
        help="locales this reviewer reviews (repeat, or comma-separated)",
    )
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.set_defaults(handler=cmd_user_add)
    usub.add_parser("list", parents=common, help="list users and roles").set_defaults(
        handler=cmd_user_list
    )
    rm = usub.add_parser("remove", parents=common, help="remove a user (their reviews stay)")
    rm.add_argument("name")
    rm.set_defaults(handler=cmd_user_remove)
    pw = usub.add_parser("passwd", parents=common, help="set a new password")
    pw.add_argument("name")
    pw.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    pw.set_defaults(handler=cmd_user_passwd)


# --- shared helpers ---------------------------------------------------------------------


def fail(message: str) -> int:
    print(f"locflow: error: {message}", file=sys.stderr)
    return EXIT_ERROR


def config_of(args: argparse.Namespace) -> Any:
    from locflow.settings import load_config

    return load_config(args.config)


def sessions_of(config: Any) -> Any:
    from locflow.db.session import open_database

    return open_database(config.database_url)


def read_password(args: argparse.Namespace, name: str) -> str:
    """From stdin (`--password-stdin`, one line) or typed twice at a terminal."""
    from locflow.review.users import UserError

    if args.password_stdin:
        line = sys.stdin.readline()
        return line[:-1] if line.endswith("\n") else line
    if not sys.stdin.isatty():
        raise UserError("no terminal to ask for a password: use --password-stdin")
    first = getpass.getpass(f"password for {name}: ")
    if getpass.getpass("again: ") != first:
        raise UserError("the passwords differ")
    return first


# --- user commands ----------------------------------------------------------------------


def cmd_user_add(args: argparse.Namespace, out: Any) -> int:
    from locflow.review.users import UserError, add_user

    config = config_of(args)
    try:
        password = read_password(args, args.name)
        with sessions_of(config)() as s, s.begin():
            user = add_user(s, args.name, password, admin=args.admin, locales=args.locale)
    except UserError as exc:
        return fail(str(exc))
    out.say(f"added {user.name}: {user.role}")
    out.data(user.as_dict())
    return EXIT_OK


def cmd_user_list(args: argparse.Namespace, out: Any) -> int:
    from locflow.review.users import list_users

    with sessions_of(config_of(args))() as s:
        users = list_users(s)
    for u in users:
        out.say(f"{u.name}\t{u.role}")
    if not users:
        out.say("no users yet; add the first admin: locflow user add NAME --admin")
    out.data([u.as_dict() for u in users])
    return EXIT_OK


def cmd_user_remove(args: argparse.Namespace, out: Any) -> int:
    from locflow.review.users import UserError, remove_user

    try:
        with sessions_of(config_of(args))() as s, s.begin():
            remove_user(s, args.name)
    except UserError as exc:
        return fail(str(exc))
    out.say(f"removed {args.name}")
    out.data({"removed": args.name})
    return EXIT_OK


def cmd_user_passwd(args: argparse.Namespace, out: Any) -> int:
    from locflow.review.users import UserError, get_user, set_password

    config = config_of(args)
    try:
        with sessions_of(config)() as s:
            if get_user(s, args.name) is None:
                raise UserError(f"no user {args.name!r}")
        password = read_password(args, args.name)
        with sessions_of(config)() as s, s.begin():
            set_password(s, args.name, password)
    except UserError as exc:
        return fail(str(exc))
    out.say(f"password changed for {args.name}; their UI sessions ended")
    out.data({"changed": args.name})
    return EXIT_OK


# --- the web UI -------------------------------------------------------------------------


def cmd_ui(args: argparse.Namespace, out: Any) -> int:
    import uvicorn

    from locflow.review.app import create_app, ui_secret

    config = config_of(args)
    host = args.host or config.ui.host
    port = args.port or config.ui.port
    app = create_app(config, secret=ui_secret(os.environ))
    out.say(f"locflow review UI on http://{host}:{port}/ (Ctrl-C stops it)")
    uvicorn.run(app, host=host, port=port, log_level="warning" if args.quiet else "info")
    return EXIT_OK
