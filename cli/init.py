"""`locflow init`: a locflow.toml from what the project already has, and the database."""

from __future__ import annotations

import argparse
from pathlib import Path

from locflow.cli.common import EXIT_OK, Output, Parents, Subparsers, load_settings
from locflow.cli.errors import redact_url
from locflow.db.session import create_db_engine, current_revision, migrate
from locflow.pipeline.discover import Discovery, discover
from locflow.pipeline.starter import starter_toml
from locflow.settings import DEFAULT_CONFIG


def add_parsers(sub: Subparsers, parents: Parents) -> None:
    sub.add_parser(
        "init",
        parents=[parents.common, parents.dry_run],
        help="write locflow.toml from the catalogues found here (never overwritten); "
        "migrate the database",
    ).set_defaults(handler=cmd_init)


def cmd_init(args: argparse.Namespace, out: Output) -> int:
    """An existing locflow.toml is kept as it is; `--dry-run` prints what was found and
    writes nothing (no file, no database)."""
    path = Path(args.config or DEFAULT_CONFIG)
    found = discover(path.resolve().parent)
    exists = path.exists()
    payload: dict[str, object] = {"config": str(path), "found": found.as_dict()}
    if args.dry_run:
        _say_found(out, found)
        if exists:
            out.say(f"{path} exists: init keeps it as it is")
        else:
            out.say(f"would write {path}:")
            out.say(starter_toml(found))
        out.data({**payload, "written": False, "exists": exists})
        return EXIT_OK
    if exists:
        out.say(f"kept {path} as it is (init never overwrites it)")
    else:
        _say_found(out, found)
        path.write_text(starter_toml(found), encoding="utf-8")
        out.say(f"wrote {path}")
    config = load_settings(args)
    engine = create_db_engine(config.database_url)
    migrate(engine)
    revision = current_revision(engine)
    out.say(f"database {redact_url(config.database_url)} at revision {revision}")
    out.data(
        {
            **payload,
            "written": not exists,
            "exists": exists,
            "database": redact_url(config.database_url),
            "revision": revision,
        }
    )
    return EXIT_OK


def _say_found(out: Output, found: Discovery) -> None:
    if not found.catalogs:
        out.say("found no .pot or .po files")
    for d in found.docs:
        out.say(f"found docs {d.include} ({d.origin}), translated to {d.output}")
    for f in found.catalogs:
        on_disk = f", catalogues for {len(f.locales)} locales" if f.locales else ""
        out.say(f"found {f.template} ({f.origin}){on_disk}")
        for n in f.notes:
            out.say(f"  check: {n}")
    out.say(f"locales: {', '.join(found.locales) or 'none found'}")
    for code, why in found.left_out:
        out.say(f"  left out {code}: {why}")
    for n in found.notes:
        out.say(f"note: {n}")
