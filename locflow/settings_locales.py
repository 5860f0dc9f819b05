"""The `[locales.X]` tables of locflow.toml: per-locale options, keyed by a configured locale.

    [locales.de]
    engine = false    # synced and exported, never sent to the engine: left to translators

`locflow.settings` calls `parse_locale_options` and re-exports `LocaleOptions`; it lives here
to keep that module short. Later options (a display `name`, `plural_forms`) join the same
dataclass and the same KINDS table.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from locflow.catalog.locales import UnknownLocale, normalise_locale


@dataclass(frozen=True)
class LocaleOptions:
    """One `[locales.X]` table; every option defaults to what a locale without one gets."""

    engine: bool = True
    """False: the locale's strings and blocks are never sent to the engine (memory matches
    still apply); what stays untranslated is left to translators, not a failed run."""


KINDS: dict[str, tuple[type, str]] = {"engine": (bool, "true or false")}
"""Each key of a `[locales.X]` table: its type and how an error names it."""


Errors = tuple[type[Exception], type[Exception]]
"""The exceptions to raise: (a bad value, an unknown key). settings passes its ConfigError
and UnknownSetting (this module sits below it and cannot import them)."""


def parse_locale_options(
    label: str, data: Mapping[str, Any], locales: Collection[str], errors: Errors
) -> dict[str, LocaleOptions]:
    """The `[locales]` section of the parsed file `data` (named `label`), by normalised
    locale code. Each key must be a configured locale (`locales`, or [project] locales when
    LOCFLOW_LOCALES narrows them), each value a table of known keys."""
    section = data.get("locales", {})
    bad = errors[0]
    if not isinstance(section, Mapping):
        raise bad(f"{label}: [locales] must hold tables like [locales.de]")
    configured = {*locales, *_listed(data)}
    out: dict[str, LocaleOptions] = {}
    for code, table in section.items():
        where = f"{label}: [locales.{code}]"
        try:
            locale = normalise_locale(str(code))
        except UnknownLocale as exc:
            raise bad(f"{where}: {exc}") from None
        if locale not in configured:
            known = ", ".join(sorted(configured)) or "none"
            raise bad(f"{where}: {locale!r} is not configured ([project] locales: {known})")
        out[locale] = _options(where, table, errors)
    return out


def _listed(data: Mapping[str, Any]) -> set[str]:
    """The locales [project] lists (LOCFLOW_LOCALES may have replaced them for this run)."""
    project = data.get("project", {})
    listed = project.get("locales", []) if isinstance(project, Mapping) else []
    out = set()
    for code in listed if isinstance(listed, list) else []:
        try:
            out.add(normalise_locale(str(code)))
        except UnknownLocale:
            continue
    return out


def _options(where: str, table: Any, errors: Errors) -> LocaleOptions:
    bad, unknown = errors
    if not isinstance(table, Mapping):
        raise bad(f"{where} must be a table")
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in KINDS:
            close = difflib.get_close_matches(key, sorted(KINDS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise unknown(f"{where}: unknown key {key!r}{hint}")
        kind, name = KINDS[key]
        if not isinstance(value, kind):
            raise bad(f"{where}: {key} must be {name}, not {value!r}")
        values[key] = value
    return LocaleOptions(**values)
