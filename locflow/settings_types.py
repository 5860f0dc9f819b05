"""The typed tables of locflow.toml: one frozen dataclass per table.

`locflow.settings` builds and re-exports them (import them from there: it is the one entry
point); they live here only to keep that module short. Stdlib only.
"""

from __future__ import annotations

import glob
import os
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

DEFAULT_FRONT_MATTER = ("title", "description")
DIALECTS = ("commonmark", "mkdocs")
"""`[[docs]] dialect` values: connectors.markdown_parse.DIALECTS (a test keeps them equal)."""
OUTPUT_FIELDS = ("locale", "path", "path_stem")
"""The placeholders of `[[docs]] output`."""


@dataclass(frozen=True)
class Prices:
    """USD per million tokens."""

    input_per_million: float = 0.0
    output_per_million: float = 0.0

    def cost(self, tokens_in: int, tokens_out: int) -> float:
        return (tokens_in * self.input_per_million + tokens_out * self.output_per_million) / 1e6


@dataclass(frozen=True)
class EngineSettings:
    """The `[engine]` table of locflow.toml; secrets never live here (environment only)."""

    name: str = "pseudo"
    model: str = ""
    base_url: str | None = None
    region: str = "singapore"
    domains: str = ""
    rpm: float | None = None
    tpm: float | None = None
    concurrency: int | None = None
    """In-flight requests; None lets each engine choose (Qwen-MT 4, local servers 1)."""
    pack: bool = True
    timeout: float = 60.0
    retries: int | None = None
    """Retries of a transient or throttled request; None: the engine's default (7)."""
    prices: Prices | None = None
    """`prices = { input = …, output = … }`; None: the engine's list price (pipeline.cost)."""
    shared_limits: bool | None = None
    """Rate limits shared through Prefect: on, off, or None (on in a fan-out's children)."""
    adaptive: bool = True
    """Pack sizes adapt per target locale (AIMD); false: every pack may hold `pack_size`."""
    extra: tuple[tuple[str, object], ...] = ()
    """Engine-specific keys (settings.ENGINE_OPTIONS), checked by the engine that reads them."""

    def option(self, key: str, default: object = None) -> object:
        """A value from `extra`, engine-specific settings without a field of their own."""
        return next((value for k, value in self.extra if k == key), default)


@dataclass(frozen=True)
class CatalogSpec:
    template: str
    """A .pot (or a .po whose msgstrs are empty); may be a glob."""
    path: str
    """Where each locale's catalogue lives: `{locale}` and, for globs, `{name}` (template stem)."""


@dataclass(frozen=True)
class CatalogSource:
    """One expanded template and where its catalogues go."""

    name: str  # template path relative to the project root, used as the source's identity
    template: Path
    path_pattern: str
    root: Path

    def catalog_path(self, locale: str) -> Path:
        rel = self.path_pattern.format(locale=locale, name=self.template.stem)
        return self.root / rel

    def relative_catalog_path(self, locale: str) -> str:
        return os.path.relpath(self.catalog_path(locale), self.root)


@dataclass(frozen=True)
class ExportSettings:
    machine: Literal["fuzzy", "omit"] = "fuzzy"
    mo: bool = True
    charset: Literal["keep", "utf-8"] = "keep"
    """"keep": a catalogue is written in the charset it was read in (text it cannot hold is
    flagged and left out); "utf-8": legacy catalogues are converted to UTF-8 on export."""


@dataclass(frozen=True)
class DocsSpec:
    """One `[[docs]]` table: Markdown files taken as sources, and where translations go."""

    include: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    output: str = ""
    """A path with `{locale}` and `{path}` (relative to the include's base folder) or
    `{path_stem}` (the same without its extension: `docs/{path_stem}.{locale}.md`)."""
    front_matter: tuple[str, ...] = DEFAULT_FRONT_MATTER
    dialect: str | None = None
    """"commonmark" | "mkdocs"; None: decided by the MkDocs site holding the docs
    (pipeline/mkdocs_site.py), CommonMark without one."""
    include_hidden: bool = False
    """Whether `*` and `**` also walk into hidden files and folders (a pattern naming one,
    `docs/.snippets/*.md`, takes it anyway)."""

    def base_of(self, name: str) -> str | None:
        """The base folder of the first include that matches `name` (a root-relative posix
        path) and no exclude does; None when the spec does not take it."""
        if any(glob_regex(x).fullmatch(name) for x in self.exclude):
            return None
        return next((base_folder(i) for i in self.include if glob_regex(i).fullmatch(name)), None)

    def output_for(self, name: str, base: str, locale: str) -> str:
        rel = name[len(base) + 1 :] if base else name
        stem = posixpath.splitext(rel)[0]
        out = self.output.format(locale=locale, path=rel, path_stem=stem)
        return os.path.normpath(out).replace(os.sep, "/")

    def output_regex(self, locales: tuple[str, ...] | list[str]) -> re.Pattern[str]:
        """Every path this spec may write for these locales, whether its source still exists
        or not (`docs/old.fr.md` after `docs/old.md` was deleted): such files are outputs,
        never sources."""
        template = posixpath.normpath(self.output.replace(os.sep, "/"))
        any_locale = "(?:" + "|".join(re.escape(x) for x in locales) + ")" if locales else "(?!)"
        parts = {"locale": any_locale, "path": ".+", "path_stem": ".+"}
        out, pos = [], 0
        for m in re.finditer(r"\{(locale|path_stem|path)\}", template):
            out += [re.escape(template[pos : m.start()]), parts[m.group(1)]]
            pos = m.end()
        out.append(re.escape(template[pos:]))
        return re.compile("".join(out).removeprefix("\\./"))


@dataclass(frozen=True)
class ScheduleSpec:
    """One `[[schedules]]` table: a deployment of a flow on a cron schedule."""

    name: str
    flow: str
    cron: str
    timezone: str = "UTC"
    parameters: Mapping[str, Any] = field(default_factory=dict)
    """The flow's own parameters, passed through as written."""
    description: str = ""


@dataclass(frozen=True)
class UiSettings:
    """The `[ui]` table: where `locflow ui` listens unless --host/--port say otherwise, and
    how it sits behind a proxy."""

    host: str = "127.0.0.1"
    port: int = 8765
    secure_cookies: bool = False
    """Cookies get `Secure` and pages `Strict-Transport-Security`: set it when a proxy in
    front terminates TLS (the UI itself speaks plain HTTP)."""
    trusted_proxies: tuple[str, ...] = ()
    """Networks (`"10.0.0.0/8"`) whose `X-Forwarded-For` is believed, for sign-in throttling."""
    max_body_bytes: int = 1024 * 1024
    """A larger request body is refused (413) before it is read."""


def base_folder(pattern: str) -> str:
    """The folders of `pattern` before its first glob character (a plain path: its folder)."""
    parts = pattern.replace("\\", "/").split("/")
    fixed = []
    for part in parts[:-1]:
        if glob.has_magic(part):
            break
        fixed.append(part)
    return "/".join(p for p in fixed if p not in ("", "."))


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A root-relative glob as a regex: `**` spans folders, `*` and `?` do not."""
    out, i, n = [], 0, len(pattern)
    while i < n:
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[" and (j := pattern.find("]", i + 2)) > 0:
            inner = pattern[i + 1 : j]
            out.append("[" + ("^" + inner[1:] if inner[:1] == "!" else inner) + "]")
            i = j + 1
            continue
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out).removeprefix("\\./"))
