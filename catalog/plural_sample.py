"""Plural forms translated through a sample number.

For each target plural form the engine gets the source with its count placeholder replaced
by a number that selects that form ("5 notes saved" for Russian "many"), so the engine picks
the right grammatical form; the number is then mapped back to the placeholder. Without this
every form would get the same generic plural, which is copying under another name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from locflow.catalog.placeholders import active_formats, format_signature

_COUNT_NAMES = {"n", "num", "number", "count", "counter", "total", "amount", "quantity", "items"}
# 1000000, 1,000,000, 1 000 000, 1.000.000, 1'000'000 (NBSP/NNBSP too)
_NUMBER = re.compile(
    r"(?<![\w.,])\d{1,3}(?:[ ,.'\u00a0\u202f]\d{3})+(?![\w])|(?<![\w.,])\d+(?![\w])"
)


def count_placeholder(text: str, flags: Iterable[str]) -> str | None:
    """The placeholder that carries n: the only integer argument, or the one named like a
    count; None when that is ambiguous (then no number is written in)."""
    found: dict[str, str] = {}  # argument -> its raw directive
    for kind in active_formats(flags):
        args, _ = format_signature(text, kind)
        if kind == "python-brace-format":
            named = {f: raw for (f, _), raw in args if f.lower() in _COUNT_NAMES}
            found.update(named or ({args[0][0][0]: args[0][1]} if len(args) == 1 else {}))
        else:
            ints = {f"{kind}:{arg}": raw for (arg, conv), raw in args if "int" in conv}
            named = {k: r for k, r in ints.items() if _name(r) in _COUNT_NAMES}
            found.update(named if len(named) == 1 else ints)
    return next(iter(found.values())) if len(found) == 1 else None


def _name(raw: str) -> str:
    m = re.match(r"%\(([^)]*)\)", raw)
    return m.group(1).lower() if m else ""


def with_sample(text: str, placeholder: str, n: int) -> str:
    """The source text as it reads for n (every occurrence of the count placeholder)."""
    return text.replace(placeholder, str(n))


def restore_count(translated: str, n: int, placeholder: str, occurrences: int = 1) -> str | None:
    """Put the placeholder back where the engine wrote n (also as 1 000 000 or 1,000,000).

    None when the number does not appear exactly as often as the placeholder did; the
    placeholder check then reports the translation instead of a guess being stored.
    """
    hits = [m for m in _NUMBER.finditer(translated) if _value(m.group()) == n]
    if len(hits) != occurrences:
        return None
    out, pos = [], 0
    for m in hits:
        out += [translated[pos : m.start()], placeholder]
        pos = m.end()
    out.append(translated[pos:])
    return "".join(out)


def _value(number: str) -> int:
    return int(re.sub(r"\D", "", number))
