"""What `locflow init` finds in a project: templates, catalogues and locales already on disk,
and MkDocs or Zensical docs (discover_docs).

Pure file reading, no Prefect, no database, nothing executed: Babel's settings are read with
configparser/tomllib and Sphinx's conf.py with `ast` (see discover_sphinx). Three layouts:
- Babel/GNU: a `.pot` (found on disk, or named by `[extract_messages] output_file`) with its
  catalogues in `<dir>/<ll>/LC_MESSAGES/<domain>.po` (or `<dir>/<ll>.po`);
- Sphinx: `locale_dirs` and `gettext_compact` of conf.py, templates in the gettext build dir;
- Django: `locale/<ll>/LC_MESSAGES/<domain>.po` with no `.pot` at all.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

from locflow.catalog.locales import UnknownLocale, in_cldr, normalise_locale
from locflow.pipeline.discover_babel import Group, babel_settings, babel_template
from locflow.pipeline.discover_docs import FoundDocs, found_docs
from locflow.pipeline.discover_sphinx import join, read_sphinx_conf
from locflow.pipeline.discover_tree import Tree, pots_under, walk

_LOCALE_SHAPE = re.compile(r"^[a-z]{2,3}(?:[_-](?:[A-Za-z]{4}|[A-Z]{2}|\d{3}))*(?:@[a-z]+)?$")


@dataclass(frozen=True)
class Found:
    """One `[[catalogs]]` table to write, with what it was found from."""

    template: str
    path: str
    locales: tuple[str, ...]
    """Locale folder names as found on disk (not yet normalised)."""
    origin: str
    notes: tuple[str, ...] = ()
    """Comment lines for the user to check, written above the table."""
    exclude: tuple[str, ...] = ()
    """Locales found that must not be targets (their catalogue serves as the template)."""


@dataclass(frozen=True)
class Discovery:
    catalogs: tuple[Found, ...]
    locales: tuple[str, ...]
    """Normalised target locales, from the catalogues on disk."""
    left_out: tuple[tuple[str, str], ...] = ()
    """(code on disk, why it is not among the locales)."""
    notes: tuple[str, ...] = ()
    plural_forms: tuple[tuple[str, str, str], ...] = ()
    """(locale, Plural-Forms, catalogue it is read from) for the locales CLDR does not know:
    a template whose locale has no catalogue yet needs the rule from locflow.toml."""
    docs: tuple[FoundDocs, ...] = ()
    """The `[[docs]]` tables: one per MkDocs or Zensical site with Markdown pages."""

    def as_dict(self) -> dict[str, object]:
        return {
            "catalogs": [
                {
                    "template": f.template,
                    "path": f.path,
                    "origin": f.origin,
                    "locales_on_disk": list(f.locales),
                    "notes": list(f.notes),
                }
                for f in self.catalogs
            ],
            "locales": list(self.locales),
            "left_out": [{"code": c, "why": w} for c, w in self.left_out],
            "notes": list(self.notes),
            "docs": [d.as_dict() for d in self.docs],
        }


# --- catalogues on disk -----------------------------------------------------------------------


def po_groups(pos: Iterable[str]) -> dict[Group, list[str]]:
    """Catalogues grouped by where they live and their domain, with their locale folders.
    `<dir>/<ll>.po` files count when one of them at least is a locale Babel knows (so a
    stray `app.po` is no locale)."""
    groups: dict[Group, list[str]] = {}
    for p in pos:
        parts = PurePosixPath(p).parts
        if "LC_MESSAGES" in parts[:-1]:
            i = parts.index("LC_MESSAGES")
            if i < 1:
                continue
            base = "/".join(parts[: i - 1]) or "."
            domain = str(PurePosixPath(*parts[i + 1 :]).with_suffix(""))
            groups.setdefault((base, domain), []).append(parts[i - 1])
        elif _is_locale_code(PurePosixPath(p).stem):
            base = str(PurePosixPath(p).parent)
            groups.setdefault((base, None), []).append(PurePosixPath(p).stem)
    return {
        k: sorted(set(v))
        for k, v in groups.items()
        if k[1] is not None or any(_same_locale(code, code) and in_cldr(code) for code in v)
    }


def _is_locale_code(code: str) -> bool:
    """Shaped like a gettext locale (`fr`, `pt_BR`, `sr@latin`, `udm`): known or not to
    Babel (CLDR); `_locales` keeps those that normalise_locale accepts."""
    return _LOCALE_SHAPE.match(code) is not None


def _join(base: str, *rest: str) -> str:
    return str(PurePosixPath(base, *rest)) if base != "." else str(PurePosixPath(*rest))


def path_pattern(group: Group, name_placeholder: bool = False) -> str:
    base, domain = group
    if domain is None:
        return _join(base, "{locale}.po")
    return _join(
        base, "{locale}", "LC_MESSAGES", ("{name}" if name_placeholder else domain) + ".po"
    )


# --- putting it together ----------------------------------------------------------------------


def discover(root: str | os.PathLike[str], source_locale: str = "en") -> Discovery:
    """Everything `locflow init` writes into a new locflow.toml, found under `root`."""
    tree = walk(root)
    groups = po_groups(tree.pos)
    used: set[Group] = set()
    found: list[Found] = []
    notes: list[str] = []
    built: list[str] = []
    for conf in tree.confs:
        found += _sphinx(root, conf, groups, used, notes, built)
    tree.pots = [p for p in tree.pots if not any(p.startswith(b + "/") for b in built)]
    found += _templates(root, tree, groups, used, notes)
    found += _without_template(root, groups, used, source_locale)
    docs, site_notes = found_docs(root, tree.sites)
    locales, left_out = _locales(found, source_locale)
    locales = tuple(sorted({*locales, *(x for d in docs for x in d.locales)} - {source_locale}))
    rules = _outside_cldr_rules(root, found, locales)
    notes += site_notes
    return Discovery(tuple(found), locales, left_out, tuple(notes), rules, tuple(docs))


_PLURAL_FORMS = re.compile(r'^"Plural-Forms:\s*(.*?)\\n"\s*$', re.M)


def _outside_cldr_rules(
    root: str | os.PathLike[str], found: Iterable[Found], locales: Iterable[str]
) -> tuple[tuple[str, str, str], ...]:
    """The first Plural-Forms header found on disk for each locale CLDR does not know."""
    out = []
    for code in (x for x in locales if not in_cldr(x)):
        for f in found:
            rel = f.path.replace("{locale}", code)
            match = _PLURAL_FORMS.search(_read(root, rel) or "") if "{name}" not in rel else None
            if match and "INTEGER" not in match.group(1):
                out.append((code, match.group(1).strip(), rel))
                break
    return tuple(out)


def _read(root: str | os.PathLike[str], rel: str) -> str | None:
    try:
        with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return None


def _exists(root: str | os.PathLike[str], rel: str) -> bool:
    return os.path.isfile(os.path.join(root, rel))


def _templates(
    root: str | os.PathLike[str], tree: Tree, groups: dict[Group, list[str]],
    used: set[Group], notes: list[str],
) -> list[Found]:  # fmt: skip
    """The .pot files on disk and the one Babel's settings name, each with its catalogues."""
    texts = {n: t for n in ("setup.cfg", "babel.cfg", "pyproject.toml") if (t := _read(root, n))}
    settings = babel_settings(texts)
    named, babel_group = babel_template(settings)
    pots = list(tree.pots)
    if named and named not in pots:
        if _exists(root, named):
            pots.insert(0, named)
        else:
            notes.append(
                f"Babel's settings name the template {named}, which does not exist yet: "
                "run `pybabel extract` (or `python setup.py extract_messages`) and `locflow init` "
                "again"
            )
    out = []
    for pot in pots:
        origin = "Babel extract_messages output_file" if pot == named else "template on disk"
        group = babel_group if pot == named and babel_group else _group_for(pot, groups, used)
        used.add(group)
        out.append(Found(pot, path_pattern(group), tuple(groups.get(group, ())), origin))
    return out


def _group_for(pot: str, groups: dict[Group, list[str]], used: set[Group]) -> Group:
    """The catalogues that go with a template: same domain, nearest folder (Babel puts them
    beside the .pot; GNU puts `<ll>.po` beside it); Babel's layout when there are none."""
    p = PurePosixPath(pot)
    folder = str(p.parent)
    gnu: Group = (folder, None)
    if gnu in groups and gnu not in used:
        return gnu
    candidates = [g for g in groups if g[1] == p.stem and g not in used]
    if candidates:
        return min(candidates, key=lambda g: (_distance(folder, g[0]), g[0]))
    return (folder, p.stem)


def _distance(a: str, b: str) -> int:
    pa, pb = PurePosixPath(a).parts, PurePosixPath(b).parts
    common = 0
    for x, y in zip(pa, pb, strict=False):
        if x != y:
            break
        common += 1
    return len(pa) + len(pb) - 2 * common


def _sphinx(
    root: str | os.PathLike[str], conf: str, groups: dict[Group, list[str]],
    used: set[Group], notes: list[str], built: list[str],
) -> list[Found]:  # fmt: skip
    """The catalogues of the Sphinx docs configured by `conf` (none if it is not Sphinx's or
    it sets no locale_dirs and has none of Sphinx's default `locales/`)."""
    folder = str(PurePosixPath(conf).parent)
    makes = [join(folder, "Makefile"), join(folder, "..", "Makefile")]
    sc = read_sphinx_conf(
        conf, _read(root, conf) or "", {m: t for m in makes if (t := _read(root, m))}
    )
    if sc is None:
        return []
    dirs = sc.locale_dirs or ("locales",)
    base = join(sc.folder, dirs[0])
    mine = {g: v for g, v in groups.items() if g[0] == base and g[1] is not None}
    if sc.locale_dirs is None and not mine:
        notes.append(f"{conf}: Sphinx docs with no locale_dirs; see the README's Sphinx section")
        return []
    used.update(mine)
    built.append(sc.gettext_dir)
    locales = tuple(sorted({loc for v in mine.values() for loc in v}))
    gd = sc.gettext_dir
    origin = (
        f"Sphinx {conf}: locale_dirs = {list(dirs)!r}, gettext_compact = {sc.gettext_compact!r}"
    )
    if len(dirs) > 1:
        notes.append(f"{conf}: locale_dirs lists {len(dirs)} folders; only {base} is used")
    pots = pots_under(root, gd)
    if pots and any("/" in p for p in pots):  # gettext_compact = False: one table each
        return [
            Found(join(gd, p + ".pot"), join(base, "{locale}", "LC_MESSAGES", p + ".po"),
                  locales, origin)
            for p in pots
        ]  # fmt: skip
    check: tuple[str, ...] = ()
    if not pots:
        check = (
            f"no templates in {gd} yet: build them with `sphinx-build -b gettext {sc.folder} "
            f"{gd}` before `locflow run` (until then this table matches nothing)",
        )
        if sc.gettext_compact is False:
            check += (
                "gettext_compact = False: documents in sub-folders get templates in "
                "sub-folders, which this glob does not reach; run `locflow init` again after "
                "the build to list each",
            )
    return [Found(join(gd, "*.pot"), path_pattern((base, "-"), True), locales, origin, check)]


def _without_template(
    root: str | os.PathLike[str], groups: dict[Group, list[str]], used: set[Group],
    source_locale: str,
) -> list[Found]:  # fmt: skip
    """Catalogues with no .pot (Django ships none). The source locale's catalogue (what
    `makemessages -l en` writes) serves as the template; failing that, the largest
    catalogue does, and its locale is left out of the targets: locflow would otherwise
    write translations into its own template (which a later export calls template drift)."""
    out: list[Found] = []
    picked: list[str] = []
    for group in sorted(g for g in groups if g not in used):
        locs = groups[group]
        pattern = path_pattern(group)
        source = [loc for loc in locs if _same_locale(loc, source_locale)]
        if source:
            tpl = pattern.format(locale=source[0])
            check = (f"no .pot: {tpl}, the source locale's catalogue, is the template",)
            out.append(Found(tpl, pattern, tuple(locs), _origin(group), check, (source[0],)))
            continue
        pick = max(  # the first of the largest, preferring one already a template
            locs, key=lambda loc: (loc in picked, _entries(root, pattern.format(locale=loc)))
        )
        picked.append(pick)
        tpl = pattern.format(locale=pick)
        check = (
            f"no .pot and no {source_locale} catalogue: {pick}'s catalogue {tpl} is the template "
            f"(its msgstrs are ignored), so {pick} is left out of the locales",
            "better: create the source catalogue (Django: `django-admin makemessages -l "
            f"{source_locale}`), make it the template and add {pick} to the locales",
        )
        out.append(Found(tpl, pattern, tuple(locs), _origin(group), check, (pick,)))
    return out


def _origin(group: Group) -> str:
    if group[1] is None:
        return "catalogues <ll>.po without a template"
    return "catalogues <ll>/LC_MESSAGES without a template (Django's layout)"


def _same_locale(raw: str, code: str) -> bool:
    try:
        return normalise_locale(raw) == code
    except UnknownLocale:
        return False


def _entries(root: str | os.PathLike[str], rel: str) -> int:
    text = _read(root, rel) or ""
    return sum(1 for line in text.splitlines() if line.startswith("msgid "))


def _locales(
    found: Iterable[Found], source_locale: str
) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """The target locales (normalised, sorted) and those left out, each with the reason."""
    found = list(found)
    excluded = {x for f in found for x in f.exclude}
    keep: set[str] = set()
    left: dict[str, str] = {}
    for raw in sorted({loc for f in found for loc in f.locales}):
        try:
            code = normalise_locale(raw)
        except UnknownLocale:
            left[raw] = "not a locale code: neither CLDR's nor shaped ll[l][_CC|_Ssss][@mod]"
            continue
        if raw in excluded:
            left[raw] = "its catalogue is a template"
        elif code == source_locale:
            left[raw] = "the source locale"
        elif code != raw:
            left[raw] = f"locflow spells it {code} and would write its catalogues elsewhere"
        else:
            keep.add(code)
    return tuple(sorted(keep)), tuple(left.items())
