"""`locflow glossary import|list|export|check`: glossaries in the database."""

from __future__ import annotations

import argparse
import csv
import io
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from locflow.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    Output,
    Parents,
    Subparsers,
    chosen_locales,
    load_settings,
)
from locflow.db import glossary_repo, repo
from locflow.db.states import State
from locflow.glossaries import load_glossary
from locflow.pipeline.terms import compliance, import_glossary, term_from_dict
from locflow.pipeline.units import sessions


def add_parsers(sub: Subparsers, parents: Parents) -> None:
    common = [parents.common]
    g = sub.add_parser("glossary", parents=common, help="glossaries in the database")
    gsub = g.add_subparsers(dest="glossary_command", required=True, metavar="ACTION")
    imp = gsub.add_parser("import", parents=common, help="store a CSV/TBX glossary")
    imp.add_argument("path")
    imp.add_argument("--name", help="glossary name (default: the file's stem)")
    imp.set_defaults(handler=cmd_import)
    gsub.add_parser("list", parents=common, help="glossaries, versions, terms").set_defaults(
        handler=cmd_list
    )
    exp = gsub.add_parser("export", parents=common, help="write a glossary as CSV")
    exp.add_argument("name")
    exp.add_argument("-o", "--output", help="file to write (default: standard output)")
    exp.set_defaults(handler=cmd_export)
    chk = gsub.add_parser(
        "check", parents=common, help="approved translations that break the glossary"
    )
    chk.add_argument("-l", "--locale", action="append", metavar="LOCALE")
    chk.set_defaults(handler=cmd_check)


def _project(args: argparse.Namespace) -> tuple[Any, Any]:
    config = load_settings(args)
    Session = sessions(config.database_url)
    with Session() as s, s.begin():
        project = repo.get_or_create_project(s, config.project, config.source_locale)
    return config, (Session, project)


def cmd_import(args: argparse.Namespace, out: Output) -> int:
    config, (Session, project) = _project(args)
    glossary = load_glossary(args.path, config.source_locale, name=args.name)
    with Session() as s, s.begin():
        new = import_glossary(s, project.id, glossary, str(args.path))
    verb = "stored a new version of" if new else "unchanged:"
    out.say(
        f"{verb} glossary {glossary.name} ({len(glossary)} terms, {glossary.content_hash[:12]})"
    )
    out.data(
        {
            "name": glossary.name,
            "terms": len(glossary),
            "new_version": new,
            "content_hash": glossary.content_hash,
        }
    )
    return EXIT_OK


def cmd_list(args: argparse.Namespace, out: Output) -> int:
    _, (Session, project) = _project(args)
    rows = []
    with Session() as s:
        for name, row in sorted(glossary_repo.latest_glossaries(s, project.id).items()):
            versions = len(glossary_repo.glossary_history(s, project.id, name))
            rows.append(
                {
                    "name": name,
                    "terms": len(row.terms),
                    "versions": versions,
                    "content_hash": row.content_hash,
                    "path": row.path,
                    "updated": str(row.created_at),
                }
            )
    for r in rows:
        out.say(
            f"{r['name']}: {r['terms']} terms, {r['versions']} version(s), {r['content_hash'][:12]}"
            f" ({r['path'] or 'imported'})"
        )
    out.data(rows)
    return EXIT_OK


def cmd_export(args: argparse.Namespace, out: Output) -> int:
    _, (Session, project) = _project(args)
    with Session() as s:
        row = glossary_repo.latest_glossaries(s, project.id).get(args.name)
    if row is None:
        raise ValueError(f"no glossary named {args.name!r}; see `locflow glossary list`")
    terms = [term_from_dict(d) for d in row.terms]
    data = terms_to_csv(terms)
    if args.output:
        _write_atomic(Path(args.output), data)
        out.say(f"wrote {args.output} ({len(terms)} terms)")
    else:
        print(data, end="")
    return EXIT_OK


def terms_to_csv(terms: Sequence[Any]) -> str:
    """The documented CSV columns, so an export loads back to the same content hash."""
    locales = sorted({k for t in terms for k, _ in t.targets})
    forbidden = sorted({k for t in terms for k, _ in t.forbidden})
    header = [
        "source",
        *locales,
        *(f"forbidden:{k}" for k in forbidden),
        "case_sensitive",
        "dnt",
        "pos",
        "note",
    ]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for t in terms:
        targets, bad = dict(t.targets), dict(t.forbidden)
        dnt = t.do_not_translate
        w.writerow(
            [
                t.source,
                *("|".join(targets.get(k, ())) for k in locales),
                *("|".join(bad.get(k, ())) for k in forbidden),
                "yes" if t.case_sensitive else "",
                "yes" if dnt is True else (" ".join(dnt) if dnt else ""),
                t.part_of_speech,
                t.note,
            ]
        )
    return buf.getvalue()


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def cmd_check(args: argparse.Namespace, out: Output) -> int:
    config, (Session, project) = _project(args)
    found = []
    summary = {}
    with Session() as s:
        for locale in chosen_locales(args, config):
            result = compliance(s, project, locale)
            summary[locale] = {
                "checked": result.checked,
                "compliant": result.compliant,
                "percent": result.percent,
            }
            found += [v for v in result.violations if v.state == State.APPROVED]
    for v in found:
        out.say(f"{v.locale} #{v.version_id} {v.msgid!r}: {'; '.join(v.reasons)}")
    for locale, c in summary.items():
        pct = "n/a" if c["percent"] is None else f"{c['percent']}%"
        out.say(f"{locale}: {c['compliant']}/{c['checked']} compliant ({pct})")
    out.data({"locales": summary, "approved_violations": [v.__dict__ for v in found]})
    return EXIT_ERROR if found else EXIT_OK
