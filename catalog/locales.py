"""Locale codes: one gettext-style spelling for what users type, checked against Babel.

A code CLDR (Babel) does not know is kept as written when it is shaped like a gettext
locale, `ll[l][_CC|_Ssss][@mod]` (Django ships `udm`, Udmurt), private-use `qaa`-`qtz`
included: GNU gettext needs no CLDR entry, the catalogue's `Plural-Forms` is the rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from babel import Locale, UnknownLocaleError

_CODE = re.compile(
    r"^(?P<lang>[A-Za-z]{2,3})"
    r"(?:[_-](?P<script>[A-Za-z]{4}))?"
    r"(?:[_-](?P<territory>[A-Za-z]{2}|\d{3}))?"
    r"(?:\.[\w-]+)?"  # an encoding suffix as in de_DE.UTF-8 is dropped
    r"(?:@(?P<modifier>[A-Za-z0-9]+))?$"
)

# the shape a code outside CLDR must have: ll[l][_CC|_Ssss][@mod]
_OUTSIDE_CLDR = re.compile(r"^[a-z]{2,3}(?:_[A-Z]{2}|_[A-Z][a-z]{3})?(?:@[a-z0-9]+)?$")

# gettext modifiers that name a script Babel knows under its ISO 15924 code
_MODIFIER_SCRIPTS = {"latin": "Latn", "cyrillic": "Cyrl", "arabic": "Arab", "devanagari": "Deva"}


class UnknownLocale(ValueError):
    """A locale code that is malformed or that Babel has no data for."""

    def __init__(self, code: str) -> None:
        super().__init__(f"unknown locale {code!r}")
        self.code = code


def normalise_locale(code: str) -> str:
    """Return the gettext spelling of `code`: `pt-BR`/`pt_br` → `pt_BR`, `zh-hant` → `zh_Hant`.

    A gettext modifier (`sr@latin`, `ca@valencia`) is kept as written in lower case.
    A code Babel does not know is kept when shaped `ll[l][_CC|_Ssss][@mod]` (see
    `in_cldr`); UnknownLocale when the code is malformed.
    """
    m = _CODE.match(code.strip())
    if m is None:
        raise UnknownLocale(code.strip())
    parts = [m["lang"].lower()]
    if m["script"]:
        parts.append(m["script"].title())
    if m["territory"]:
        parts.append(m["territory"].upper())
    normal = "_".join(parts)
    if m["modifier"]:
        normal += "@" + m["modifier"].lower()
    if not in_cldr(normal) and not _outside_cldr_shape(normal, m["script"], m["territory"]):
        raise UnknownLocale(code.strip())
    return normal


def _outside_cldr_shape(normal: str, script: str | None, territory: str | None) -> bool:
    """`ll[l][_CC|_Ssss][@mod]`, the script and territory ones ISO/CLDR know (`udm_RU`,
    `xx_Latn`; not `xx_Nope`)."""
    english = Locale("en")
    return (
        _OUTSIDE_CLDR.match(normal) is not None
        and (script is None or script.title() in english.scripts)
        and (territory is None or territory.upper() in english.territories)
    )


def in_cldr(code: str) -> bool:
    """Whether Babel (CLDR) has data for `code`; a code outside it gets its plural rule from
    its catalogue or `[locales.X] plural_forms`, and its name from `[locales.X] name`."""
    try:
        babel_locale(code)
    except UnknownLocale:
        return False
    return True


@lru_cache(maxsize=256)
def babel_locale(code: str) -> Locale:
    """The Babel Locale behind a gettext code (a script modifier becomes the script)."""
    base, _, modifier = code.replace("-", "_").partition("@")
    script = _MODIFIER_SCRIPTS.get(modifier.lower())
    if script:
        lang, _, rest = base.partition("_")
        base = f"{lang}_{script}" + (f"_{rest}" if rest and len(rest) != 4 else "")
    try:
        return Locale.parse(base)
    except (UnknownLocaleError, ValueError, TypeError):
        raise UnknownLocale(code) from None


_NAMES: dict[str, str] = {}
"""`[locales.X] name` of the configuration in use (settings sets them: see `use_names`)."""


def use_names(names: Mapping[str, str]) -> None:
    """Make `names` (locale → English language name, from `[locales.X] name`) the names
    `english_name` gives: the engines and catalogue headers see them without a Config."""
    _NAMES.clear()
    _NAMES.update(names)


def configured_name(code: str) -> str | None:
    """The `[locales.X] name` set for `code`, if any."""
    return _NAMES.get(code)


def english_name(code: str) -> str:
    """`fr` → "French", `pt_BR` → "Portuguese"; the language name engines are given.
    `[locales.X] name` comes first; UnknownLocale for a code outside CLDR without one."""
    if code in _NAMES:
        return _NAMES[code]
    loc = babel_locale(code)
    return Locale("en").languages.get(loc.language) or loc.english_name or code
