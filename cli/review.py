"""`locflow review list | show | approve | reject | edit | bulk-approve | revert | comment`
and `locflow ui` (the reviewer web UI).

IDs are the version ids `review list` prints. Actions run as `--user NAME` (else
`$LOCFLOW_USER`); the action layer decides what that user may do (a reviewer, a lead or an
admin; overriding failing checks takes a lead or an admin and a `--reason`) and holds the
`[review]` limits. Exit 1 when any of them was refused or did not apply.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

import uvicorn

from locflow.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_USAGE,
    Output,
    Parents,
    Subparsers,
    chosen_locales,
    fail,
    load_settings,
    open_sessions,
)
from locflow.db import repo, review_repo
from locflow.db.review_repo import PENDING, QueueFilter
from locflow.db.states import State
from locflow.review.actions import (
    ActionError,
    PermissionDenied,
    actor_for,
    add_comment,
    approve,
    bulk_approve,
    edit,
    reject,
    revert,
)
from locflow.review.detail import detail_lines, load_detail, row_line
from locflow.settings_review import ReviewSettings

STATES = ("pending", "needs_review", "machine", "stale", "approved", "all")


def add_parsers(sub: Subparsers, parents: Parents) -> None:
    common = [parents.common]
    acting = argparse.ArgumentParser(add_help=False)
    acting.add_argument("--user", help="act as this user (default $LOCFLOW_USER)")
    filters = argparse.ArgumentParser(add_help=False)
    filters.add_argument("-l", "--locale", action="append", metavar="LOCALE", help="locale(s)")
    filters.add_argument("--state", choices=STATES, default="pending", help="default: pending")
    filters.add_argument("--issue", metavar="KIND", help="a check id (placeholders…) or 'any'")
    filters.add_argument("--source", metavar="FILE", help="a template path as synced")
    filters.add_argument("--search", metavar="TEXT", help="text in the source or translation")

    review = sub.add_parser("review", help="review translations")
    rsub = review.add_subparsers(dest="review_command", required=True, metavar="ACTION")
    ls = rsub.add_parser("list", parents=[*common, filters], help="the review queue")
    ls.add_argument("--limit", type=int, default=100, help="rows to show (default 100)")
    ls.add_argument("--offset", type=int, default=0, help="rows to skip")
    ls.set_defaults(handler=cmd_list)
    show = rsub.add_parser("show", parents=common, help="one string: history, diffs, provenance")
    show.add_argument("id", type=int, metavar="ID", help="a version id from `review list`")
    show.set_defaults(handler=cmd_show)
    ap = rsub.add_parser("approve", parents=[*common, acting], help="approve versions")
    ap.add_argument("ids", type=int, nargs="+", metavar="ID")
    _override_options(ap)
    ap.set_defaults(handler=cmd_approve)
    rj = rsub.add_parser(
        "reject", parents=[*common, acting], help="reject versions (with a reason)"
    )
    rj.add_argument("ids", type=int, nargs="+", metavar="ID")
    rj.add_argument("--reason", required=True, help="why (required; shown in the history)")
    rj.set_defaults(handler=cmd_reject)
    ed = rsub.add_parser(
        "edit", parents=[*common, acting], help="write a new version (checked; approved when clean)"
    )
    ed.add_argument("id", type=int, metavar="ID", help="the current version's id")
    ed.add_argument("--text", action="append", required=True, help="the new text (per form)")
    ed.add_argument(
        "--form", type=int, action="append", metavar="N", help="msgstr index each --text is for"
    )
    _override_options(ed)
    ed.set_defaults(handler=cmd_edit)
    bulk = rsub.add_parser(
        "bulk-approve",
        parents=[*common, acting, filters],
        help="approve every clean item of a locale",
    )
    bulk.set_defaults(handler=cmd_bulk)
    rv = rsub.add_parser("revert", parents=[*common, acting], help="restore an earlier version")
    rv.add_argument("id", type=int, metavar="ID", help="any version id of the string")
    rv.add_argument("--to", type=int, required=True, metavar="N", help="the version number")
    _override_options(rv)
    rv.set_defaults(handler=cmd_revert)
    cm = rsub.add_parser(
        "comment", parents=[*common, acting], help="comment on a string (shown in its history)"
    )
    cm.add_argument("id", type=int, metavar="ID", help="a version id of the string")
    cm.add_argument("text", metavar="TEXT", help="the comment")
    cm.set_defaults(handler=cmd_comment)


def _override_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--override",
        action="store_true",
        help="approve despite failing checks (a lead or an admin, with --reason)",
    )
    parser.add_argument(
        "--reason",
        "--comment",
        dest="comment",
        default="",
        help="why (required with --override); kept in the history",
    )


def add_ui_parser(sub: Subparsers, parents: Parents) -> None:
    ui = sub.add_parser("ui", parents=[parents.common], help="serve the reviewer web UI")
    ui.add_argument("--host", help="address to listen on (default 127.0.0.1, or [ui] host)")
    ui.add_argument("--port", type=int, help="port (default 8765, or [ui] port)")
    ui.set_defaults(handler=cmd_ui)


def _states(name: str) -> tuple[Any, ...]:
    if name == "pending":
        return PENDING
    if name == "all":
        return ()
    return (State[name.upper()],)


def _filters(args: argparse.Namespace, config: Any) -> list[Any]:
    locales = chosen_locales(args, config)
    st = _states(args.state)
    return [QueueFilter(loc, st, args.issue, args.source, args.search) for loc in locales]


def _project_id(s: Any, config: Any) -> int | None:
    project = repo.find_project(s, config.project)
    return project.id if project is not None else None


def cmd_list(args: argparse.Namespace, out: Output) -> int:
    config = load_settings(args)
    rows: list[Any] = []
    total = 0
    with open_sessions(config)() as s:
        pid = _project_id(s, config)
        if pid is None:
            return fail(f"project {config.project!r} is not in the database: run locflow sync")
        for f in _filters(args, config):
            total += review_repo.queue_count(s, pid, f)
            room = args.limit - len(rows)
            if room > 0:
                rows += review_repo.queue_page(s, pid, f, limit=room, offset=args.offset)
    for r in rows:
        out.say(row_line(r))
    out.say(f"{len(rows)} of {total} shown" if total > len(rows) else f"{total} in the queue")
    out.data({"total": total, "items": [_row_dict(r) for r in rows]})
    return EXIT_OK


def _row_dict(r: Any) -> dict[str, Any]:
    return {
        "id": r.version_id,
        "locale": r.locale,
        "n": r.n,
        "state": r.state.name.lower(),
        "source": r.source_name,
        "msgctxt": r.msgctxt,
        "msgid": r.msgid,
        "msgid_plural": r.msgid_plural,
        "forms": list(r.forms),
        "issues": list(r.issues),
        "origin": r.origin,
        "author": r.author,
        "engine": r.engine,
        "model": r.model,
        "created_at": r.created_at,
        "outdated": r.outdated,
    }


def cmd_show(args: argparse.Namespace, out: Output) -> int:
    config = load_settings(args)
    with open_sessions(config)() as s:
        detail = load_detail(s, args.id)
    if detail is None:
        return fail(f"no translation #{args.id}")
    for line in detail_lines(detail):
        out.say(line)
    out.data(detail.as_dict())
    return EXIT_OK


def _act(
    args: argparse.Namespace,
    out: Output,
    ids: list[int],
    fn: Callable[[Any, Any, int, ReviewSettings], Any],
) -> int:
    """Run `fn(session, actor, id, limits)` per id, each in its own transaction."""
    config = load_settings(args)
    factory = open_sessions(config)
    name = args.user or os.environ.get("LOCFLOW_USER")
    results, failed = [], 0
    for vid in ids:
        try:
            with factory() as s, s.begin():
                result = fn(s, actor_for(s, name), vid, config.review)
        except PermissionDenied as exc:
            failed += 1
            fail(f"permission denied: {exc}")
            continue
        except ActionError as exc:
            failed += 1
            fail(str(exc))
            continue
        results.append(result.as_dict())
        out.say(result.message)
    out.data({"results": results, "failed": failed})
    return EXIT_ERROR if failed else EXIT_OK


def cmd_approve(args: argparse.Namespace, out: Output) -> int:
    return _act(
        args,
        out,
        args.ids,
        lambda s, actor, vid, limits: approve(
            s, actor, vid, override=args.override, comment=args.comment, limits=limits
        ),
    )


def cmd_reject(args: argparse.Namespace, out: Output) -> int:
    return _act(
        args,
        out,
        args.ids,
        lambda s, actor, vid, limits: reject(s, actor, vid, args.reason, limits=limits),
    )


def cmd_edit(args: argparse.Namespace, out: Output) -> int:
    texts = list(args.text)
    forms: dict[int, str] | list[str]
    if args.form:
        if len(args.form) != len(texts):
            return fail("give one --text per --form")
        forms = dict(zip(args.form, texts, strict=True))
    else:
        forms = texts
    return _act(
        args,
        out,
        [args.id],
        lambda s, actor, vid, limits: edit(
            s, actor, vid, forms, override=args.override, comment=args.comment, limits=limits
        ),
    )


def cmd_revert(args: argparse.Namespace, out: Output) -> int:
    return _act(
        args,
        out,
        [args.id],
        lambda s, actor, vid, limits: revert(
            s, actor, vid, args.to, override=args.override, comment=args.comment, limits=limits
        ),
    )


def cmd_comment(args: argparse.Namespace, out: Output) -> int:
    config = load_settings(args)
    name = args.user or os.environ.get("LOCFLOW_USER")
    try:
        with open_sessions(config)() as s, s.begin():
            actor = actor_for(s, name)
            done = add_comment(s, actor, args.id, args.text, limits=config.review)
    except PermissionDenied as exc:
        return fail(f"permission denied: {exc}")
    except ActionError as exc:
        return fail(str(exc))
    out.say(f"comment #{done.id} by {done.author} on #{args.id}")
    out.data(done.as_dict())
    return EXIT_OK


def cmd_bulk(args: argparse.Namespace, out: Output) -> int:
    config = load_settings(args)
    if not args.locale:
        return fail("bulk-approve needs --locale")
    name = args.user or os.environ.get("LOCFLOW_USER")
    summary = {}
    try:
        with open_sessions(config)() as s, s.begin():
            pid = _project_id(s, config)
            if pid is None:
                return fail(f"project {config.project!r} is not in the database: run locflow sync")
            actor = actor_for(s, name)
            for f in _filters(args, config):
                result = bulk_approve(s, actor, pid, f, limits=config.review)
                summary[f.locale] = {"approved": list(result.approved), "skipped": result.skipped}
                out.say(
                    f"{f.locale}: approved {len(result.approved)}; left {result.skipped} "
                    "with issues or outdated for review"
                )
    except PermissionDenied as exc:
        return fail(f"permission denied: {exc}")
    except ActionError as exc:
        return fail(str(exc))
    out.data(summary)
    return EXIT_OK


def cmd_ui(args: argparse.Namespace, out: Output) -> int:
    """Serve the UI; beyond loopback only with a real secret, and warn about plain HTTP.

    Uvicorn's own proxy-header handling is off: `[ui] trusted_proxies` alone decides whose
    `X-Forwarded-For` is believed, and `[ui] secure_cookies` whether a TLS proxy is in front.
    """
    # The web app loads FastAPI and its stack (about a second): only `ui` needs it.
    from locflow.review.app import create_app, ui_secret
    from locflow.review.web import SecretError, is_loopback

    config = load_settings(args)
    host = args.host or config.ui.host
    port = args.port or config.ui.port
    try:
        secret = ui_secret(os.environ, host)
    except SecretError as exc:
        fail(str(exc))
        return EXIT_USAGE
    if not is_loopback(host) and not config.ui.secure_cookies:
        print(
            f"locflow ui: warning: serving plain HTTP on {host}: passwords and sessions cross "
            "the network in clear; put a TLS-terminating proxy in front and set "
            "[ui] secure_cookies = true",
            file=sys.stderr,
        )
    app = create_app(config, secret=secret)
    out.say(f"locflow review UI on http://{host}:{port}/ (Ctrl-C stops it)")
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning" if args.quiet else "info",
        proxy_headers=False,
        server_header=False,
    )
    return EXIT_OK
