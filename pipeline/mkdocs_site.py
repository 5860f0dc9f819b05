"""MkDocs sites as they are: which `mkdocs.yml` holds a `[[docs]]` folder, the Markdown
dialect its `markdown_extensions` imply, its site name and nav titles, and the per-locale
`mkdocs.{locale}.yml` of translated texts. Pure: files in, values out (no DB, no Prefect).

A Zensical site (Material's successor) is configured by `zensical.toml`, whose `[project]`
table holds the same keys, its `markdown_extensions` TOML tables
(`[project.markdown_extensions.pymdownx.details]`); or by a `zensical.yml` shaped like
mkdocs.yml. It decides the dialect only: Zensical has no i18n plugin to read translated nav
titles, so its texts are not synced (`has_texts`).
"""

from __future__ import annotations

import math
import os
import posixpath
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from locflow.catalog.segment import Segment
from locflow.settings import ConfigError

SITE_FILES = (
    "mkdocs.yml", "mkdocs.yaml", "zensical.toml", "zensical.yml", "zensical.yaml",
)  # fmt: skip
"""In the order they are looked for in one folder. A `zensical.yml` is an mkdocs.yml
for Zensical (`zensical build -f zensical.yml`, as pymdown-extensions has it)."""
PYTHON_MARKDOWN = frozenset(
    {
        "abbr",
        "admonition",
        "attr_list",
        "codehilite",
        "def_list",
        "extra",
        "fenced_code",
        "footnotes",
        "legacy_attrs",
        "legacy_em",
        "md_in_html",
        "meta",
        "nl2br",
        "sane_lists",
        "smarty",
        "tables",
        "toc",
        "wikilinks",
    }
)
"""Python-Markdown's own extensions, as `markdown_extensions` names them (short or
`markdown.extensions.x`); with `pymdownx.*` and `material.extensions.*` they make a site's
Markdown Python-Markdown's (dialect "mkdocs"), which CommonMark reads differently."""
_PREFIXES = ("pymdownx.", "markdown.extensions.", "material.extensions.", "zensical.extensions.")
ZENSICAL_DEFAULTS = (
    "abbr", "admonition", "attr_list", "def_list", "footnotes", "md_in_html", "toc",
    "pymdownx.details", "pymdownx.superfences", "pymdownx.tabbed",
)  # fmt: skip
"""Some of what Zensical turns on when zensical.toml names no extensions (its "default
configuration"): enough to say the dialect is "mkdocs"."""
_NAMESPACES = frozenset(
    {"pymdownx", "markdown", "markdown.extensions", "material", "material.extensions"}
    | {"zensical", "zensical.extensions"}
)
"""Dotted-name prefixes that TOML splits into nested tables (`pymdownx.details` is
`{"pymdownx": {"details": {}}}`): a key below one of them is part of an extension's name."""


class MkDocsError(ConfigError):
    """A site's yml cannot be read: one line naming the file."""


@dataclass(frozen=True)
class MkDocsSite:
    file: str
    """The yml, relative to the config root (posix): the site source's name."""
    docs_dir: str
    """Relative to the config root (posix; "" is the root itself)."""
    extensions: tuple[str, ...] = ()
    site_name: str | None = None
    nav: tuple[str, ...] = ()
    """Every nav title, in nav order, each once."""

    @property
    def dialect(self) -> str:
        return "mkdocs" if any(is_python_markdown(x) for x in self.extensions) else "commonmark"

    @property
    def has_texts(self) -> bool:
        """An MkDocs yml: its name and nav titles go to `mkdocs.{locale}.yml` (Zensical has
        no plugin to read them)."""
        return posixpath.basename(self.file).startswith("mkdocs.")

    def holds(self, folder: str) -> bool:
        return self.docs_dir in ("", folder) or folder.startswith(self.docs_dir + "/")

    def output(self, locale: str) -> str:
        """`mkdocs.{locale}.yml` next to the yml (root-relative)."""
        return posixpath.join(posixpath.dirname(self.file), f"mkdocs.{locale}.yml")


def is_python_markdown(name: str) -> bool:
    return name in PYTHON_MARKDOWN or name.startswith(_PREFIXES)


def site_for(root: Path, base: str) -> MkDocsSite | None:
    """The site whose docs_dir holds the root-relative folder `base`; None without one."""
    parts = [p for p in base.split("/") if p]
    for n in range(len(parts), -1, -1):
        folder = "/".join(parts[:n])
        for name in SITE_FILES:
            path = root / folder / name
            if path.is_file():
                site = read_site(root, posixpath.join(folder, name))
                if site.holds("/".join(parts)):
                    return site
    return None


def read_site(root: Path, rel: str) -> MkDocsSite:
    """The site of the yml `rel` (root-relative); an MkDocsError when it cannot be read."""
    path = root / rel
    stat = path.stat()
    return _read_site(str(root), rel, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)
def _read_site(root: str, rel: str, _mtime: int, _size: int) -> MkDocsSite:
    """Cached by the file's mtime and size: discovery asks once per doc folder."""
    return parse_site(rel, (Path(root) / rel).read_bytes(), label=str(Path(root) / rel))


def parse_site(rel: str, data: bytes, *, label: str = "") -> MkDocsSite:
    """The site of yml bytes `data` stored as `rel` (export reads it back from the DB)."""
    label = label or rel
    doc = load_site_config(rel, data, label=label)
    docs_dir = doc.get("docs_dir") or "docs"
    if not isinstance(docs_dir, str):
        raise MkDocsError(f"{label}: docs_dir must be a string, not {docs_dir!r}")
    folder = posixpath.normpath(posixpath.join(posixpath.dirname(rel), docs_dir))
    site_name = doc.get("site_name")
    return MkDocsSite(
        file=rel,
        docs_dir="" if folder == "." else folder,
        extensions=tuple(_extension_names(doc.get("markdown_extensions"))),
        site_name=site_name if isinstance(site_name, str) and site_name.strip() else None,
        nav=tuple(dict.fromkeys(nav_titles(doc.get("nav")))),
    )


def load_site_config(rel: str, data: bytes, *, label: str = "") -> dict[str, Any]:
    """The site's settings as data: the yml's mapping, or zensical.toml's `[project]`."""
    label = label or rel
    doc = _load_toml(data, label) if rel.endswith(".toml") else _load_yaml(data, label)
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise MkDocsError(f"{label}: an MkDocs configuration must be a mapping")
    return doc


def _load_yaml(data: bytes, label: str) -> Any:
    try:
        return yaml.load(data.decode("utf-8"), Loader=_SiteLoader)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise MkDocsError(
            f"{label}: cannot read the MkDocs configuration: {_one_line(exc)}"
        ) from None


def _load_toml(data: bytes, label: str) -> Any:
    """zensical.toml's `[project]` table (the keys mkdocs.yml has at its top)."""
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MkDocsError(
            f"{label}: cannot read the Zensical configuration: {_one_line(exc)}"
        ) from None
    project = doc.get("project", {})
    if isinstance(project, dict) and "markdown_extensions" not in project:
        project = {**project, "markdown_extensions": list(ZENSICAL_DEFAULTS)}
    return project


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def _extension_names(value: Any) -> Iterator[str]:
    """Entries are names, or one-key mappings of a name to its options; in TOML, a table
    of names (nested below the dotted prefixes) to their options."""
    if isinstance(value, dict):
        yield from _table_names(value, "")
    for entry in value if isinstance(value, list) else ():
        if isinstance(entry, str):
            yield entry
        elif isinstance(entry, dict):
            yield from (k for k in entry if isinstance(k, str))


def _table_names(table: dict[str, Any], prefix: str) -> Iterator[str]:
    for key, options in table.items():
        name = prefix + key
        if name in _NAMESPACES and isinstance(options, dict):
            yield from _table_names(options, name + ".")
        else:
            yield name


def nav_titles(nav: Any) -> Iterator[str]:
    """The titles of a `nav`: `- Title: page.md`, `- Section: [...]`; a bare `- page.md`
    has no title of its own (MkDocs takes the page's heading, translated with the page)."""
    if isinstance(nav, list):
        for entry in nav:
            yield from nav_titles(entry)
    elif isinstance(nav, dict):
        for title, value in nav.items():
            if isinstance(title, str) and title.strip():
                yield title
            yield from nav_titles(value)


# --- the loader -----------------------------------------------------------------------------


class _SiteLoader(yaml.SafeLoader):
    """SafeLoader plus MkDocs' tags, each read as a placeholder (never acted on)."""


def _env(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """`!ENV VAR` → None; `!ENV [VAR, …, default]` → the default (the environment is not
    read: the site's texts are the yml's, not a machine's)."""
    if isinstance(node, yaml.SequenceNode) and len(node.value) > 1:
        last = node.value[-1]
        return loader.construct_object(last) if isinstance(last, yaml.ScalarNode) else None
    return None


def _placeholder(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> None:
    return None


_SiteLoader.add_constructor("!ENV", _env)
_SiteLoader.add_multi_constructor("tag:yaml.org,2002:python/", _placeholder)
_SiteLoader.add_multi_constructor("!", _placeholder)


# --- the translated texts -------------------------------------------------------------------


def site_texts_yaml(
    site: MkDocsSite, locale: str, site_name: str | None, nav: Mapping[str, str]
) -> str:
    """`mkdocs.{locale}.yml`: the site name and `nav_translations` (source title →
    translated title), the shape of an mkdocs-static-i18n `languages` entry."""
    body: dict[str, Any] = {}
    if site_name is not None:
        body["site_name"] = site_name
    body["nav_translations"] = dict(nav)
    name = os.path.basename(site.file)
    head = f"# {locale} texts of {name}, written by locflow (edit the translations, not this)\n"
    return head + yaml.safe_dump(
        body, allow_unicode=True, sort_keys=False, width=math.inf, default_flow_style=False
    )


def site_segments(site: MkDocsSite) -> list[Segment]:
    """The site name and nav titles as plain-text segments (a title used twice is one)."""
    roles: dict[str, list[str]] = {}
    if site.site_name:
        roles.setdefault(site.site_name, []).append("site_name")
    for title in site.nav:
        roles.setdefault(title, []).append("nav title")
    return [
        Segment(
            msgid=text,
            extracted_comments=f"MkDocs {' and '.join(kinds)} ({site.file})",
            meta=(("kind", "site_text"),),
        )
        for text, kinds in roles.items()
    ]
