"""`locflow user add | list | remove | passwd`: reviewers and admins.

User commands need only access to the database: whoever can run them could change the
database anyway. The first admin: `locflow user add NAME --admin`.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from locflow.cli.common import (
    EXIT_OK,
    Output,
    Parents,
    Subparsers,
    fail,
    load_settings,
    open_sessions,
)
from locflow.review.users import (
    UserError,
    add_user,
    get_user,
    list_users,
    remove_user,
    set_password,
)


def add_parsers(sub: Subparsers, parents: Parents) -> None:
    common = [parents.common]
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


def read_password(args: argparse.Namespace, name: str) -> str:
    """From stdin (`--password-stdin`, one line) or typed twice at a terminal."""
    if args.password_stdin:
        line = sys.stdin.readline()
        return line[:-1] if line.endswith("\n") else line
    if not sys.stdin.isatty():
        raise UserError("no terminal to ask for a password: use --password-stdin")
    first = getpass.getpass(f"password for {name}: ")
    if getpass.getpass("again: ") != first:
        raise UserError("the passwords differ")
    return first


def cmd_user_add(args: argparse.Namespace, out: Output) -> int:
    config = load_settings(args)
    try:
        password = read_password(args, args.name)
        with open_sessions(config)() as s, s.begin():
            user = add_user(s, args.name, password, admin=args.admin, locales=args.locale)
    except UserError as exc:
        return fail(str(exc))
    out.say(f"added {user.name}: {user.role}")
    out.data(user.as_dict())
    return EXIT_OK


def cmd_user_list(args: argparse.Namespace, out: Output) -> int:
    with open_sessions(load_settings(args))() as s:
        users = list_users(s)
    for u in users:
        out.say(f"{u.name}\t{u.role}")
    if not users:
        out.say("no users yet; add the first admin: locflow user add NAME --admin")
    out.data([u.as_dict() for u in users])
    return EXIT_OK


def cmd_user_remove(args: argparse.Namespace, out: Output) -> int:
    try:
        with open_sessions(load_settings(args))() as s, s.begin():
            remove_user(s, args.name)
    except UserError as exc:
        return fail(str(exc))
    out.say(f"removed {args.name}")
    out.data({"removed": args.name})
    return EXIT_OK


def cmd_user_passwd(args: argparse.Namespace, out: Output) -> int:
    config = load_settings(args)
    try:
        with open_sessions(config)() as s:
            if get_user(s, args.name) is None:
                raise UserError(f"no user {args.name!r}")
        password = read_password(args, args.name)
        with open_sessions(config)() as s, s.begin():
            set_password(s, args.name, password)
    except UserError as exc:
        return fail(str(exc))
    out.say(f"password changed for {args.name}; their UI sessions ended")
    out.data({"changed": args.name})
    return EXIT_OK
