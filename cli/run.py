"""`locflow sync | translate | export | run | probe`: the catalogue pipeline.

`run`, `translate` and `export` (without --dry-run/--check) run the Prefect flows of
`locflow.flows.localise`; the dry runs, `sync` and `probe` call `locflow.pipeline` and the
engine directly, without Prefect.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Iterable
from typing import Any

from locflow.cli.common import (
    EXIT_CHANGES,
    EXIT_OK,
    EXIT_STOPPED,
    Output,
    Parents,
    Progress,
    Subparsers,
    add_allow_partial,
    before_flow,
    chosen_locales,
    fail,
    load_settings,
    partial_exit,
)
from locflow.cli.docs import summary_lines
from locflow.cli.errors import redact_url
from locflow.connectors.engines.registry import create_engine
from locflow.pipeline.cost import estimate
from locflow.pipeline.export import FileResult
from locflow.pipeline.export_check import TemplateDrift
from locflow.pipeline.summary import COMPLETED, PARTIAL, STOPPED
from locflow.pipeline.units import export_catalogues, plan, sync_catalogues


def add_parsers(sub: Subparsers, parents: Parents) -> None:
    common, loc, dry = parents.common, parents.locale, parents.dry_run
    sub.add_parser(
        "sync", parents=[common, loc, dry], help="read templates and catalogues into the database"
    ).set_defaults(handler=cmd_sync)
    tr = sub.add_parser(
        "translate", parents=[common, loc, dry], help="machine-translate what is missing or stale"
    )
    tr.add_argument("--max-cost", type=float, metavar="USD", help="stop before spending more")
    add_allow_partial(tr)
    tr.set_defaults(handler=cmd_translate)
    e = sub.add_parser(
        "export", parents=[common, loc, dry], help="write catalogues (the publish flow)"
    )
    e.add_argument(
        "--check", action="store_true", help="exit 3 if any catalogue would change; write nothing"
    )
    add_allow_partial(e)
    e.set_defaults(handler=cmd_export)
    run = sub.add_parser(
        "run", parents=[common, loc], help="sync, translate and export (the localise flow)"
    )
    run.add_argument("--max-cost", type=float, metavar="USD", help="stop before spending more")
    add_allow_partial(run)
    run.set_defaults(handler=cmd_run)
    sub.add_parser(
        "probe", parents=[common], help="send one tiny request to the engine"
    ).set_defaults(handler=cmd_probe)


def cmd_sync(args: argparse.Namespace, out: Output) -> int:
    config = load_settings(args)
    report = sync_catalogues(config, chosen_locales(args, config), args.dry_run)
    d = report.as_dict()
    prefix = "would sync" if args.dry_run else "synced"
    out.say(
        f"{prefix}: {d['new']} new, {d['changed']} changed, {d['obsolete']} obsolete, "
        f"{d['linked']} reworded, {d['imported']} translations imported, "
        f"{d.get('carried', 0)} carried as fuzzy suggestions "
        f"({d['catalogs_read']} catalogues read, {d['catalogs_unchanged']} unchanged)"
    )
    out.data(d)
    return EXIT_OK


def cmd_translate(args: argparse.Namespace, out: Output) -> int:
    config = load_settings(args)
    locales = chosen_locales(args, config)
    if args.dry_run:
        plans = {loc: plan(config, loc) for loc in locales}
        d: dict[str, Any] = {}
        for loc, p in plans.items():
            if not config.options_for(loc).engine:
                d[loc] = {"left_to_translators": p.held, "from_memory": len(p.reused)}
                out.say(
                    f"{loc}: engine = false: {p.held} strings left to translators, "
                    f"{len(p.reused)} from memory, {p.up_to_date} up to date"
                )
                continue
            est = estimate([p], config.engine, config.source_locale)
            d[loc] = {
                "strings": len(p.queued),
                "entries": p.queued_items,
                "from_memory": len(p.reused),
                "up_to_date": p.up_to_date,
                **est.as_dict(),
            }
            out.say(
                f"{loc}: {len(p.queued)} strings to translate ({p.queued_items} entries), "
                f"{len(p.reused)} from memory, {p.up_to_date} up to date; about "
                f"{est.requests} requests, {est.tokens_in} tokens in, {est.tokens_out} out, "
                f"${est.cost:.4f}"
            )
        total = estimate(plans.values(), config.engine, config.source_locale)
        d["total"] = total.as_dict()
        out.say(
            f"total: {total.strings} strings, about {total.requests} requests, "
            f"{total.tokens_in + total.tokens_out} tokens, ${total.cost:.4f} "
            f"(engine {config.engine.name}; nothing was sent)"
        )
        out.data(d)
        return EXIT_OK
    return _run_flow(args, out, config, locales, sync=False, export=False)


def cmd_run(args: argparse.Namespace, out: Output) -> int:
    """The main job: catalogues (sync, translate, export), then the [[docs]] if any."""
    config = load_settings(args)
    locales = chosen_locales(args, config)
    return _run_flow(args, out, config, locales, docs=bool(config.docs))


def _run_flow(
    args: argparse.Namespace,
    out: Output,
    config: Any,
    locales: list[str],
    *,
    sync: bool = True,
    export: bool = True,
    docs: bool = False,
) -> int:
    # The flows import Prefect: only the commands that run them load it.
    from locflow.flows import report
    from locflow.flows.localise import localise

    before_flow(config, out)
    with Progress(out) as hook:
        report.set_progress_hook(hook)
        result = localise(
            str(config.file),
            locales,
            sync=sync,
            translate=True,
            export=export,
            max_cost=args.max_cost,
        )
        if docs and result.status in (COMPLETED, PARTIAL):
            from locflow.flows.docs import translate_docs  # Prefect: only when [[docs]] run

            result.documents = translate_docs(str(config.file), locales)
    out.say(report.markdown_summary(result))
    _say_demoted(out, result.files)
    data = result.to_dict()
    documents = data.get("documents")
    if documents is not None:
        for line in summary_lines(documents):
            out.say(line)
    out.data(data)
    stopped = [r for r in (result, result.documents) if r is not None and r.status == STOPPED]
    if stopped:
        print(f"locflow: stopped: {stopped[0].message or ''}", file=sys.stderr)
        return EXIT_STOPPED
    reasons = [g.line() for g in result.gaps()]
    if result.documents is not None:  # a document that fails its structure check is not written
        reasons += [g.line() for g in result.documents.gaps()]
    return partial_exit(args, reasons)


def cmd_probe(args: argparse.Namespace, out: Output) -> int:
    config = load_settings(args)
    engine = create_engine(config.engine)
    info = asyncio.run(engine.probe()).as_dict()
    base_url = info.get("base_url")
    if isinstance(base_url, str) and "@" in base_url:
        info["base_url"] = redact_url(base_url)
    for key, value in info.items():
        out.say(f"{key}: {value}")
    out.data(info)
    return EXIT_OK


def cmd_export(args: argparse.Namespace, out: Output) -> int:
    """Exit 3 when `--check` finds a catalogue that would change, or when the template
    drifted since the last sync (a real export then refuses, naming it); exit 1, with the
    real target named, when a file cannot be written (then nothing was written)."""
    config = load_settings(args)
    locales = chosen_locales(args, config)
    if args.check or args.dry_run:
        files = export_catalogues(config, locales, dry_run=True)
        changed = [f for f in files if f.changed]
        for f in changed:
            why = f" ({'; '.join(f.reasons)})" if f.reasons else ""
            out.say(f"would change: {f.path}{why}")
            if args.verbose:
                for line in f.entries:
                    out.say(f"    {line}")
        _say_demoted(out, files)
        out.say(f"{len(changed)} of {len(files)} catalogues would change")
        out.data({"files": [f.__dict__ for f in files]})
        drifted = any(r.startswith("template drift") for f in files for r in f.reasons)
        return EXIT_CHANGES if (changed and (args.check or drifted)) else EXIT_OK
    from locflow.flows.localise import publish  # Prefect: only a real export loads it

    before_flow(config, out)
    try:
        result = publish(str(config.file), locales)
    except TemplateDrift as exc:
        fail(str(exc))
        return EXIT_CHANGES
    except OSError as exc:
        if args.verbose or not exc.filename:
            raise
        return fail(f"{exc.filename}: {exc.strerror or exc}; nothing was written")
    for f in result.written:
        out.say(f"wrote {f.path}")
    _say_demoted(out, result.files)
    out.say(f"{len(result.written)} of {len(result.files)} catalogues written")
    out.data(result.to_dict())
    return partial_exit(args, [g.line() for g in result.gaps()])


def _say_demoted(out: Output, files: Iterable[FileResult]) -> None:
    """Entries export could not write as they are: each kept its previous text, was left
    out or written fuzzy (the other entries and catalogues were exported); and entries
    msgfmt -c would reject that are not locflow's to rewrite."""
    for f in files:
        for line in f.demoted:
            out.say(f"{f.path}: {line}")
        for line in f.flagged:  # text locflow did not write: reported, never rewritten
            out.say(f"{f.path}: {line}")
        for line in f.notes:  # the file as a whole (a charset conversion)
            out.say(f"{f.path}: {line}")
