"""Checks on length: Weblate's `max-length:N` flag, and length-ratio outliers against every
source a form may mirror (scaled by each language's usual expansion).

The checks return a one-line message or None; `catalog.checks` gives them their severity.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from locflow.catalog.check_forms import CheckContext, Forms, form_label, references
from locflow.catalog.flags import flag_numbers
from locflow.catalog.inventories import expansion, visible_length
from locflow.catalog.segment import Segment


def max_length_rule(segment: Segment, forms: Forms, ctx: CheckContext) -> str | None:
    """Weblate's `max-length:N`: no form longer than N characters."""
    limit, bad = flag_numbers(segment.flags, "max-length")
    if bad is not None:
        return f"invalid flag {bad!r}: expected 'max-length:N'"
    most = limit[0] if limit else None
    for i, form in enumerate(forms):
        if most is not None and len(form) > most:
            return (
                f"{form_label(segment, i)} has {len(form)} characters, more than max-length {most}"
            )
    return None


def _bounds(n: int) -> tuple[float, float] | None:
    """Length ratios a translation of a source n visible characters long stays within."""
    return (1 / 3, 3.0) if n >= 20 else (1 / 5, 5.0) if n >= 5 else None


def _times(x: float, scale: int = 100, rounding: Callable[[float], int] = round) -> str:
    """`4.25×`: to 1/scale, rounded by `rounding`."""
    return f"{rounding(x * scale) / scale:.3f}".rstrip("0").rstrip(".") + "×"


def length_rule(segment: Segment, forms: Forms, ctx: CheckContext) -> str | None:
    """Length-ratio outliers: a form much longer or shorter than every source it may mirror."""
    sources = [
        (n, bounds, expansion(ctx.source_locale, ref))
        for ref in references(segment)
        if (bounds := _bounds(n := visible_length(ref, segment.flags)))
    ]
    for i, form in enumerate(forms if sources else ()):
        got, factor = visible_length(form, segment.flags), expansion(ctx.target_locale, form)
        ratios = [(got / n, low * factor / f, high * factor / f) for n, (low, high), f in sources]
        if not form.strip() or any(low <= r <= high for r, low, high in ratios):
            continue
        ratio, low, high = ratios[0]
        # the ratio is rounded away from the bound it crossed: never "3× (expected at most 3×)"
        shown = _times(
            ratio, 100 if ratio >= 1 else 1000, math.ceil if ratio > high else math.floor
        )
        bound = f"at most {_times(high)}" if ratio > high else f"at least {_times(low)}"
        return (
            f"{form_label(segment, i)} is {shown} the source length "
            f"(expected {bound} for {ctx.target_locale})"
        )
    return None
