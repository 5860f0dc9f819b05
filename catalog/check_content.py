"""Checks on what a translation carries: the source's tags, URLs and Markdown, and none of a
model's leftovers (reasoning tags, chatter, control characters, an untranslated echo).

The checks return a one-line message or None; `catalog.checks` gives them their severity.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable

from locflow.catalog.chatter import CHATTER, QUOTES, language_labels
from locflow.catalog.check_forms import CheckContext, Forms, form_label, references, short_repr
from locflow.catalog.inventories import markdown_items, tag_key
from locflow.catalog.placeholders import mask, tags_in, urls_in
from locflow.catalog.segment import Segment


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
        refs = [Counter(items(ref)) for ref in references(segment)]
        if any(got == ref for ref in refs):
            continue
        want = refs[0]
        parts = []
        if want - got:
            parts.append("missing " + " ".join(sorted((want - got).elements())))
        if got - want:
            parts.append("unexpected " + " ".join(sorted((got - want).elements())))
        return f"{form_label(segment, i)} {what}: " + "; ".join(parts)
    return None


def tags_rule(segment: Segment, forms: Forms, ctx: CheckContext) -> str | None:
    def keys(text: str) -> list[str]:  # <think> remnants are the `think` check's
        return [k for k in map(tag_key, tags_in(text)) if k.strip("</>") != "think"]

    return _inventory(segment, forms, ctx, keys, "tags")


def urls_rule(segment: Segment, forms: Forms, ctx: CheckContext) -> str | None:
    return _inventory(segment, forms, ctx, urls_in, "URLs")


def markdown_rule(segment: Segment, forms: Forms, ctx: CheckContext) -> str | None:
    if "markdown" not in segment.flags:
        return None
    return _inventory(segment, forms, ctx, markdown_items, "Markdown")


_THINK = re.compile(r"</?think\b[^>]*>", re.IGNORECASE)


def think_rule(segment: Segment, forms: Forms, ctx: CheckContext) -> str | None:
    if _THINK.search(segment.msgid) or _THINK.search(segment.msgid_plural or ""):
        return None
    for i, form in enumerate(forms):
        if m := _THINK.search(form):
            return f"{form_label(segment, i)} contains model reasoning {short_repr(m.group())}"
    return None


def chatter_rule(segment: Segment, forms: Forms, ctx: CheckContext) -> str | None:
    sources = (segment.msgid, segment.msgid_plural or "")
    labels = language_labels(ctx.target_locale, ctx.source_locale)
    for i, form in enumerate(forms):
        for pattern in (CHATTER, labels):
            m = pattern.search(form)
            if m and not any(pattern.search(src) for src in sources):
                found = short_repr(m.group().strip())
                return f"{form_label(segment, i)} looks like model chatter: {found}"
        core = form.strip()
        if (
            len(core) >= 2
            and QUOTES.get(core[0]) == core[-1]
            and not any(src.strip()[:1] in QUOTES for src in sources if src)
        ):
            return f"{form_label(segment, i)} is wrapped in quotes the source does not have"
    return None


def _bad_char(ch: str) -> bool:
    if ch in "\n\t":
        return False
    return ch == "\ufffd" or unicodedata.category(ch) in ("Cc", "Cs")


def control_chars_rule(segment: Segment, forms: Forms, ctx: CheckContext) -> str | None:
    allowed = {ch for ch in segment.msgid + (segment.msgid_plural or "") if _bad_char(ch)}
    for i, form in enumerate(forms):
        bad = sorted({ch for ch in form if _bad_char(ch)} - allowed)
        if bad:
            shown = " ".join(f"U+{ord(ch):04X}" for ch in bad)
            return f"{form_label(segment, i)} contains control characters {shown}"
    return None


_WORD = re.compile(r"[^\W\d_]{2,}")


def untranslated_rule(segment: Segment, forms: Forms, ctx: CheckContext) -> str | None:
    """Output identical to a source text that has words in it (a model's echo)."""
    if ctx.source_locale.split("_")[0] == ctx.target_locale.split("_")[0]:
        return None
    sources = {segment.msgid.strip(), (segment.msgid_plural or "").strip()} - {""}
    for i, form in enumerate(forms):
        text = form.strip()
        if text in sources and _WORD.search(mask(text, segment.flags).text):
            return f"{form_label(segment, i)} is identical to the source: not translated"
    return None
