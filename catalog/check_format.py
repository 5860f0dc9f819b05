"""Checks on the shape of a translation: as many forms as the plural rule wants, none empty,
and the same format directives as the source (per gettext's rules for plural forms and the
`range:` flag).

The checks return a one-line message or None; `catalog.checks` gives them their severity.
"""

from __future__ import annotations

from collections import Counter

from locflow.catalog.check_forms import CheckContext, Forms, form_label, short_repr
from locflow.catalog.flags import flag_numbers, range_hits
from locflow.catalog.placeholders import active_formats, format_signature
from locflow.catalog.segment import Segment


def _single(ctx: CheckContext, i: int) -> bool:
    return i < len(ctx.plural.forms) and ctx.plural.forms[i].single


def _once_in_range(segment: Segment, forms: Forms, ctx: CheckContext, i: int) -> bool:
    """With gettext's `range: MIN..MAX`, a form at most one n of the range selects may omit the
    number, as msgfmt lets it (when there are two forms or more)."""
    bounds, _ = flag_numbers(segment.flags, "range")
    if bounds is None or len(forms) < 2:
        return False
    try:
        hits = range_hits(ctx.plural, *bounds)
    except (ArithmeticError, ValueError):  # an expression failing past n = 1000
        return False
    return i < len(hits) and hits[i] <= 1


def placeholders_rule(segment: Segment, forms: Forms, ctx: CheckContext) -> str | None:
    problems = []
    for kind in active_formats(segment.flags):
        source = _signature(segment.msgid, kind)
        plural = _signature(segment.msgid_plural, kind) if segment.is_plural else source
        for i, form in enumerate(forms):
            if not form:
                continue
            args, stray = format_signature(form, kind)
            got = Counter(key for key, _ in args)
            if stray and not format_signature(segment.msgid_plural or segment.msgid, kind)[1]:
                invalid = short_repr(stray[0])
                problems.append(f"{form_label(segment, i)} has invalid {kind} {invalid}")
            if not segment.is_plural:
                want, subset = source, False
            elif _single(ctx, i) or _once_in_range(segment, forms, ctx, i):
                # a form used for one n only (n=1 in English) may omit the number
                want, subset = source | plural, True
            else:
                want, subset = plural, False
            missing = Counter() if subset else want - got
            extra = got - want
            if missing or extra:
                raws = dict(args) | _raw(segment.msgid, kind) | _raw(segment.msgid_plural, kind)
                parts = []
                if missing:
                    parts.append("missing " + " ".join(raws[k] for k in missing.elements()))
                if extra:
                    parts.append("unexpected " + " ".join(raws[k] for k in extra.elements()))
                problems.append(f"{form_label(segment, i)} {kind}: " + "; ".join(parts))
    return " | ".join(problems) or None


def _signature(text: str | None, kind: str) -> Counter[tuple[str, str]]:
    return Counter(key for key, _ in format_signature(text or "", kind)[0])


def _raw(text: str | None, kind: str) -> dict[tuple[str, str], str]:
    return dict(format_signature(text or "", kind)[0])


def plural_count_rule(segment: Segment, forms: Forms, ctx: CheckContext) -> str | None:
    want = ctx.plural.nplurals if segment.is_plural else 1
    if len(forms) != want:
        kind = "plural forms" if segment.is_plural else "form"
        return f"expected {want} {kind} for {ctx.target_locale}, got {len(forms)}"
    empty = [i for i, form in enumerate(forms) if not form.strip()]
    if empty and len(empty) < len(forms):  # all empty is the `empty` check's business
        return "empty " + ", ".join(form_label(segment, i) for i in empty)
    return None


def empty_rule(segment: Segment, forms: Forms, ctx: CheckContext) -> str | None:
    if segment.msgid.strip() and not any(form.strip() for form in forms):
        return "translation is empty"
    return None


def range_rule(segment: Segment, forms: Forms, ctx: CheckContext) -> str | None:
    _, bad = flag_numbers(segment.flags, "range")
    if bad is None:
        return None
    return f"invalid flag {bad!r}: expected 'range: MIN..MAX' with MIN ≤ MAX"
