"""`locflow stats`: translation state, usage and recent runs."""

from __future__ import annotations

import argparse
from typing import Any

from locflow.cli.common import EXIT_OK, Output, Parents, Subparsers, load_settings
from locflow.db import repo, run_repo
from locflow.db.run_repo import UsageTotals
from locflow.pipeline.terms import compliance
from locflow.pipeline.units import sessions
from locflow.settings import Config


def add_parsers(sub: Subparsers, parents: Parents) -> None:
    sub.add_parser(
        "stats", parents=[parents.common], help="translation state per locale"
    ).set_defaults(handler=cmd_stats)


def cmd_stats(args: argparse.Namespace, out: Output) -> int:
    payload = stats_payload(load_settings(args))
    out.say(f"{payload['segments']} segments")
    for loc, c in payload["locales"].items():
        u = payload["usage"][loc]
        states = ", ".join(f"{k} {v}" for k, v in sorted(c.items()))
        out.say(
            f"{loc}: {states}; {u['requests']} requests ({u['paid_requests']} paid), "
            f"{u['tokens_in']} tokens in, {u['tokens_out']} out, ${u['cost']:.4f}"
        )
    for r in payload["runs"][:1]:
        packs = r["engine"]
        line = (
            f"last run #{r['id']} {r['status']}: {r['requests']} requests "
            f"({r['paid_requests']} paid), ${r['cost']:.4f}"
        )
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
    with sessions(config.database_url)() as s:
        project = repo.find_project(s, config.project)
        total = run_repo.live_segment_count(s, project.id) if project else 0
        counts = run_repo.state_counts(s, project.id) if project else {}
        usage = run_repo.usage_totals(s, project_id=project.id) if project else {}
        terms = (
            {loc: compliance(s, project, loc).percent for loc in config.locales} if project else {}
        )
        runs = run_repo.recent_runs(s, project.id) if project else []
        spent = {
            r.id: run_repo.sum_totals(run_repo.usage_totals(s, run_id=r.id).values()) for r in runs
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
                "id": r.id,
                "kind": r.kind,
                "status": r.status,
                "started_at": r.started_at,
                "requests": spent[r.id].requests,
                "paid_requests": spent[r.id].paid_requests,
                "tokens_in": spent[r.id].tokens_in,
                "tokens_out": spent[r.id].tokens_out,
                "cost": round(spent[r.id].total_cost, 6),
                "engine": (r.counts or {}).get("engine", {}),
                "message": r.message,
            }
            for r in runs
        ],
    }


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
