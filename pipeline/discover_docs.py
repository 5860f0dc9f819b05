"""What `locflow init` finds of a project's docs: MkDocs and Zensical sites, the Markdown
folder each builds from, and where translated pages go.

The layout follows the site's mkdocs-static-i18n plugin when it has one (`docs_structure:
suffix` → `docs/{path_stem}.{locale}.md`; `folder` → `docs/{locale}/{path}`, its target
languages the locales); without the plugin, translated pages go to a separate tree
(`build/<docs_dir>/{locale}/{path}`), which no site build reads by accident. Pure file
reading: the site's config is read as data (pipeline/mkdocs_site), nothing is executed.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from locflow.catalog.locales import UnknownLocale, normalise_locale
from locflow.pipeline.mkdocs_site import MkDocsError, load_site_config, parse_site


@dataclass(frozen=True)
class FoundDocs:
    """One `[[docs]]` table to write, with what it was found from."""

    include: str
    output: str
    origin: str
    locales: tuple[str, ...] = ()
    """Target locales the site's i18n plugin names (normalised)."""
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "include": self.include,
            "output": self.output,
            "origin": self.origin,
            "locales": list(self.locales),
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class I18nPlugin:
    """mkdocs-static-i18n's settings: its `docs_structure` and languages."""

    structure: str
    default: str | None
    languages: tuple[str, ...]
    """Every `locale` it lists, the default included, as written."""


def found_docs(
    root: str | os.PathLike[str], site_files: Iterable[str]
) -> tuple[list[FoundDocs], list[str]]:
    """A `[[docs]]` table for each site whose docs folder holds Markdown pages, and a note
    for each site config that cannot be read (it is left out)."""
    out: list[FoundDocs] = []
    notes: list[str] = []
    for rel in site_files:
        try:
            found = _site_docs(root, rel)
        except MkDocsError as exc:
            notes.append(f"{exc}: its docs are left out")
            continue
        if found is not None and found.include not in {f.include for f in out}:
            out.append(found)
    return out, notes


def _site_docs(root: str | os.PathLike[str], rel: str) -> FoundDocs | None:
    data = _read_bytes(root, rel)
    if data is None:
        return None
    site = parse_site(rel, data)
    docs = site.docs_dir
    if docs == ".." or docs.startswith("../") or not _has_pages(root, docs):
        return None  # no pages, or outside the project (where init writes locflow.toml)
    kind = "Zensical" if posixpath.basename(rel).startswith("zensical.") else "MkDocs"
    origin = f"{kind} site {rel} (dialect {site.dialect})"
    plugin = i18n_plugin(load_site_config(rel, data))
    if plugin is None:
        tree = posixpath.join("build", docs or "docs")
        note = (
            f"translated pages go to {tree}/<locale>/: point `output` where your site "
            "build reads them (README: output layouts of the MkDocs i18n plugins)"
        )
        return FoundDocs(_include(docs), f"{tree}/{{locale}}/{{path}}", origin, (), (note,))
    locales, notes = _plugin_locales(plugin)
    origin += f", mkdocs-static-i18n docs_structure: {plugin.structure}"
    if plugin.structure == "folder":
        base = posixpath.join(docs, plugin.default) if plugin.default else docs
        if not (plugin.default and _has_pages(root, base)):
            base = docs  # the default language's pages outside any locale folder
        output = _join(docs, "{locale}/{path}")
        return FoundDocs(_include(base), output, origin, locales, tuple(notes))
    output = _join(docs, "{path_stem}.{locale}.md")
    return FoundDocs(_include(docs), output, origin, locales, tuple(notes))


def i18n_plugin(config: dict[str, Any]) -> I18nPlugin | None:
    """The `i18n` entry of a site's `plugins`; None without one."""
    for name, options in _plugin_entries(config.get("plugins")):
        if name == "i18n":
            return _plugin(options if isinstance(options, dict) else {})
    return None


def _plugin_entries(plugins: Any) -> Iterator[tuple[Any, Any]]:
    """(name, options) of each plugin: a yml list of names or one-key mappings, or a TOML
    table of names."""
    if isinstance(plugins, dict):
        yield from plugins.items()
        return
    for entry in plugins if isinstance(plugins, list) else ():
        if isinstance(entry, dict) and entry:
            yield next(iter(entry.items()))
        else:
            yield entry, {}


def _plugin(options: dict[str, Any]) -> I18nPlugin:
    structure = options.get("docs_structure")
    languages = [x for x in options.get("languages") or () if isinstance(x, dict)]
    codes = tuple(str(x["locale"]) for x in languages if x.get("locale"))
    default = next((str(x["locale"]) for x in languages if x.get("default")), None)
    return I18nPlugin(structure if structure in ("folder", "suffix") else "suffix", default, codes)


def _plugin_locales(plugin: I18nPlugin) -> tuple[tuple[str, ...], list[str]]:
    locales, notes = [], []
    for raw in plugin.languages:
        if raw == plugin.default:
            continue
        try:
            code = normalise_locale(raw.replace("-", "_"))
        except UnknownLocale:
            notes.append(f"mkdocs-static-i18n language {raw!r} is no locale code: left out")
            continue
        if code != raw:
            notes.append(
                f"mkdocs-static-i18n spells {code} as {raw!r}: locflow writes {code} in "
                "`output` paths; rename the plugin's locale or the files"
            )
        locales.append(code)
    return tuple(locales), notes


def _include(folder: str) -> str:
    return _join(folder, "**/*.md")


def _join(folder: str, rest: str) -> str:
    return f"{folder}/{rest}" if folder else rest


def _has_pages(root: str | os.PathLike[str], folder: str) -> bool:
    top = os.path.join(root, folder)
    for _here, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        if any(f.endswith(".md") for f in files):
            return True
    return False


def _read_bytes(root: str | os.PathLike[str], rel: str) -> bytes | None:
    try:
        with open(os.path.join(root, rel), "rb") as f:
            return f.read()
    except OSError:
        return None
