"""`locflow user add | list | set-role | set-locales | deactivate | activate | reset-password |
passwd | remove | events`: reviewers, leads and admins.

User commands need only access to the database: whoever can run them could change the
database anyway. Each change is recorded in `user_events` as done by `cli:NAME` (NAME from
`$LOCFLOW_USER`, else the login name) and signs the user out of the web UI. The first admin:
`locflow user add NAME --admin`.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from typing import Any

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
    Role,
    UserError,
    UserInfo,
    activate,
    add_user,
    deactivate,
    events,
    get_user,
    list_users,
    remove_user,
    reset_password,
    set_locales,
    set_password,
    set_role,
)

ROLE_NAMES = tuple(r.value for r in Role)


def add_parsers(sub: Subparsers, parents: Parents) -> None:
    common = [parents.common]
    user = sub.add_parser("user", help="reviewers, leads and admins")
    usub = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = usub.add_parser("add", parents=common, help="add a user (the first one: --admin)")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLE_NAMES, help="default: reviewer")
    add.add_argument("--admin", action="store_true", help="short for --role admin")
    add.add_argument(
        "-l",
        "--locale",
        action="append",
        default=[],
        metavar="LOCALES",
        help="locales this reviewer or lead reviews (repeat, or comma-separated)",
    )
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.set_defaults(handler=cmd_user_add)
    usub.add_parser("list", parents=common, help="list users and roles").set_defaults(
        handler=cmd_user_list
    )
    role = usub.add_parser("set-role", parents=common, help="make a user a reviewer, lead, admin")
    role.add_argument("name")
    role.add_argument("role", choices=ROLE_NAMES)
    role.set_defaults(handler=cmd_user_set_role)
    locs = usub.add_parser("set-locales", parents=common, help="the locales a user reviews")
    locs.add_argument("name")
    locs.add_argument("locales", metavar="LOCALES", help="comma-separated, e.g. fr,de")
    locs.set_defaults(handler=cmd_user_set_locales)
    for name, help_text in (
        ("deactivate", "stop a user signing in or acting (their history stays)"),
        ("activate", "let a deactivated user back in"),
        ("reset-password", "print a one-time password; a new one is asked at sign-in"),
        ("remove", "remove a user (their reviews stay; deactivate keeps the account)"),
    ):
        p = usub.add_parser(name, parents=common, help=help_text)
        p.add_argument("name")
        p.set_defaults(handler=cmd_user_change, change=name)
    pw = usub.add_parser("passwd", parents=common, help="set a new password")
    pw.add_argument("name")
    pw.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    pw.set_defaults(handler=cmd_user_passwd)
    ev = usub.add_parser("events", parents=common, help="who changed which user, and how")
    ev.add_argument("name", nargs="?", help="one user's events (default: all)")
    ev.set_defaults(handler=cmd_user_events)


def operator() -> str:
    """Who runs this command, for the audit trail."""
    name = os.environ.get("LOCFLOW_USER") or getpass.getuser()
    return f"cli:{name}"


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
    if args.admin and args.role not in (None, "admin"):
        return fail(f"--admin and --role {args.role} disagree")
    try:
        password = read_password(args, args.name)
        with open_sessions(config)() as s, s.begin():
            user = add_user(
                s,
                args.name,
                password,
                role=args.role,
                admin=args.admin,
                locales=args.locale,
                by=operator(),
            )
    except UserError as exc:
        return fail(str(exc))
    out.say(f"added {user.name}: {user.summary}")
    out.data(user.as_dict())
    return EXIT_OK


def cmd_user_list(args: argparse.Namespace, out: Output) -> int:
    with open_sessions(load_settings(args))() as s:
        users = list_users(s)
    for u in users:
        note = "\tmust change password" if u.must_change_password else ""
        out.say(f"{u.name}\t{u.summary}{note}")
    if not users:
        out.say("no users yet; add the first admin: locflow user add NAME --admin")
    out.data([u.as_dict() for u in users])
    return EXIT_OK


def _change(args: argparse.Namespace, out: Output, fn: Callable[[Any], Any]) -> int:
    """Run `fn(session)` in one transaction; a UserError is the one-line failure."""
    try:
        with open_sessions(load_settings(args))() as s, s.begin():
            done = fn(s)
    except UserError as exc:
        return fail(str(exc))
    if isinstance(done, UserInfo):
        out.say(f"{done.name}: {done.summary}; their UI sessions ended")
        out.data(done.as_dict())
    return EXIT_OK


def cmd_user_set_role(args: argparse.Namespace, out: Output) -> int:
    return _change(args, out, lambda s: set_role(s, args.name, args.role, by=operator()))


def cmd_user_set_locales(args: argparse.Namespace, out: Output) -> int:
    return _change(args, out, lambda s: set_locales(s, args.name, [args.locales], by=operator()))


def cmd_user_change(args: argparse.Namespace, out: Output) -> int:
    if args.change == "reset-password":
        return _reset(args, out)
    if args.change == "remove":
        code = _change(args, out, lambda s: remove_user(s, args.name, by=operator()))
        if code == EXIT_OK:
            out.say(f"removed {args.name}")
            out.data({"removed": args.name})
        return code
    fn = deactivate if args.change == "deactivate" else activate
    return _change(args, out, lambda s: fn(s, args.name, by=operator()))


def _reset(args: argparse.Namespace, out: Output) -> int:
    try:
        with open_sessions(load_settings(args))() as s, s.begin():
            one_time = reset_password(s, args.name, by=operator())
    except UserError as exc:
        return fail(str(exc))
    if not out.as_json:  # even with --quiet: it is shown only this once
        print(f"one-time password for {args.name}: {one_time}")
    out.say("hand it over privately: a new password is asked at the next sign-in")
    out.data({"name": args.name, "one_time_password": one_time})
    return EXIT_OK


def cmd_user_passwd(args: argparse.Namespace, out: Output) -> int:
    config = load_settings(args)
    try:
        with open_sessions(config)() as s:
            if get_user(s, args.name) is None:
                raise UserError(f"no user {args.name!r}")
        password = read_password(args, args.name)
        with open_sessions(config)() as s, s.begin():
            set_password(s, args.name, password, by=operator())
    except UserError as exc:
        return fail(str(exc))
    out.say(f"password changed for {args.name}; their UI sessions ended")
    out.data({"changed": args.name})
    return EXIT_OK


def cmd_user_events(args: argparse.Namespace, out: Output) -> int:
    with open_sessions(load_settings(args))() as s:
        rows = events(s, args.name)
    for at, actor, name, action, detail in rows:
        out.say(
            f"{at:%Y-%m-%d %H:%M:%S}\t{actor}\t{action} {name}" + (f": {detail}" if detail else "")
        )
    out.data(
        [
            {"at": at, "actor": actor, "user": name, "action": action, "detail": detail}
            for at, actor, name, action, detail in rows
        ]
    )
    return EXIT_OK
