"""Flags with arguments: gettext's `range: MIN..MAX` (the values of n a plural message is
used with) and Weblate's `max-length:N`."""

from __future__ import annotations

import functools
import re

from locflow.catalog.plurals import PluralInfo

_FLAG_SYNTAX = {
    "range": re.compile(r"range:\s*(\d+)\.\.(\d+)"),
    "max-length": re.compile(r"max-length:\s*(\d+)"),
}
_RANGE_SCAN = 10_000


def flag_numbers(flags: tuple[str, ...], name: str) -> tuple[tuple[int, ...] | None, str | None]:
    """`name:` flags (`range: 0..10`, `max-length:40`; with or without the space): the numbers
    of the first well-formed one (a range's MIN <= MAX), and the first malformed one."""
    good: tuple[int, ...] | None = None
    bad: str | None = None
    for flag in flags:
        if not flag.startswith(name + ":"):
            continue
        m = _FLAG_SYNTAX[name].fullmatch(flag)
        numbers = tuple(int(g) for g in m.groups()) if m else ()
        if numbers and list(numbers) == sorted(numbers):
            good = good or numbers
        else:
            bad = bad or flag
    return good, bad


@functools.lru_cache(maxsize=256)
def range_hits(plural: PluralInfo, low: int, high: int) -> tuple[int, ...]:
    """How many n in low..high select each form, counted up to 2; all 2 (no form let off) for
    a range longer than _RANGE_SCAN values, which the scan cannot settle."""
    if high - low >= _RANGE_SCAN:
        return (2,) * plural.nplurals
    hits = [0] * plural.nplurals
    for n in range(low, high + 1):
        i = plural.index(n)
        if not 0 <= i < plural.nplurals:  # past the 0..1000 that plural_info checked
            return (2,) * plural.nplurals
        hits[i] = min(hits[i] + 1, 2)
        if min(hits) == 2:
            break
    return tuple(hits)
