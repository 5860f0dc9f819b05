"""`locflow stats`: translation state, usage and recent runs."""

from __future__ import annotations

import argparse
from typing import Any

from locflow.cli.common import EXIT_OK, Output, Parents, Subparsers, load_settings
from locflow.db import repo, run_repo
from locflow.db.base import utcnow
from locflow.db.models import Run
from locflow.db.run_repo import UsageTotals
from locflow.pipeline import heartbeat
from locflow.pipeline.catalog_stats import catalogue_stats
from locflow.pipeline.terms import compliance
from locflow.pipeline.units import sessions
from locflow.settings import Config


def add_parsers(sub: Subparsers, parents: Parents) -> None:
    p = sub.add_parser("stats", parents=[parents.common], help="translation state per locale")
    p.add_argument(
        "--catalogues",
        action="store_true",
        help="translated, fuzzy and untranslated entries per catalogue and locale",
    )
    p.set_defaults(handler=cmd_stats)


def cmd_stats(args: argparse.Namespace, out: Output) -> int:
    if args.catalogues:
        return cmd_catalogue_stats(args, out)
    payload = stats_payload(load_settings(args))
    out.say(f"{payload['segments']} segments")
    for loc, c in payload["locales"].items():
        u = payload["usage"][loc]
        states = ", ".join(f"{k} {v}" for k, v in sorted(c.items()))
        out.say(
            f"{loc}: {states}; {u['requests']} requests ({u['paid_requests']} paid), "
            f"{u['tokens_in']} tokens in, {u['tokens_out']} out, ${u['cost']:.4f}"
        )
    for r in payload["runs"][:1]:  # the last run nothing else started (a fan-out's parent)
        packs = r["engine"]
        line = (
            f"last run #{r['id']} {r['status']}: {r['requests']} requests "
            f"({r['paid_requests']} paid), ${r['cost']:.4f}"
        )
        if r["children"]:
            line += f"; {children_line(r['children'])}"
        if r["message"] and r["status"] != "completed":
            line += f"; {r['message']}"
        if packs.get("packs"):
            line += (
                f"; packs {packs['packs']} ({packs['packs_verified']} verified, "
                f"{packs['packs_split']} split), {packs.get('singles', 0)} single strings, "
                f"{packs.get('rate_limited', 0)} rate-limited retries"
            )
        out.say(line)
    out.data(payload)
    return EXIT_OK


def stats_payload(config: Config) -> dict[str, Any]:
    """What `stats --json` prints: segments, states and usage per locale, recent runs."""
    with sessions(config.database_url)() as s, s.begin():
        project = repo.find_project(s, config.project)
        if project is not None:  # runs whose process died end here (see pipeline/heartbeat)
            run_repo.mark_crashed(s, project.id, utcnow(), heartbeat.stale_after())
        total = run_repo.live_segment_count(s, project.id) if project else 0
        counts = run_repo.state_counts(s, project.id) if project else {}
        usage = run_repo.usage_totals(s, project_id=project.id) if project else {}
        terms = (
            {loc: compliance(s, project, loc).percent for loc in config.locales} if project else {}
        )
        runs = run_repo.recent_top_runs(s, project.id) if project else []
        children = run_repo.children_of(s, [r.id for r in runs])
        spent = {
            r.id: run_repo.sum_totals(run_repo.usage_totals(s, run_id=r.id).values())
            for r in [*runs, *(c for cs in children.values() for c in cs)]
        }
    locales = {}
    for loc in config.locales:
        states = counts.get(loc, {})
        locales[loc] = {**states, "untranslated": total - sum(states.values())}
    return {
        "segments": total,
        "locales": locales,
        "glossary_compliance": terms,
        "usage": {loc: usage_dict(usage.get(loc, UsageTotals())) for loc in config.locales},
        "runs": [
            {
                **run_dict(r, spent[r.id]),
                "children": [run_dict(c, spent[c.id]) for c in children.get(r.id, [])],
            }
            for r in runs
        ],
    }


def cmd_catalogue_stats(args: argparse.Namespace, out: Output) -> int:
    """`stats --catalogues`: one line per catalogue and locale, as `msgfmt --statistics`
    counts the file the next export writes (see pipeline.catalog_stats)."""
    config = load_settings(args)
    with sessions(config.database_url)() as s:
        project = repo.find_project(s, config.project)
        rows = catalogue_stats(s, project.id, config, list(config.locales)) if project else []
    if not rows:
        out.say("no catalogue synced yet (run `locflow sync`)")
    for r in rows:
        out.say(
            f"{r.path}: {r.translated} translated ({r.percent(r.translated)} %), "
            f"{r.fuzzy} fuzzy ({r.percent(r.fuzzy)} %), "
            f"{r.untranslated} untranslated ({r.percent(r.untranslated)} %)"
        )
    out.data({"catalogues": [r.as_dict() for r in rows]})
    return EXIT_OK


def run_dict(r: Run, spent: UsageTotals) -> dict[str, Any]:
    """A `runs` row as `stats --json` shows it; requests, tokens and cost from the ledger
    (a fan-out parent's with its children's)."""
    return {
        "id": r.id,
        "kind": r.kind,
        "status": r.status,
        "started_at": r.started_at,
        "finished_at": r.finished_at,
        "heartbeat_at": r.heartbeat_at,
        "parent_id": r.parent_id,
        "requests": spent.requests,
        "paid_requests": spent.paid_requests,
        "tokens_in": spent.tokens_in,
        "tokens_out": spent.tokens_out,
        "cost": round(spent.total_cost, 6),
        "engine": (r.counts or {}).get("engine", {}),
        "message": r.message,
    }


def children_line(children: list[dict[str, Any]]) -> str:
    """`3 child runs (2 completed, 1 failed)`."""
    statuses: dict[str, int] = {}
    for c in children:
        statuses[c["status"]] = statuses.get(c["status"], 0) + 1
    counted = ", ".join(f"{n} {status}" for status, n in statuses.items())
    return f"{len(children)} child run{'s' if len(children) != 1 else ''} ({counted})"


def usage_dict(u: UsageTotals) -> dict[str, Any]:
    """A locale's usage over every run, from the ledger: `cost` is paid usage plus what
    requests without an answer were charged (`unanswered_cost`, also on its own)."""
    return {
        "tokens_in": u.tokens_in,
        "tokens_out": u.tokens_out,
        "cost": round(u.total_cost, 6),
        "requests": u.requests,
        "paid_requests": u.paid_requests,
        "strings": u.strings,
        "unanswered_cost": round(u.unanswered_cost, 6),
    }
