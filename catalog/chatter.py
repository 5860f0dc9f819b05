"""What model chatter looks like: preambles ("Here is the translation:"), notes, code
fences, language labels ("French:") and wrapping quotes the source does not have."""

from __future__ import annotations

import functools
import re

from locflow.catalog.locales import UnknownLocale, babel_locale

CHATTER = re.compile(
    r"^\s*(?:here(?:'s| is| are)\b[^\n:]{0,40}\btranslations?\b"
    r"|(?:sure|certainly|of course)\s*[,!.:]"
    r"|(?:translation|translated text|translated|output|result)\s*:"
    r"|as an ai\b|i (?:cannot|can't|am unable to) translate\b)"
    r"|^\s*\(?\s*note\s*:|```",
    re.IGNORECASE | re.MULTILINE,
)
QUOTES = {
    '"': '"',
    "'": "'",
    "“": "”",
    "‘": "’",
    "«": "»",
    "»": "«",
    "„": "“",
    "「": "」",
    "『": "』",
    "‹": "›",
}


@functools.lru_cache(maxsize=256)
def language_labels(target_locale: str, source_locale: str) -> re.Pattern[str]:
    """`French:`, `fr translation:`… at the start of a line, for either language."""
    names = {target_locale, source_locale}
    for code in (target_locale, source_locale):
        try:
            loc = babel_locale(code)
        except UnknownLocale:
            continue
        names.update(filter(None, (loc.get_language_name("en"), loc.get_language_name())))
    alternatives = "|".join(sorted((re.escape(n) for n in names), key=len, reverse=True))
    return re.compile(rf"^\s*(?:{alternatives})\s*(?:translation\s*)?:", re.IGNORECASE)
