"""`locflow doctor`: one line per finding about configuration, database, sources, engine."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from locflow.cli.common import EXIT_ERROR, EXIT_OK, Output, Parents, Subparsers
from locflow.cli.errors import redact_url
from locflow.connectors.engines.base import EngineError
from locflow.connectors.engines.registry import create_engine
from locflow.connectors.po import read_po
from locflow.connectors.po_model import PoError
from locflow.db.session import create_db_engine, current_revision, head_revision
from locflow.settings import Config, ConfigError, load_config

Status = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Finding:
    status: Status
    topic: str
    message: str

    def line(self) -> str:
        return f"{self.status.upper():4} {self.topic}: {self.message}"


def add_parsers(sub: Subparsers, parents: Parents) -> None:
    doc = sub.add_parser(
        "doctor", parents=[parents.common], help="check configuration, database, sources, engine"
    )
    doc.add_argument("--no-engine", action="store_true", help="do not contact the engine")
    doc.set_defaults(handler=cmd_doctor)


def cmd_doctor(args: argparse.Namespace, out: Output) -> int:
    findings = diagnose(args.config, probe_engine=not args.no_engine)
    for f in findings:
        out.say(f.line())
    out.data([f.__dict__ for f in findings])
    return EXIT_ERROR if any(f.status == "fail" for f in findings) else EXIT_OK


def diagnose(config_path: str | None, *, probe_engine: bool = True) -> list[Finding]:
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        return [Finding("fail", "config", str(exc))]
    findings = [Finding("ok", "config", f"{config.file} ({len(config.locales)} locales)")]
    findings += [Finding("warn", "config", w) for w in config.warnings]
    for check in (_database, _sources, _schedules, _prefect, _gettext):
        findings.extend(check(config))
    if probe_engine:
        findings.extend(_engine(config))
    return findings


def _database(config: Config) -> Iterator[Finding]:
    url = redact_url(config.database_url)
    try:
        engine = create_db_engine(config.database_url)
        current = current_revision(engine)
        engine.dispose()
    except Exception as exc:
        yield Finding("fail", "database", f"{url}: {str(exc).splitlines()[0]}")
        return
    head = head_revision()
    if current == head:
        yield Finding("ok", "database", f"{url} at revision {current}")
    elif current is None:
        yield Finding(
            "warn", "database", f"{url} is empty; `locflow init` (or any run) migrates it"
        )
    else:
        yield Finding(
            "warn", "database", f"{url} at {current}, newest is {head}; run `locflow init`"
        )


def _sources(config: Config) -> Iterator[Finding]:
    sources = config.catalog_sources()
    if not sources and not config.docs:
        yield Finding("warn", "sources", "no [[catalogs]] or [[docs]] configured")
    for src in sources:
        if not src.template.exists():
            yield Finding("fail", "template", f"{src.name}: not found")
            continue
        try:
            entries = len(read_po(src.template).entries)
        except PoError as exc:
            yield Finding("fail", "template", str(exc))
            continue
        yield Finding("ok", "template", f"{src.name}: {entries} entries")
        for locale in config.locales:
            path = src.catalog_path(locale)
            if not path.exists():
                continue
            try:
                read_po(path)
            except PoError as exc:
                yield Finding("fail", "catalogue", str(exc))


def _schedules(config: Config) -> Iterator[Finding]:
    if config.schedules:  # checked when the config was loaded
        names = ", ".join(f"{s.name} ({s.flow}, {s.cron})" for s in config.schedules)
        yield Finding("ok", "schedules", names)


def _prefect(config: Config) -> Iterator[Finding]:
    url = os.environ.get("PREFECT_API_URL")
    if not url:
        yield Finding("ok", "prefect", "no PREFECT_API_URL: runs use a temporary local API")
        return
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/health", timeout=5) as r:
            ok = r.status == 200
    except OSError as exc:
        yield Finding("fail", "prefect", f"{url}: {exc}")
        return
    yield Finding("ok" if ok else "fail", "prefect", f"{url} answers")


def _gettext(config: Config) -> Iterator[Finding]:
    if shutil.which("msgfmt"):
        yield Finding("ok", "gettext", "msgfmt found (for `msgfmt -c` checks)")
    else:
        yield Finding("warn", "gettext", "msgfmt not found; install GNU gettext to validate output")


def _engine(config: Config) -> Iterator[Finding]:
    try:
        engine = create_engine(config.engine)
    except (EngineError, ValueError) as exc:
        yield Finding("fail", "engine", _named(config.engine.name, exc))
        return
    try:
        probe = asyncio.run(engine.probe())
    except (EngineError, OSError) as exc:
        yield Finding("fail", "engine", _named(engine.name, exc))
        return
    if not probe.sent:
        yield Finding("ok", "engine", f"{engine.name}: offline, nothing to probe")
        return
    yield Finding("ok", "engine", f"{engine.name} answers: {probe.as_dict()}")


def _named(name: str, exc: BaseException) -> str:
    """`name: message`, once: engine errors often start with the engine's name already."""
    message = str(exc)
    return message if message.startswith(f"{name}:") else f"{name}: {message}"
