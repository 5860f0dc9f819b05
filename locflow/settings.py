"""One typed settings object from `locflow.toml` plus the environment.

Every table is parsed and checked here, when the file is loaded: an unknown section or key,
or a value of the wrong kind, is a one-line ConfigError naming the file, the table and the
key. Paths are relative to the file; the environment overrides the file; secrets (API keys)
are read only from the environment by the engines and never stored here. The typed tables
themselves live in `settings_types` (re-exported here: import them from this module).
"""

from __future__ import annotations

import difflib
import glob
import ipaddress
import os
import tomllib
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from locflow.database_url import PASSWORD_ENV, database_url_problem, redacted, with_password
from locflow.settings_docs import parse_docs
from locflow.settings_locales import (
    LocaleOptions,
    outside_cldr,
    parse_locale,
    parse_locale_options,
    parse_locales,
    use_locale_options,
)
from locflow.settings_review import REVIEW_KEYS, ReviewSettings, parse_review
from locflow.settings_schedules import SCHEDULE_FLOWS as SCHEDULE_FLOWS
from locflow.settings_schedules import parse_schedules
from locflow.settings_types import (
    CatalogSource,
    CatalogSpec,
    DocsSpec,
    EngineSettings,
    ExportSettings,
    Prices,
    ScheduleSpec,
    UiSettings,
)

DEFAULT_CONFIG = "locflow.toml"
ENGINE_NAMES = ("pseudo", "qwen_mt", "openai_compat")
"""`[engine] name` values: the keys of connectors/engines/registry.ENGINES (a test keeps the
two equal; settings may not import the engines)."""
ENGINE_OPTIONS = (
    "mode",
    "pack_size",
    "batch_size",
    "pack_tokens",
    "tm_examples",
    "server",
    "temperature",
    "max_input_tokens",
)
"""Engine-specific `[engine]` keys: kept in EngineSettings.extra, checked by the engine."""
ENGINE_ENV = ("name", "model", "base_url", "region")
"""`[engine]` keys the environment overrides: LOCFLOW_ENGINE_NAME, …"""

_KINDS: dict[str, tuple[type, ...]] = {
    "a string": (str,),
    "a number": (int, float),
    "a whole number": (int,),
    "true or false": (bool,),
}
_ENGINE_KINDS = {
    "name": "a string",
    "model": "a string",
    "base_url": "a string",
    "region": "a string",
    "domains": "a string",
    "rpm": "a number",
    "tpm": "a number",
    "concurrency": "a whole number",
    "pack": "true or false",
    "timeout": "a number",
    "retries": "a whole number",
    "shared_limits": "true or false",
    "adaptive": "true or false",
}
_UI_KINDS = {
    "host": "a string",
    "port": "a whole number",
    "secure_cookies": "true or false",
    "max_body_bytes": "a whole number",
}


class ConfigError(ValueError):
    """A one-line configuration problem, naming the file."""


class UnknownSetting(ConfigError):
    """An unknown section, key or engine name (a typo): the CLI exits 2, as for bad usage."""


@dataclass(frozen=True)
class Config:
    root: Path
    file: Path | None
    project: str
    source_locale: str
    locales: tuple[str, ...]
    database_url: str
    catalogs: tuple[CatalogSpec, ...] = ()
    engine: EngineSettings = field(default_factory=EngineSettings)
    export: ExportSettings = field(default_factory=ExportSettings)
    docs: tuple[DocsSpec, ...] = ()
    glossaries: tuple[Path, ...] = ()
    schedules: tuple[ScheduleSpec, ...] = ()
    ui: UiSettings = field(default_factory=UiSettings)
    review: ReviewSettings = field(default_factory=ReviewSettings)
    locale_options: Mapping[str, LocaleOptions] = field(default_factory=dict)
    """The `[locales.X]` tables by locale (settings_locales); read them with `options_for`."""
    warnings: tuple[str, ...] = ()
    """One-line warnings the CLI prints once (e.g. locales outside CLDR, kept as written)."""

    def options_for(self, locale: str) -> LocaleOptions:
        return self.locale_options.get(locale) or LocaleOptions()

    def catalog_sources(self) -> list[CatalogSource]:
        out: list[CatalogSource] = []
        for spec in self.catalogs:
            pattern = str(self.root / spec.template)
            if glob.has_magic(spec.template):
                paths = sorted(Path(p) for p in glob.glob(pattern, recursive=True))
            else:
                paths = [Path(pattern)]
            for p in paths:
                out.append(
                    CatalogSource(
                        name=os.path.relpath(p, self.root),
                        template=p,
                        path_pattern=spec.path,
                        root=self.root,
                    )
                )
        return out

    @property
    def file_label(self) -> str:
        return str(self.file) if self.file else "(defaults)"


def _keys(table: type) -> frozenset[str]:
    return frozenset(f.name for f in fields(table))


TABLES: dict[str, tuple[bool, frozenset[str]]] = {
    "project": (False, frozenset({"name", "source_locale", "locales", "database"})),
    "catalogs": (True, _keys(CatalogSpec)),
    "engine": (False, frozenset({*_ENGINE_KINDS, "prices", *ENGINE_OPTIONS})),
    "export": (False, _keys(ExportSettings)),
    "docs": (True, _keys(DocsSpec)),
    "glossaries": (True, frozenset({"path"})),
    "schedules": (True, _keys(ScheduleSpec)),
    "ui": (False, _keys(UiSettings)),
    "review": (False, REVIEW_KEYS),
    "locales": (False, frozenset()),  # keyed by locale: settings_locales checks it
}
"""Each section of locflow.toml: (is it an array of tables, its keys)."""


def load_config(
    path: str | os.PathLike[str] | None = None, *, env: Mapping[str, str] | None = None
) -> Config:
    """Read `path` (default ./locflow.toml) and apply environment overrides."""
    env = os.environ if env is None else env
    file = Path(path or env.get("LOCFLOW_CONFIG") or DEFAULT_CONFIG).resolve()
    if not file.exists():
        raise ConfigError(f"{file}: configuration file not found (create one or pass --config)")
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: invalid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{file}: not valid UTF-8") from None
    return config_from_mapping(data, root=file.parent, file=file, env=env)


def config_from_mapping(
    data: Mapping[str, Any],
    *,
    root: Path,
    file: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Config:
    """The Config of `data` (a parsed locflow.toml); `file` names it in errors."""
    env = os.environ if env is None else env
    label = str(file) if file else "(config)"
    _check_tables(label, data)
    project = data.get("project", {})
    where = f"{label}: [project]"
    source = _typed(where, "source_locale", project.get("source_locale", "en"), "a string")
    locales = parse_locales(label, project, env, ConfigError)
    options = parse_locale_options(label, data, locales, (ConfigError, UnknownSetting))
    use_locale_options(options)
    return Config(
        root=root,
        file=file,
        project=str(project.get("name") or root.name or "default"),
        source_locale=parse_locale(label, source, ConfigError),
        locales=locales,
        database_url=_database_url(where, project, root, env),
        catalogs=tuple(_catalog(w, t) for w, t in _numbered(label, data, "catalogs")),
        engine=_engine(f"{label}: [engine]", data.get("engine", {}), env),
        export=_export(f"{label}: [export]", data.get("export", {})),
        docs=tuple(_docs(w, t) for w, t in _numbered(label, data, "docs")),
        glossaries=tuple(_glossary(w, t, root) for w, t in _numbered(label, data, "glossaries")),
        schedules=parse_schedules(_numbered(label, data, "schedules"), ConfigError),
        ui=_ui(f"{label}: [ui]", data.get("ui", {})),
        review=parse_review(f"{label}: [review]", data.get("review", {}), ConfigError),
        locale_options=options,
        warnings=outside_cldr(label, locales),
    )


# --- shape and keys ---------------------------------------------------------------------------


def _check_tables(label: str, data: Mapping[str, Any]) -> None:
    """Every section known and shaped as a table (or an array of them), every key known."""
    for section, value in data.items():
        if section not in TABLES:
            hint = _hint(section, TABLES, "[{}]")
            raise UnknownSetting(f"{label}: unknown section [{section}]{hint}")
        many, keys = TABLES[section]
        if section == "locales":
            continue
        if not many:
            if not isinstance(value, dict):
                raise ConfigError(f"{label}: [{section}] must be a table")
            _check_keys(f"{label}: [{section}]", value, keys)
            continue
        if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
            raise ConfigError(
                f"{label}: [{section}] must be written [[{section}]] (an array of tables)"
            )
        for i, table in enumerate(value, start=1):
            _check_keys(f"{label}: [[{section}]] #{i}", table, keys)


def _check_keys(where: str, table: Mapping[str, Any], keys: Collection[str]) -> None:
    for key in table:
        if key not in keys:
            raise UnknownSetting(f"{where}: unknown key {key!r}{_hint(key, keys)}")


def _hint(word: str, choices: Collection[str], shape: str = "{!r}") -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1)
    return f" (did you mean {shape.format(close[0])}?)" if close else ""


def _numbered(
    label: str, data: Mapping[str, Any], section: str
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """The tables of an array section, each with its place for messages."""
    for i, table in enumerate(data.get(section, []), start=1):
        yield f"{label}: [[{section}]] #{i}", table


def _typed(where: str, key: str, value: Any, kind: str) -> Any:
    """`value` when it is of `kind` ("a string", "a number", …); true/false is no number."""
    kinds = _KINDS[kind]
    if isinstance(value, bool) != (bool in kinds) or not isinstance(value, kinds):
        raise ConfigError(f"{where}: {key} must be {kind}, not {value!r}")
    return value


def _strings(where: str, key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: {key} must be a list of strings")
    return tuple(value)


# --- the tables -------------------------------------------------------------------------------


def _database_url(
    where: str, project: Mapping[str, Any], root: Path, env: Mapping[str, str]
) -> str:
    """LOCFLOW_DATABASE_URL, else `database`, else .locflow/locflow.db; relative SQLite paths
    are relative to the config file. A URL with a user and no password takes the password
    from LOCFLOW_DATABASE_PASSWORD (how fan-out workers get it: see database_url)."""
    url = (
        env.get("LOCFLOW_DATABASE_URL")
        or _typed(where, "database", project.get("database", ""), "a string")
        or ("sqlite:///" + str(root / ".locflow" / "locflow.db"))
    )
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        rel = url.removeprefix("sqlite:///")
        if rel and rel != ":memory:":
            url = "sqlite:///" + str((root / rel).resolve())
    url = with_password(str(url), env.get(PASSWORD_ENV))
    problem = database_url_problem(str(url), root)
    if problem:
        source = "LOCFLOW_DATABASE_URL" if env.get("LOCFLOW_DATABASE_URL") else "database"
        raise ConfigError(f"{where}: {source} {redacted(str(url))}: {problem}")
    return str(url)


def _catalog(where: str, table: Mapping[str, Any]) -> CatalogSpec:
    if "template" not in table or "path" not in table:
        raise ConfigError(f"{where}: needs both template and path")
    template = _typed(where, "template", table["template"], "a string")
    path = _typed(where, "path", table["path"], "a string")
    if "{locale}" not in path:
        raise ConfigError(f"{where}: path {path!r} needs {{locale}}")
    if glob.has_magic(template) and "{name}" not in path:
        raise ConfigError(f"{where}: template {template!r} is a glob, so its path needs {{name}}")
    return CatalogSpec(template=template, path=path)


def _engine(where: str, table: Mapping[str, Any], env: Mapping[str, str]) -> EngineSettings:
    merged = dict(table)
    for key in ENGINE_ENV:
        if env.get(f"LOCFLOW_ENGINE_{key.upper()}"):
            merged[key] = env[f"LOCFLOW_ENGINE_{key.upper()}"]
    typed = {
        k: _typed(where, k, v, _ENGINE_KINDS[k]) for k, v in merged.items() if k in _ENGINE_KINDS
    }
    name = typed.get("name", "pseudo")
    if name not in ENGINE_NAMES:
        source = " (from LOCFLOW_ENGINE_NAME)" if env.get("LOCFLOW_ENGINE_NAME") else ""
        known = ", ".join(sorted(ENGINE_NAMES))
        raise UnknownSetting(f"{where}: unknown engine {name!r}{source}; known engines: {known}")
    return EngineSettings(
        **typed,
        prices=_prices(f"{where} prices", merged["prices"]) if "prices" in merged else None,
        extra=tuple(sorted((k, v) for k, v in merged.items() if k in ENGINE_OPTIONS)),
    )


def _prices(where: str, value: Any) -> Prices:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: must be a table like {{ input = 0.16, output = 0.49 }}")
    _check_keys(where, value, ("input", "output"))
    per_million = (_typed(where, k, value.get(k, 0), "a number") for k in ("input", "output"))
    return Prices(*(float(x) for x in per_million))


def _export(where: str, table: Mapping[str, Any]) -> ExportSettings:
    machine = table.get("machine", "fuzzy")
    if machine not in ("fuzzy", "omit"):
        raise ConfigError(f'{where} machine must be "fuzzy" or "omit", not {machine!r}')
    charset = table.get("charset", "keep")
    if isinstance(charset, str) and charset.lower() in ("utf-8", "utf8"):
        charset = "utf-8"
    if charset not in ("keep", "utf-8"):
        raise ConfigError(f'{where} charset must be "keep" or "utf-8", not {charset!r}')
    return ExportSettings(
        machine=machine,
        mo=_typed(where, "mo", table.get("mo", True), "true or false"),
        charset=charset,
    )


def _docs(where: str, table: Mapping[str, Any]) -> DocsSpec:
    return parse_docs(where, table, ConfigError)


def _glossary(where: str, table: Mapping[str, Any], root: Path) -> Path:
    if "path" not in table:
        raise ConfigError(f"{where}: needs path")
    return root / _typed(where, "path", table["path"], "a string")


def _ui(where: str, table: Mapping[str, Any]) -> UiSettings:
    values = {k: _typed(where, k, v, _UI_KINDS[k]) for k, v in table.items() if k in _UI_KINDS}
    if values.get("max_body_bytes", 1024) < 1024:
        raise ConfigError(f"{where}: max_body_bytes must be at least 1024")
    proxies = table.get("trusted_proxies", [])
    if not isinstance(proxies, list) or not all(isinstance(p, str) for p in proxies):
        raise ConfigError(f"{where}: trusted_proxies must be a list of strings, not {proxies!r}")
    try:
        networks = tuple(str(ipaddress.ip_network(p.strip(), strict=False)) for p in proxies)
    except ValueError as exc:
        raise ConfigError(f"{where}: trusted_proxies: {exc}") from None
    return UiSettings(**values, trusted_proxies=networks)
