"""The text of the locflow.toml `locflow init` writes, from what discovery found.

Only keys `locflow.settings` accepts are written, so `locflow run` takes the file as it is;
what the user should check is said in `# check:` comment lines above the table concerned.
"""

from __future__ import annotations

import json

from locflow.catalog.locales import in_cldr
from locflow.pipeline.discover import Discovery, Found

FALLBACK_CATALOG = Found(
    "locale/messages.pot",
    "locale/{locale}/LC_MESSAGES/messages.po",
    (),
    "nothing found: a starting point",
    ("no .pot or .po files were found: point template and path at your catalogues",),
)


def _q(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


def starter_toml(found: Discovery, source_locale: str = "en") -> str:
    catalogs = found.catalogs or (() if found.docs else (FALLBACK_CATALOG,))
    locales = found.locales if found.catalogs or found.locales else ("fr", "de")
    lines = [
        "# Written by `locflow init` from the catalogues and docs it found here "
        "(README: Configuration)."
    ]
    lines += [f"# note: {n}" for n in found.notes]
    lines += ["", "[project]", f"source_locale = {_q(source_locale)}"]
    lines += _array("locales", [_q(x) for x in locales])
    if not locales:
        lines.append('# check: no catalogue found for any locale: list yours, e.g. ["fr", "de"]')
    elif not (found.catalogs or found.locales):
        lines.append("# check: no locale found here: these two are placeholders, list yours")
    for code, why in found.left_out:
        lines.append(f"# left out: {code}: {why}")
    outside = [x for x in locales if not in_cldr(x)]
    if outside:
        lines.append(
            f"# note: outside CLDR, kept as written: {', '.join(outside)} (plural rule from "
            "each catalogue's Plural-Forms, else add [locales.X] plural_forms)"
        )
    lines.append(
        '# database = "sqlite:///.locflow/locflow.db"   (default; LOCFLOW_DATABASE_URL overrides)'
    )
    for code, rule, where in found.plural_forms:
        lines += ["", f"# the plural rule of {where}, for catalogues of {code} not made yet"]
        lines += [f"[locales.{code}]", f"plural_forms = {_q(rule)}"]
    for f in catalogs:
        lines += ["", f"# found: {f.origin}"]
        lines += [f"# check: {n}" for n in f.notes]
        lines += ["[[catalogs]]", f"template = {_q(f.template)}", f"path = {_q(f.path)}"]
    for d in found.docs:
        lines += ["", f"# found: {d.origin}"]
        lines += [f"# check: {n}" for n in d.notes]
        lines += ["[[docs]]", f"include = [{_q(d.include)}]", f"output = {_q(d.output)}"]
    lines += [
        "",
        "[engine]",
        'name = "pseudo"   # offline pseudo-localisation; qwen_mt or openai_compat: see README',
        "",
        "[export]",
        'machine = "fuzzy"   # unreviewed machine output goes out as #, fuzzy ("omit": left out)',
        "",
    ]
    return "\n".join(lines)


def _array(key: str, items: list[str], width: int = 92) -> list[str]:
    """`key = [a, b]`, or one line of items per ~width characters when it is long."""
    one = f"{key} = [" + ", ".join(items) + "]"
    if len(one) <= width:
        return [one]
    lines, line = [f"{key} = ["], "   "
    for item in items:
        if len(line) + len(item) + 2 > width:
            lines.append(line.rstrip())
            line = "   "
        line += f" {item},"
    lines.append(line.rstrip())
    return [*lines, "]"]
