"""Quality checks on a translation: one table, one function per check.

Each check looks at the source segment and the translated forms and returns an Issue or
None. Severity lives in the table, not in the functions: an "error" keeps MT out of the
`machine` state, a "warning" is shown to the reviewer.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from locflow.catalog.chatter import CHATTER, QUOTES, language_labels
from locflow.catalog.flags import flag_numbers, range_hits
from locflow.catalog.inventories import expansion, markdown_items, tag_key, visible_length
from locflow.catalog.placeholders import active_formats, format_signature, mask, tags_in, urls_in
from locflow.catalog.plurals import PluralInfo
from locflow.catalog.segment import Segment
from locflow.catalog.terms import glossary_rule

Severity = Literal["error", "warning"]
Forms = tuple[str, ...]


@dataclass(frozen=True)
class Issue:
    check: str
    severity: Severity
    message: str
    """One line, shown to reviewers."""


@dataclass(frozen=True)
class CheckContext:
    source_locale: str
    target_locale: str
    plural: PluralInfo
    terms: tuple[object, ...] = ()
    """Glossary terms matched in the segment (for the term-compliance check)."""


CheckFn = Callable[[Segment, Forms, CheckContext], "Issue | None"]
_Rule = Callable[[Segment, Forms, CheckContext], "str | None"]


def run_checks(segment: Segment, forms: Forms, ctx: CheckContext) -> tuple[Issue, ...]:
    """Every check in table order; the issues found."""
    issues = (fn(segment, forms, ctx) for fn, _ in CHECKS.values())
    return tuple(issue for issue in issues if issue is not None)


def _show(text: str, limit: int = 40) -> str:
    shown = repr(text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _label(segment: Segment, i: int) -> str:
    return f"msgstr[{i}]" if segment.is_plural else "msgstr"


def _references(segment: Segment) -> tuple[str, ...]:
    """Source texts a form may mirror: msgid for a singular, msgid_plural (or msgid) otherwise."""
    if not segment.is_plural:
        return (segment.msgid,)
    return (segment.msgid_plural or "", segment.msgid)


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


# --- the checks -------------------------------------------------------------------------


def _placeholders(segment: Segment, forms: Forms, ctx: CheckContext) -> str | None:
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
                problems.append(f"{_label(segment, i)} has invalid {kind} {_show(stray[0])}")
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
                problems.append(f"{_label(segment, i)} {kind}: " + "; ".join(parts))
    return " | ".join(problems) or None


def _signature(text: str | None, kind: str) -> Counter[tuple[str, str]]:
    return Counter(key for key, _ in format_signature(text or "", kind)[0])


def _raw(text: str | None, kind: str) -> dict[tuple[str, str], str]:
    return dict(format_signature(text or "", kind)[0])


def _plural_count(segment: Segment, forms: Forms, ctx: CheckContext) -> str | None:
    want = ctx.plural.nplurals if segment.is_plural else 1
    if len(forms) != want:
        kind = "plural forms" if segment.is_plural else "form"
        return f"expected {want} {kind} for {ctx.target_locale}, got {len(forms)}"
    empty = [i for i, form in enumerate(forms) if not form.strip()]
    if empty and len(empty) < len(forms):  # all empty is the `empty` check's business
        return "empty " + ", ".join(_label(segment, i) for i in empty)
    return None


def _newlines(segment: Segment, forms: Forms, ctx: CheckContext) -> str | None:
    src = segment.msgid
    for i, form in enumerate(forms):
        if not form:
            continue
        if src.startswith("\n") != form.startswith("\n"):
            return f"{_label(segment, i)} and msgid do not both begin with '\\n'"
        if src.endswith("\n") != form.endswith("\n"):
            return f"{_label(segment, i)} and msgid do not both end with '\\n'"
    return None


def _line_breaks(segment: Segment, forms: Forms, ctx: CheckContext) -> str | None:
    """As many line breaks as the source (a begin/end mismatch is `newlines`' business)."""
    for i, form in enumerate(forms):
        if not form:
            continue
        edges = (form.startswith("\n"), form.endswith("\n"))
        counts = [
            ref.count("\n")
            for ref in _references(segment)
            if (ref.startswith("\n"), ref.endswith("\n")) == edges
        ]
        got = form.count("\n")
        if counts and got not in counts:
            return f"{_label(segment, i)} has {_breaks(got)}, source {_breaks(counts[0])}"
    return None


def _breaks(n: int) -> str:
    return f"{n} line break{'' if n == 1 else 's'}"


def _edges(text: str) -> tuple[str, str]:
    core = text.strip()
    if not core:
        return "", ""
    start = len(text) - len(text.lstrip())
    strip = str.maketrans("", "", "\n")
    return text[:start].translate(strip), text[start + len(core) :].translate(strip)


def _whitespace(segment: Segment, forms: Forms, ctx: CheckContext) -> str | None:
    lead, trail = _edges(segment.msgid)
    for i, form in enumerate(forms):
        if not form.strip():
            continue
        f_lead, f_trail = _edges(form)
        if f_lead != lead:
            return f"{_label(segment, i)} leading whitespace {_ws(f_lead)}, source {_ws(lead)}"
        if f_trail != trail:
            return f"{_label(segment, i)} trailing whitespace {_ws(f_trail)}, source {_ws(trail)}"
    return None


_WS_NAMES = {" ": "space", "\t": "tab", "\r": "CR", "\u00a0": "no-break space"}


def _ws(text: str) -> str:
    """Whitespace in words, since a message's runs of spaces are collapsed: '2 spaces, tab'."""
    if not text:
        return "none"
    runs: list[tuple[str, int]] = []
    for ch in text:
        if runs and runs[-1][0] == ch:
            runs[-1] = (ch, runs[-1][1] + 1)
        else:
            runs.append((ch, 1))
    parts = []
    for ch, n in runs:
        name = _WS_NAMES.get(ch, f"U+{ord(ch):04X}")
        parts.append(name if n == 1 else f"{n} {name}s")
    return ", ".join(parts)


def _empty(segment: Segment, forms: Forms, ctx: CheckContext) -> str | None:
    if segment.msgid.strip() and not any(form.strip() for form in forms):
        return "translation is empty"
    return None


def _inventory(
    segment: Segment,
    forms: Forms,
    ctx: CheckContext,
    items: Callable[[str], list[str]],
    what: str,
) -> str | None:
    for i, form in enumerate(forms):
        if not form:
            continue
        got = Counter(items(form))
        refs = [Counter(items(ref)) for ref in _references(segment)]
        if any(got == ref for ref in refs):
            continue
        want = refs[0]
        parts = []
        if want - got:
            parts.append("missing " + " ".join(sorted((want - got).elements())))
        if got - want:
            parts.append("unexpected " + " ".join(sorted((got - want).elements())))
        return f"{_label(segment, i)} {what}: " + "; ".join(parts)
    return None


def _tags(segment: Segment, forms: Forms, ctx: CheckContext) -> str | None:
    def keys(text: str) -> list[str]:  # <think> remnants are the `think` check's
        return [k for k in map(tag_key, tags_in(text)) if k.strip("</>") != "think"]

    return _inventory(segment, forms, ctx, keys, "tags")


def _urls(segment: Segment, forms: Forms, ctx: CheckContext) -> str | None:
    return _inventory(segment, forms, ctx, urls_in, "URLs")


_THINK = re.compile(r"</?think\b[^>]*>", re.IGNORECASE)


def _think(segment: Segment, forms: Forms, ctx: CheckContext) -> str | None:
    if _THINK.search(segment.msgid) or _THINK.search(segment.msgid_plural or ""):
        return None
    for i, form in enumerate(forms):
        if m := _THINK.search(form):
            return f"{_label(segment, i)} contains model reasoning {_show(m.group())}"
    return None


def _chatter(segment: Segment, forms: Forms, ctx: CheckContext) -> str | None:
    sources = (segment.msgid, segment.msgid_plural or "")
    labels = language_labels(ctx.target_locale, ctx.source_locale)
    for i, form in enumerate(forms):
        for pattern in (CHATTER, labels):
            m = pattern.search(form)
            if m and not any(pattern.search(src) for src in sources):
                return f"{_label(segment, i)} looks like model chatter: {_show(m.group().strip())}"
        core = form.strip()
        if (
            len(core) >= 2
            and QUOTES.get(core[0]) == core[-1]
            and not any(src.strip()[:1] in QUOTES for src in sources if src)
        ):
            return f"{_label(segment, i)} is wrapped in quotes the source does not have"
    return None


def _bad_char(ch: str) -> bool:
    if ch in "\n\t":
        return False
    return ch == "\ufffd" or unicodedata.category(ch) in ("Cc", "Cs")


def _control_chars(segment: Segment, forms: Forms, ctx: CheckContext) -> str | None:
    allowed = {ch for ch in segment.msgid + (segment.msgid_plural or "") if _bad_char(ch)}
    for i, form in enumerate(forms):
        bad = sorted({ch for ch in form if _bad_char(ch)} - allowed)
        if bad:
            shown = " ".join(f"U+{ord(ch):04X}" for ch in bad)
            return f"{_label(segment, i)} contains control characters {shown}"
    return None


_WORD = re.compile(r"[^\W\d_]{2,}")


def _untranslated(segment: Segment, forms: Forms, ctx: CheckContext) -> str | None:
    """Output identical to a source text that has words in it (a model's echo)."""
    if ctx.source_locale.split("_")[0] == ctx.target_locale.split("_")[0]:
        return None
    sources = {segment.msgid.strip(), (segment.msgid_plural or "").strip()} - {""}
    for i, form in enumerate(forms):
        text = form.strip()
        if text in sources and _WORD.search(mask(text, segment.flags).text):
            return f"{_label(segment, i)} is identical to the source: not translated"
    return None


def _range(segment: Segment, forms: Forms, ctx: CheckContext) -> str | None:
    _, bad = flag_numbers(segment.flags, "range")
    if bad is None:
        return None
    return f"invalid flag {bad!r}: expected 'range: MIN..MAX' with MIN ≤ MAX"


def _max_length(segment: Segment, forms: Forms, ctx: CheckContext) -> str | None:
    """Weblate's `max-length:N`: no form longer than N characters."""
    limit, bad = flag_numbers(segment.flags, "max-length")
    if bad is not None:
        return f"invalid flag {bad!r}: expected 'max-length:N'"
    most = limit[0] if limit else None
    for i, form in enumerate(forms):
        if most is not None and len(form) > most:
            return f"{_label(segment, i)} has {len(form)} characters, more than max-length {most}"
    return None


def _bounds(n: int) -> tuple[float, float] | None:
    """Length ratios a translation of a source n visible characters long stays within."""
    return (1 / 3, 3.0) if n >= 20 else (1 / 5, 5.0) if n >= 5 else None


def _times(x: float, scale: int = 100, rounding: Callable[[float], int] = round) -> str:
    """`4.25×`: to 1/scale, rounded by `rounding`."""
    return f"{rounding(x * scale) / scale:.3f}".rstrip("0").rstrip(".") + "×"


def _length(segment: Segment, forms: Forms, ctx: CheckContext) -> str | None:
    """Length-ratio outliers: a form much longer or shorter than every source it may mirror."""
    sources = [
        (n, bounds, expansion(ctx.source_locale, ref))
        for ref in _references(segment)
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
            f"{_label(segment, i)} is {shown} the source length "
            f"(expected {bound} for {ctx.target_locale})"
        )
    return None


def _markdown(segment: Segment, forms: Forms, ctx: CheckContext) -> str | None:
    if "markdown" not in segment.flags:
        return None
    return _inventory(segment, forms, ctx, markdown_items, "Markdown")


def _table(**rules: tuple[_Rule, Severity]) -> dict[str, tuple[CheckFn, Severity]]:
    def wrap(check: str, rule: _Rule, severity: Severity) -> CheckFn:
        def fn(segment: Segment, forms: Forms, ctx: CheckContext) -> Issue | None:
            message = rule(segment, forms, ctx)
            if message is None:
                return None
            return Issue(check=check, severity=severity, message=" ".join(message.split()))

        fn.__name__ = f"check_{check}"
        fn.__doc__ = rule.__doc__
        return fn

    return {check: (wrap(check, rule, sev), sev) for check, (rule, sev) in rules.items()}


CHECKS: dict[str, tuple[CheckFn, Severity]] = _table(
    plural_count=(_plural_count, "error"),
    empty=(_empty, "error"),
    placeholders=(_placeholders, "error"),
    newlines=(_newlines, "error"),
    line_breaks=(_line_breaks, "warning"),
    whitespace=(_whitespace, "warning"),
    tags=(_tags, "error"),
    urls=(_urls, "error"),
    markdown=(_markdown, "error"),
    think=(_think, "error"),
    chatter=(_chatter, "warning"),
    untranslated=(_untranslated, "warning"),
    control_chars=(_control_chars, "error"),
    length=(_length, "warning"),
    max_length=(_max_length, "error"),
    range=(_range, "error"),
    glossary=(glossary_rule, "error"),
)
