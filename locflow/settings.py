"""One typed settings object from `locflow.toml` plus the environment.

Paths are relative to the file; the environment overrides the file; secrets (API keys) are
read only from the environment by the engines and never stored here.
"""

from __future__ import annotations

import glob
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from locflow.catalog.locales import UnknownLocale, normalise_locale

DEFAULT_CONFIG = "locflow.toml"


class ConfigError(ValueError):
    """A one-line configuration problem, naming the file."""


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
    extra: tuple[tuple[str, object], ...] = ()

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
    docs: tuple[Mapping[str, Any], ...] = ()
    glossaries: tuple[Path, ...] = ()
    schedules: tuple[Mapping[str, Any], ...] = ()
    ui: Mapping[str, Any] = field(default_factory=dict)

    def catalog_sources(self) -> list[CatalogSource]:
        out: list[CatalogSource] = []
        for spec in self.catalogs:
            pattern = str(self.root / spec.template)
            if glob.has_magic(spec.template):
                paths = sorted(Path(p) for p in glob.glob(pattern, recursive=True))
                if "{name}" not in spec.path:
                    raise ConfigError(
                        f"{self.file_label}: [[catalogs]] template {spec.template!r} is a glob, "
                        "so its path needs {name}"
                    )
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


_ALLOWED = {
    "project": {"name", "source_locale", "locales", "database"},
    "catalogs": {"template", "path"},
    "engine": {
        "name",
        "model",
        "region",
        "base_url",
        "domains",
        "rpm",
        "tpm",
        "concurrency",
        "pack",
        "timeout",
        "prices",
        "mode",
        "pack_size",
        "batch_size",
        "tm_examples",
        "server",
        "temperature",
        "max_input_tokens",
        "shared_limits",
    },
    "export": {"machine", "mo"},
    "docs": None,
    "glossaries": None,
    "schedules": None,
    "ui": None,
}


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
    env = os.environ if env is None else env
    label = str(file) if file else "(config)"
    for key, value in data.items():
        if key not in _ALLOWED:
            raise ConfigError(f"{label}: unknown section [{key}]")
        allowed = _ALLOWED[key]
        if allowed is None:
            continue
        tables = value if isinstance(value, list) else [value]
        for table in tables:
            if not isinstance(table, dict):
                raise ConfigError(f"{label}: [{key}] must be a table")
            for sub in table:
                if sub not in allowed:
                    raise ConfigError(f"{label}: unknown key {sub!r} in [{key}]")

    project = data.get("project", {})
    source_locale = _locale(label, project.get("source_locale", "en"))
    locales_raw = env.get("LOCFLOW_LOCALES")
    locales_value: Any = locales_raw.split(",") if locales_raw else project.get("locales", [])
    if not isinstance(locales_value, list):
        raise ConfigError(f"{label}: [project] locales must be a list of locale codes")
    locales = tuple(_locale(label, str(x).strip()) for x in locales_value if str(x).strip())

    db_url = (
        env.get("LOCFLOW_DATABASE_URL")
        or project.get("database")
        or ("sqlite:///" + str(root / ".locflow" / "locflow.db"))
    )
    if db_url.startswith("sqlite:///") and not db_url.startswith("sqlite:////"):
        rel = db_url.removeprefix("sqlite:///")
        if rel and rel != ":memory:":
            db_url = "sqlite:///" + str((root / rel).resolve())

    catalogs = []
    for i, table in enumerate(data.get("catalogs", [])):
        if "template" not in table or "path" not in table:
            raise ConfigError(f"{label}: [[catalogs]] #{i + 1} needs both template and path")
        if "{locale}" not in table["path"]:
            raise ConfigError(f"{label}: [[catalogs]] path {table['path']!r} needs {{locale}}")
        catalogs.append(CatalogSpec(template=table["template"], path=table["path"]))

    return Config(
        root=root,
        file=file,
        project=str(project.get("name") or root.name or "default"),
        source_locale=source_locale,
        locales=locales,
        database_url=db_url,
        catalogs=tuple(catalogs),
        engine=_engine(label, data.get("engine", {}), env),
        export=_export(label, data.get("export", {})),
        docs=tuple(data.get("docs", [])),
        glossaries=tuple(root / g["path"] for g in data.get("glossaries", []) if "path" in g),
        schedules=tuple(data.get("schedules", [])),
        ui=data.get("ui", {}),
    )


def _locale(label: str, code: str) -> str:
    try:
        return normalise_locale(code)
    except UnknownLocale as exc:
        raise ConfigError(f"{label}: {exc}") from None


def _engine(label: str, table: Mapping[str, Any], env: Mapping[str, str]) -> EngineSettings:
    merged = dict(table)
    for key in ("name", "model", "base_url", "region"):
        if env.get(f"LOCFLOW_ENGINE_{key.upper()}"):
            merged[key] = env[f"LOCFLOW_ENGINE_{key.upper()}"]
    known = {
        "name",
        "model",
        "base_url",
        "region",
        "domains",
        "rpm",
        "tpm",
        "concurrency",
        "pack",
        "timeout",
    }
    kwargs = {k: v for k, v in merged.items() if k in known}
    extra = tuple(sorted((k, v) for k, v in merged.items() if k not in known))
    try:
        return EngineSettings(**kwargs, extra=extra)
    except TypeError as exc:
        raise ConfigError(f"{label}: [engine] {exc}") from None


def _export(label: str, table: Mapping[str, Any]) -> ExportSettings:
    machine = table.get("machine", "fuzzy")
    if machine not in ("fuzzy", "omit"):
        raise ConfigError(f'{label}: [export] machine must be "fuzzy" or "omit", not {machine!r}')
    return ExportSettings(machine=machine, mo=bool(table.get("mo", True)))
