"""Locale codes in locflow.toml, and the `[locales.X]` tables: per-locale options, keyed by a
configured locale.

    [locales.de]
    engine = false    # synced and exported, never sent to the engine: left to translators

    [locales.udm]     # outside CLDR: kept as written, with a one-line warning
    name = "Udmurt"   # the language name the engine is given
    plural_forms = "nplurals=1; plural=0;"   # when its catalogue has no Plural-Forms

`locflow.settings` calls `parse_locales` and `parse_locale_options` and re-exports
`LocaleOptions`; they live here to keep that module short.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from locflow.catalog.locales import UnknownLocale, in_cldr, normalise_locale, use_names
from locflow.catalog.plurals import plural_info, use_plural_rules


@dataclass(frozen=True)
class LocaleOptions:
    """One `[locales.X]` table; every option defaults to what a locale without one gets."""

    engine: bool = True
    """False: the locale's strings and blocks are never sent to the engine (memory matches
    still apply); what stays untranslated is left to translators, not a failed run."""
    name: str | None = None
    """The English language name engines are given (Qwen-MT's target_lang, the prompt of
    openai_compat); needed for a code outside CLDR, else Babel's name."""
    plural_forms: str | None = None
    """`nplurals=N; plural=EXPR;`: the rule where the catalogue has no Plural-Forms header
    (it comes before CLDR's; a catalogue's own header comes first)."""


KINDS: dict[str, tuple[type, str]] = {
    "engine": (bool, "true or false"),
    "name": (str, "a string"),
    "plural_forms": (str, 'a string like "nplurals=2; plural=(n != 1);"'),
}
"""Each key of a `[locales.X]` table: its type and how an error names it."""


Errors = tuple[type[Exception], type[Exception]]
"""The exceptions to raise: (a bad value, an unknown key). settings passes its ConfigError
and UnknownSetting (this module sits below it and cannot import them)."""


def parse_locale(label: str, code: str, bad: type[Exception]) -> str:
    try:
        return normalise_locale(code)
    except UnknownLocale as exc:
        raise bad(f"{label}: {exc}") from None


def parse_locales(
    label: str, project: Mapping[str, Any], env: Mapping[str, str], bad: type[Exception]
) -> tuple[str, ...]:
    """[project] locales (LOCFLOW_LOCALES replaces them), normalised."""
    raw = env.get("LOCFLOW_LOCALES")
    value: Any = raw.split(",") if raw else project.get("locales", [])
    if not isinstance(value, list):
        raise bad(f"{label}: [project] locales must be a list of locale codes")
    return tuple(parse_locale(label, str(x).strip(), bad) for x in value if str(x).strip())


def outside_cldr(label: str, locales: Collection[str]) -> tuple[str, ...]:
    """The one-line warning for the configured codes CLDR does not know (none: none)."""
    unknown = [code for code in locales if not in_cldr(code)]
    if not unknown:
        return ()
    return (
        f"{label}: locales outside CLDR, kept as written: {', '.join(unknown)} (plural rule "
        "from each catalogue's Plural-Forms, else [locales.X] plural_forms; engine language "
        "name from [locales.X] name)",
    )


def use_locale_options(options: Mapping[str, LocaleOptions]) -> None:
    """Give the catalog layer the configured names and plural rules (see catalog.locales
    and catalog.plurals): every caller of `plural_info` and `english_name` sees them."""
    use_names({k: o.name for k, o in options.items() if o.name})
    use_plural_rules({k: o.plural_forms for k, o in options.items() if o.plural_forms})


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
        out[locale] = _options(where, locale, table, errors)
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


def _options(where: str, locale: str, table: Any, errors: Errors) -> LocaleOptions:
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
        if key == "plural_forms":
            try:
                plural_info(locale, value)  # parsed, and every n up to 1000 within nplurals
            except ValueError as exc:
                raise bad(f"{where}: plural_forms: {exc}") from None
        if key == "name" and not value.strip():
            raise bad(f"{where}: name must not be empty")
        values[key] = value.strip() if isinstance(value, str) else value
    return LocaleOptions(**values)
