"""Carrying a catalogue's translations to template entries it has no entry for, as GNU
`msgmerge --previous` does when a template moved on.

For a live segment with no entry of its own in the catalogue (and no version yet in that
locale), msgmerge takes, in this order: the entry with the same msgctxt and msgid but
another plural-ness (a singular that became plural, or the reverse; also a changed
msgid_plural), then the closest translated msgid with the same msgctxt at its fuzzy
threshold. Obsolete (`#~`) entries count as well. The text is offered as a fuzzy human
suggestion (needs_review, with the previous msgid), so a reviewer fixes it, the export
writes it as `#, fuzzy` with `#| msgid`, and no engine translates the string again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from locflow.catalog.plurals import parse_plural_forms, plural_info
from locflow.connectors.po_model import PoCatalog, PoEntry
from locflow.db import repo
from locflow.db.models import SegmentRow
from locflow.db.states import State

FUZZY_THRESHOLD = 0.6
"""msgmerge's own threshold for offering a previous translation as fuzzy."""

Key = tuple[str | None, str, str | None]


@dataclass(frozen=True)
class Carried:
    """A catalogue entry's text offered to a segment it does not match exactly."""

    segment_id: int
    forms: tuple[str, ...]
    previous_msgid: str
    exact_msgid: bool
    """True when only the plural-ness or msgid_plural changed (msgmerge's exact match)."""


def nplurals_of(catalog: PoCatalog, locale: str) -> int:
    """The catalogue's own number of plural forms, else the locale's (CLDR), else 2."""
    header = catalog.plural_forms()
    try:
        if header:
            return parse_plural_forms(header)[0]
        return plural_info(locale).nplurals
    except (ValueError, LookupError):
        return 2


def revived(catalog: PoCatalog) -> list[PoEntry]:
    """Obsolete translated entries with no live entry of the same key: msgmerge brings them
    back as they are when the template has their message again."""
    live = {e.segment.key for e in catalog.entries if not e.segment.obsolete}
    return [
        e
        for e in catalog.entries
        if e.segment.obsolete and e.segment.key not in live and any(e.forms)
    ]


def carry(
    catalog: PoCatalog, rows: Sequence[SegmentRow], translated: set[int], nplurals: int
) -> list[Carried]:
    """What msgmerge would carry to each row of `rows` that has no entry of its own in the
    catalogue and whose id is not in `translated` (segments with a version in the locale)."""
    present = {e.segment.key for e in catalog.entries}
    sources = [e for e in catalog.entries if any(e.forms) and e.segment.msgid]
    by_msgid: dict[tuple[str | None, str], PoEntry] = {}
    for e in sorted(sources, key=lambda e: e.segment.obsolete):  # live entries first
        by_msgid.setdefault((e.segment.msgctxt, e.segment.msgid), e)
    by_context: dict[str | None, list[tuple[PoEntry, frozenset[str]]]] = {}
    for e in sources:
        by_context.setdefault(e.segment.msgctxt, []).append((e, _ngrams(e.segment.msgid)))
    out = []
    for row in rows:
        key: Key = (row.msgctxt, row.msgid, row.msgid_plural)
        if row.id in translated or key in present:
            continue
        found = by_msgid.get((row.msgctxt, row.msgid))
        exact = found is not None
        if found is None:
            found = _closest(row.msgid, by_context.get(row.msgctxt, []))
        if found is None:
            continue
        forms = _fit(found.forms, row.msgid_plural is not None, nplurals)
        out.append(Carried(row.id, forms, found.segment.msgid, exact))
    return out


def _closest(msgid: str, candidates: Sequence[tuple[PoEntry, frozenset[str]]]) -> PoEntry | None:
    """The closest translated msgid at FUZZY_THRESHOLD or above, among the entries sharing a
    4-gram with it (msgmerge's index: "Search" is no candidate for "Sidebar")."""
    grams = _ngrams(msgid)
    entries = [e for e, theirs in candidates if not grams or grams & theirs]
    if not entries:
        return None
    best = process.extractOne(
        msgid,
        [e.segment.msgid for e in entries],
        scorer=fuzz.ratio,
        score_cutoff=FUZZY_THRESHOLD * 100,
    )
    return entries[best[2]] if best is not None else None


def _ngrams(text: str, n: int = 4) -> frozenset[str]:
    return frozenset(text[i : i + n] for i in range(len(text) - n + 1))


def _fit(forms: tuple[str, ...], plural: bool, nplurals: int) -> tuple[str, ...]:
    """msgmerge's forms: a singular's text in every plural form, a plural's first form for
    a singular; a plural with another number of forms keeps its own (msgfmt flags it)."""
    if plural and len(forms) == 1:
        return forms * max(nplurals, 1)
    if not plural and len(forms) > 1:
        return forms[:1]
    return forms


NOTE = {
    "check": "fuzzy",
    "severity": "warning",
    "message": "carried from another entry of the catalogue, as msgmerge does: review it",
}


def carried_versions(
    carried: Sequence[Carried], rows: dict[int, SegmentRow], locale: str, author: str
) -> list[repo.NewVersion]:
    """The carried texts as fuzzy human suggestions for the segments' current source."""
    return [
        repo.NewVersion(
            segment_id=c.segment_id,
            locale=locale,
            forms=c.forms,
            state=State.NEEDS_REVIEW,
            origin="human",
            source_hash=rows[c.segment_id].source_hash,
            author=author,
            previous_msgid=c.previous_msgid,
            issues=(NOTE,),
        )
        for c in carried
    ]
