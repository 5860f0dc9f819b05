"""`locflow` command line.

Exit codes: 0 success; 1 error (bad input, configuration, a file changed on disk; one line on
stderr); 2 usage; 3 `export --check` found catalogues that would change; 4 the run stopped
early (a fatal engine error or the cost cap), with everything done so far kept.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from locflow.cli.deploy import add_deploy_parser
from locflow.cli.docs import add_docs_parser
from locflow.cli.glossary import add_glossary_parser
from locflow.cli.stats import cmd_stats
from locflow.cli.user import add_review_parsers

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_CHANGES, EXIT_STOPPED = 0, 1, 2, 3, 4

_PREFECT_DEFAULTS = {
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
}


class Output:
    def __init__(self, *, quiet: bool, verbose: bool, as_json: bool) -> None:
        self.quiet, self.verbose, self.as_json = quiet, verbose, as_json

    def say(self, text: str) -> None:
        if not self.quiet and not self.as_json:
            print(text)

    def data(self, payload: Any) -> None:
        if self.as_json:
            print(json.dumps(payload, indent=2, default=str, ensure_ascii=False))


def _locales(values: Sequence[str] | None) -> list[str] | None:
    if not values:
        return None
    out: list[str] = []
    for v in values:
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return out


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", help="configuration file (default ./locflow.toml)")
    common.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    common.add_argument("-v", "--verbose", action="store_true", help="show Prefect's logs too")
    common.add_argument("--json", action="store_true", help="machine-readable output")
    loc = argparse.ArgumentParser(add_help=False)
    loc.add_argument(
        "-l",
        "--locale",
        action="append",
        metavar="LOCALE",
        help="limit to these locales (repeat, or comma-separated)",
    )
    dry = argparse.ArgumentParser(add_help=False)
    dry.add_argument(
        "--dry-run", action="store_true", help="report what would change, change nothing"
    )

    p = argparse.ArgumentParser(
        prog="locflow", description="Batch translation and localisation pipeline."
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser(
        "init", parents=[common], help="create locflow.toml if missing and migrate the database"
    )
    sub.add_parser(
        "sync", parents=[common, loc, dry], help="read templates and catalogues into the database"
    )
    tr = sub.add_parser(
        "translate", parents=[common, loc, dry], help="machine-translate what is missing or stale"
    )
    tr.add_argument("--max-cost", type=float, metavar="USD", help="stop before spending more")
    e = sub.add_parser(
        "export", parents=[common, loc, dry], help="write catalogues (the publish flow)"
    )
    e.add_argument(
        "--check", action="store_true", help="exit 3 if any catalogue would change; write nothing"
    )
    run = sub.add_parser(
        "run", parents=[common, loc], help="sync, translate and export (the localise flow)"
    )
    run.add_argument("--max-cost", type=float, metavar="USD", help="stop before spending more")
    sub.add_parser("probe", parents=[common], help="send one tiny request to the engine")
    doc = sub.add_parser(
        "doctor", parents=[common], help="check configuration, database, sources, engine"
    )
    doc.add_argument("--no-engine", action="store_true", help="do not contact the engine")
    sub.add_parser("serve", parents=[common], help="serve the [[schedules]] as Prefect deployments")
    sub.add_parser("stats", parents=[common], help="translation state per locale")
    add_docs_parser(sub, [common, loc, dry])
    add_glossary_parser(sub, [common])
    add_deploy_parser(sub, [common])
    add_review_parsers(sub, [common])
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    for k, v in _PREFECT_DEFAULTS.items():
        os.environ.setdefault(k, v)
    if args.verbose:
        os.environ["PREFECT_LOGGING_LEVEL"] = "INFO"
    out = Output(quiet=args.quiet, verbose=args.verbose, as_json=args.json)
    try:
        handler = getattr(args, "handler", None) or COMMANDS[args.command]
        return handler(args, out)
    except KeyboardInterrupt:
        print("locflow: interrupted; work stored so far is kept", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.verbose:
            raise
        from locflow.cli.errors import user_message

        message = user_message(exc)
        if message is None:
            raise
        print(f"locflow: error: {message}", file=sys.stderr)
        return EXIT_ERROR


def _config(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from locflow.settings import load_config

    return load_config(args.config)


def cmd_init(args: argparse.Namespace, out: Output) -> int:
    from pathlib import Path

    from locflow.cli.errors import redact_url
    from locflow.db.session import create_db_engine, current_revision, migrate
    from locflow.settings import DEFAULT_CONFIG

    path = Path(args.config or DEFAULT_CONFIG)
    if not path.exists():
        path.write_text(STARTER_CONFIG, encoding="utf-8")
        out.say(f"wrote {path}")
    config = _config(args)
    engine = create_db_engine(config.database_url)
    migrate(engine)
    out.say(f"database {redact_url(config.database_url)} at revision {current_revision(engine)}")
    out.data(
        {
            "config": str(config.file),
            "database": redact_url(config.database_url),
            "revision": current_revision(engine),
        }
    )
    return EXIT_OK


def cmd_sync(args: argparse.Namespace, out: Output) -> int:
    from locflow.pipeline.units import sync_catalogues

    config = _config(args)
    report = sync_catalogues(config, _locales(args.locale) or list(config.locales), args.dry_run)
    d = report.as_dict()
    prefix = "would sync" if args.dry_run else "synced"
    out.say(
        f"{prefix}: {d['new']} new, {d['changed']} changed, {d['obsolete']} obsolete, "
        f"{d['linked']} reworded, {d['imported']} translations imported "
        f"({d['catalogs_read']} catalogues read, {d['catalogs_unchanged']} unchanged)"
    )
    out.data(d)
    return EXIT_OK


def cmd_translate(args: argparse.Namespace, out: Output) -> int:
    config = _config(args)
    locales = _locales(args.locale) or list(config.locales)
    if args.dry_run:
        from locflow.pipeline.cost import estimate
        from locflow.pipeline.units import plan

        plans = {loc: plan(config, loc) for loc in locales}
        d: dict[str, Any] = {}
        for loc, p in plans.items():
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
    config = _config(args)
    locales = _locales(args.locale) or list(config.locales)
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
    from locflow.flows import report
    from locflow.flows.localise import localise

    with _progress(out) as hook:
        report.set_progress_hook(hook)
        result = localise(
            str(config.file),
            locales,
            sync=sync,
            translate=True,
            export=export,
            max_cost=args.max_cost,
        )
        if docs and result.status == "completed":
            from locflow.flows.docs import translate_docs

            result.documents = translate_docs(str(config.file), locales)
    out.say(report.markdown_summary(result))
    data = result.to_dict()
    documents = data.get("documents")
    if documents is not None:
        from locflow.cli.docs import summary_lines

        for line in summary_lines(documents):
            out.say(line)
    out.data(data)
    if result.status == "stopped":
        print(f"locflow: stopped: {result.message or ''}", file=sys.stderr)
        return EXIT_STOPPED
    failed = documents["failed"] if documents is not None else []
    for problem in failed:  # a document that fails its structure check is not written
        print(f"locflow: {problem}", file=sys.stderr)
    return EXIT_ERROR if failed else EXIT_OK


def cmd_probe(args: argparse.Namespace, out: Output) -> int:
    import asyncio

    from locflow.cli.errors import redact_url
    from locflow.connectors.engines.registry import create_engine

    config = _config(args)
    engine = create_engine(config.engine)
    probe = getattr(engine, "probe", None)
    if probe is None:
        info: dict[str, Any] = {
            "engine": engine.name,
            "limits": engine.limits().__dict__,
            "note": "offline engine: nothing to probe",
        }
    else:
        info = asyncio.run(probe())
    if isinstance(info.get("base_url"), str):
        info["base_url"] = (
            redact_url(info["base_url"]) if "@" in info["base_url"] else info["base_url"]
        )
    for key, value in info.items():
        out.say(f"{key}: {value}")
    out.data(info)
    return EXIT_OK


def cmd_export(args: argparse.Namespace, out: Output) -> int:
    config = _config(args)
    locales = _locales(args.locale) or list(config.locales)
    if args.check or args.dry_run:
        from locflow.pipeline.units import export_catalogues

        files = export_catalogues(config, locales, dry_run=True)
        changed = [f for f in files if f.changed]
        for f in changed:
            out.say(f"would change: {f.path}")
        out.say(f"{len(changed)} of {len(files)} catalogues would change")
        out.data({"files": [f.__dict__ for f in files]})
        return EXIT_CHANGES if (args.check and changed) else EXIT_OK
    from locflow.flows.localise import publish

    result = publish(str(config.file), locales)
    for f in result["files"]:
        if f["written"]:
            out.say(f"wrote {f['path']}")
    out.say(
        f"{sum(1 for f in result['files'] if f['written'])} of {len(result['files'])} "
        "catalogues written"
    )
    out.data(result)
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace, out: Output) -> int:
    from locflow.cli.doctor import diagnose

    findings = diagnose(args.config, probe_engine=not args.no_engine)
    for f in findings:
        out.say(f.line())
    out.data([f.__dict__ for f in findings])
    return EXIT_ERROR if any(f.status == "fail" for f in findings) else EXIT_OK


def cmd_serve(args: argparse.Namespace, out: Output) -> int:
    from locflow.flows.deploy import serve

    config = _config(args)
    os.environ["PREFECT_LOGGING_LEVEL"] = "INFO" if not args.quiet else "WARNING"
    serve(config)
    return EXIT_OK


class _progress:
    """A rich progress bar on an interactive terminal; nothing otherwise (NO_COLOR honoured)."""

    def __init__(self, out: Output) -> None:
        self.enabled = sys.stderr.isatty() and not out.quiet and not out.as_json
        self._bar: Any = None
        self._tasks: dict[str, Any] = {}

    def __enter__(self):  # type: ignore[no-untyped-def]
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import Progress

        self._bar = Progress(console=Console(stderr=True), transient=True)
        self._bar.start()
        return self._update

    def _update(self, label: str, done: int, total: int) -> None:
        if label not in self._tasks:
            self._tasks[label] = self._bar.add_task(f"translating {label}", total=total)
        self._bar.update(self._tasks[label], completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


COMMANDS = {
    "init": cmd_init,
    "sync": cmd_sync,
    "translate": cmd_translate,
    "export": cmd_export,
    "run": cmd_run,
    "probe": cmd_probe,
    "doctor": cmd_doctor,
    "serve": cmd_serve,
    "stats": cmd_stats,
}

STARTER_CONFIG = """\
[project]
source_locale = "en"
locales = ["fr", "de"]
# database = "sqlite:///.locflow/locflow.db"   (default; LOCFLOW_DATABASE_URL overrides)

[[catalogs]]
template = "locale/messages.pot"
path = "locale/{locale}/LC_MESSAGES/messages.po"

[engine]
name = "pseudo"

[export]
machine = "fuzzy"
"""

if __name__ == "__main__":
    raise SystemExit(main())
