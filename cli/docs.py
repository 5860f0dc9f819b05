"""`locflow docs …`: the `translate_docs` flow for CI.

    locflow docs [--changed-since REF] [-l LOCALE] [--json] [--dry-run] [--allow-partial]

Exit codes: 0 every document was written or is unchanged; 5 the run finished, but a
document failed its structure check (it is not written), could not be read, or blocks were
refused or deferred by the engine (one `locflow: partial: …` line per reason on stderr;
`--allow-partial` makes it 0); 4 the run stopped (a fatal engine error); 1 or 2 the setup is
wrong (bad config, unknown git ref). `--dry-run` runs no flow and sends nothing: it reports
what would be translated and which outputs would change, and exits 5 if a document would
fail its check as things stand.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from locflow.cli.common import (
    EXIT_STOPPED,
    Output,
    Parents,
    Progress,
    Subparsers,
    add_allow_partial,
    before_flow,
    chosen_locales,
    load_settings,
    partial_exit,
)
from locflow.db import repo
from locflow.pipeline.docs import (
    changed_since,
    discover_docs,
    discover_sites,
    plan_docs,
    segment_docs,
    sync_docs,
    verify_ref,
)
from locflow.pipeline.docs_export import export_docs
from locflow.pipeline.results import docs_spend_line
from locflow.pipeline.summary import STOPPED
from locflow.pipeline.units import engine_scope, sessions
from locflow.settings import Config


def add_parsers(sub: Subparsers, parents: Parents) -> None:
    p = sub.add_parser(
        "docs",
        parents=[parents.common, parents.locale, parents.dry_run],
        help="translate the [[docs]] and write translated documents (the translate_docs flow)",
        description="Sync the Markdown docs, translate new and changed blocks, write the "
        "translated documents. Exit 5 if a document fails its structure check or the engine "
        "refuses or defers a block (--allow-partial: 0).",
    )
    p.add_argument(
        "--changed-since",
        metavar="REF",
        help="only send blocks of docs changed since this git ref (e.g. origin/main)",
    )
    add_allow_partial(p)
    p.set_defaults(handler=cmd_docs)


def cmd_docs(args: argparse.Namespace, out: Output) -> int:
    config = load_settings(args)
    locales = chosen_locales(args, config)
    if args.changed_since:
        verify_ref(config, args.changed_since)  # a typo is one line, before any flow runs
    if args.dry_run:
        result = dry_run(config, locales, args.changed_since)
        reasons = [f"{p}: document would not be written" for p in result["failed"]]
    else:
        # The flow imports Prefect: a dry run does without it.
        from locflow.flows import report
        from locflow.flows.docs import translate_docs

        before_flow(config, out)
        with Progress(out) as hook:
            report.set_progress_hook(hook)
            try:
                run = translate_docs(str(config.file), locales, args.changed_since)
            finally:
                report.set_progress_hook(None)
        result, reasons = run.to_dict(), [g.line() for g in run.gaps()]
    for line in summary_lines(result):
        out.say(line)
    out.data(result)
    if result.get("status") == STOPPED:
        print(f"locflow: stopped: {result.get('message') or ''}", file=sys.stderr)
        return EXIT_STOPPED
    return partial_exit(args, reasons)


def dry_run(config: Config, locales: list[str], ref: str | None) -> dict[str, Any]:
    """What a run would do, from a transaction that is rolled back: nothing is sent or
    written."""
    docs, sites = discover_docs(config), discover_sites(config)
    selected = sorted(changed_since(config, ref, docs, sites)) if ref else None
    with sessions(config.database_url)() as s:
        s.begin()
        try:
            synced = sync_docs(s, config, docs)
            project = repo.get_or_create_project(s, config.project, config.source_locale)
            segments = segment_docs(s, project)
            queued: dict[tuple[str, str], int] = {}
            for locale in locales:
                plan = engine_scope(config, plan_docs(s, project, locale, selected))
                for items in plan.queued.values():
                    for item in items:
                        key = (segments[item.segment_id], locale)
                        queued[key] = queued.get(key, 0) + 1
            results = export_docs(s, config, locales=locales, dry_run=True)
        finally:
            s.rollback()
    rows = [{**d.as_dict(), "to_translate": queued.get((d.doc, d.locale), 0)} for d in results]
    return {
        "dry_run": True,
        "changed_since": ref,
        "selected": selected
        if selected is not None
        else [d.name for d in docs] + [x.file for x in sites],
        "sync": synced.as_dict(),
        "docs": rows,
        "failed": [
            *synced.problems,  # a doc that cannot be read
            *(f"{p} [{d.locale}]" for d in results for p in (*d.problems, *d.demoted)),
        ],
    }


def summary_lines(result: dict[str, Any]) -> list[str]:
    lines = []
    if result.get("changed_since"):
        lines.append(
            f"{len(result['selected'])} doc(s) changed since {result['changed_since']}: "
            + (", ".join(result["selected"]) or "none")
        )
    dry = result.get("dry_run", False)
    for d in result["docs"]:
        if d["problems"]:
            state = f"NOT WRITTEN ({len(d['problems'])} structure problem(s))"
        elif dry:
            state = "would change" if d["changed"] else "unchanged"
        else:
            state = "written" if d["written"] else "unchanged"
        if d.get("demoted"):
            state += f" ({len(d['demoted'])} block problem(s): left in the source language)"
        counts = (
            f"{d['to_translate']} to translate"
            if dry
            else f"{d['translated']} translated, {d['reused']} reused"
        )
        lines.append(
            f"{d['doc']} [{d['locale']}]: {d['blocks']} blocks, {counts}, "
            f"{d['source_text']} untranslated -> {d['path']}: {state}"
        )
    if not dry:
        written = sum(1 for d in result["docs"] if d["written"])
        lines.append(
            f"{written} of {len(result['docs'])} documents written; "
            + docs_spend_line(result.get("totals") or {})
            + f" (run {result.get('run_id', '')}, {result.get('status', '')})"
        )
    return lines
