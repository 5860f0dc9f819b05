"""What GNU `msgfmt -c --check-format` (gettext 0.21) would reject in one entry written as a
translation, so export can decide per entry instead of writing a catalogue msgfmt refuses.

It reuses the quality checks (`placeholders_rule`, `newlines_rule`) and reads them the way
msgfmt does where the two differ:
- an untranslated entry (empty msgstr or msgstr[0]) and a fuzzy one are never checked;
- in a translated plural entry an empty form is checked too (it has no directive and no
  line break), and the number of forms must be the header's nplurals;
- `possible-c-format` (and the other `possible-` kinds) is checked whenever the source is
  a valid format string of that kind;
- a plural form that fewer than 5 values of n in 0..1000 select may omit the number (the
  quality check lets off only a form of one n: "Une note" is wrong French for n = 0);
- `range:1..1` without its space is not a flag msgfmt knows (the quality check honours it).
"""

from __future__ import annotations

import dataclasses
import functools
import re

from locflow.catalog.check_format import placeholders_rule
from locflow.catalog.check_forms import CheckContext, Forms
from locflow.catalog.check_spacing import newlines_rule
from locflow.catalog.placeholders import FORMAT_KINDS, format_signature
from locflow.catalog.plurals import PluralInfo
from locflow.catalog.segment import Segment

_UNSPACED_RANGE = re.compile(r"range:\S")
_OFTEN = 5
"""msgfmt (msgl-check.c) checks a plural form strictly when at least this many n select it."""
_NO_TEXT = "-"
"""Stands for an empty plural form: like "", it has no directive and no line break."""


def msgfmt_problem(segment: Segment, forms: Forms, plural: PluralInfo) -> str | None:
    """Why msgfmt -c --check-format would reject `forms` written (not fuzzy) for `segment`
    in a catalogue whose Plural-Forms is `plural`; None when it would accept them."""
    if not forms or not forms[0]:
        return None  # untranslated: msgfmt does not check it
    if segment.is_plural and len(forms) != plural.nplurals:
        return f"{len(forms)} plural forms where the header's nplurals is {plural.nplurals}"
    edges = _edges_problem(segment)
    if edges is not None:
        return edges
    seen = _as_msgfmt_sees(segment)
    filled = tuple(form or _NO_TEXT for form in forms)
    ctx = CheckContext("", "", _rare_as_single(plural))
    problems = (newlines_rule(seen, filled, ctx), placeholders_rule(seen, filled, ctx))
    return " | ".join(p for p in problems if p) or None


@functools.lru_cache(maxsize=64)
def _rare_as_single(plural: PluralInfo) -> PluralInfo:
    """`plural` with `single` set as msgfmt sees it: on every form used rarely."""
    counts = [0] * plural.nplurals
    for n in range(1001):
        counts[plural.index(n)] += 1
    forms = tuple(
        dataclasses.replace(form, single=counts[form.index] < _OFTEN) for form in plural.forms
    )
    return dataclasses.replace(plural, forms=forms)


def _edges_problem(segment: Segment) -> str | None:
    """msgid and msgid_plural must both begin (and both end) with a line break, or neither:
    a template problem no translation can fix."""
    if segment.msgid_plural is None:
        return None
    for edge, test in (("begin", str.startswith), ("end", str.endswith)):
        if test(segment.msgid, "\n") != test(segment.msgid_plural, "\n"):
            return f"msgid and msgid_plural do not both {edge} with '\\n'"
    return None


def _as_msgfmt_sees(segment: Segment) -> Segment:
    """The segment with the flags msgfmt acts on: a format kind (`X` or `possible-X`) only
    when the source is a valid X format string (msgfmt checks nothing against an invalid
    one), and no unspaced `range:`."""
    flags = [f for f in segment.flags if not _UNSPACED_RANGE.match(f)]
    for kind in FORMAT_KINDS:
        if f"possible-{kind}" in flags or kind in flags:
            flags = [f for f in flags if f not in (kind, f"possible-{kind}")]
            flags += [kind] if _valid(segment, kind) else []
    return dataclasses.replace(segment, flags=tuple(flags))


def _valid(segment: Segment, kind: str) -> bool:
    texts = (segment.msgid, segment.msgid_plural or "")
    return not any(format_signature(text, kind)[1] for text in texts)
