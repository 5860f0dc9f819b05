"""Locale codes: one gettext-style spelling for what users type, checked against Babel."""

from __future__ import annotations

import re
from functools import lru_cache

from babel import Locale, UnknownLocaleError

_CODE = re.compile(
    r"^(?P<lang>[A-Za-z]{2,3})"
    r"(?:[_-](?P<script>[A-Za-z]{4}))?"
    r"(?:[_-](?P<territory>[A-Za-z]{2}|\d{3}))?"
    r"(?:\.[\w-]+)?"  # an encoding suffix as in de_DE.UTF-8 is dropped
    r"(?:@(?P<modifier>[A-Za-z0-9]+))?$"
)

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
    Raises UnknownLocale when the code is malformed or Babel does not know it.
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
    babel_locale(normal)  # raises UnknownLocale
    return normal


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


def english_name(code: str) -> str:
    """`fr` → "French", `pt_BR` → "Portuguese"; the language name engines are given."""
    loc = babel_locale(code)
    return Locale("en").languages.get(loc.language) or loc.english_name or code
