"""Checks on line breaks and whitespace: a translation begins and ends as its source does and
keeps as many line breaks.

The checks return a one-line message or None; `catalog.checks` gives them their severity.
"""

from __future__ import annotations

from locflow.catalog.check_forms import CheckContext, Forms, form_label, references
from locflow.catalog.segment import Segment


def newlines_rule(segment: Segment, forms: Forms, ctx: CheckContext) -> str | None:
    src = segment.msgid
    for i, form in enumerate(forms):
        if not form:
            continue
        if src.startswith("\n") != form.startswith("\n"):
            return f"{form_label(segment, i)} and msgid do not both begin with '\\n'"
        if src.endswith("\n") != form.endswith("\n"):
            return f"{form_label(segment, i)} and msgid do not both end with '\\n'"
    return None


def line_breaks_rule(segment: Segment, forms: Forms, ctx: CheckContext) -> str | None:
    """As many line breaks as the source (a begin/end mismatch is `newlines`' business)."""
    for i, form in enumerate(forms):
        if not form:
            continue
        edges = (form.startswith("\n"), form.endswith("\n"))
        counts = [
            ref.count("\n")
            for ref in references(segment)
            if (ref.startswith("\n"), ref.endswith("\n")) == edges
        ]
        got = form.count("\n")
        if counts and got not in counts:
            return f"{form_label(segment, i)} has {_breaks(got)}, source {_breaks(counts[0])}"
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


def whitespace_rule(segment: Segment, forms: Forms, ctx: CheckContext) -> str | None:
    lead, trail = _edges(segment.msgid)
    for i, form in enumerate(forms):
        if not form.strip():
            continue
        f_lead, f_trail = _edges(form)
        if f_lead != lead:
            return f"{form_label(segment, i)} leading whitespace {_ws(f_lead)}, source {_ws(lead)}"
        if f_trail != trail:
            return (
                f"{form_label(segment, i)} trailing whitespace {_ws(f_trail)}, source {_ws(trail)}"
            )
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
