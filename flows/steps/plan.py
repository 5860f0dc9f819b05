"""Plan: which (segment, locale) pairs need a translation, and which the memory already has.

A pair needs work when it has no non-rejected version made for its current source text.
Items waiting in needs_review count as versions, so they are never re-sent. An approved
translation of the same (msgctxt, msgid, msgid_plural) anywhere in the project is reused
(0 engine calls), and identical strings in one run are translated once.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from rapidfuzz import fuzz, process
from sqlalchemy.orm import Session

from catalog.plurals import PluralInfo, plural_info
from catalog.segment import Segment
from connectors.po import parse_po
from db import repo
from db.models import Project, Source

Key = tuple[str | None, str, str | None]
MEMORY_EXAMPLES = 3
MEMORY_MIN_SCORE = 60.0
"""Fuzzy-match floor (0-100) for a memory example; below it examples mislead more than help."""


@dataclass(frozen=True)
class WorkItem:
    segment_id: int
    locale: str
    segment: Segment
    source_hash: str
    plural: PluralInfo
    memory: tuple[tuple[str, str], ...] = ()
    """Similar approved translations (source, target), sent as style examples."""

    @property
    def nforms(self) -> int:
        return self.plural.nplurals if self.segment.is_plural else 1


@dataclass
class LocalePlan:
    locale: str
    queued: OrderedDict[Key, list[WorkItem]] = field(default_factory=OrderedDict)
    """One engine job per key; every item under it gets the result."""
    reused: list[tuple[WorkItem, tuple[str, ...]]] = field(default_factory=list)
    up_to_date: int = 0

    @property
    def queued_items(self) -> int:
        return sum(len(v) for v in self.queued.values())


def plural_for(s: Session, source: Source, locale: str) -> PluralInfo:
    """The catalogue's own Plural-Forms when it has one, else CLDR's via Babel."""
    stored = repo.catalog_file(s, source.id, locale)
    header = None
    if stored is not None:
        header = parse_po(stored.content, stored.path).plural_forms()
    return plural_info(locale, header)


def plan_locale(
    s: Session, project: Project, locale: str, *, examples: int = MEMORY_EXAMPLES
) -> LocalePlan:
    plan = LocalePlan(locale)
    memory = repo.approved_memory(s, project.id, locale)
    similar = SimilarTranslations(memory) if examples else None
    for source in repo.sources_of(s, project):
        rows = repo.segment_rows(s, source.id, include_obsolete=False)
        if not rows:
            continue
        plural = plural_for(s, source, locale)
        current = repo.current_versions(s, [r.id for r in rows], locale)
        for row in rows:
            if any(v.source_hash == row.source_hash for v in current.get(row.id, ())):
                plan.up_to_date += 1
                continue
            seg = repo.row_to_segment(row)
            item = WorkItem(row.id, locale, seg, row.source_hash, plural)
            remembered = memory.get(seg.key)
            if similar is not None and remembered is None and seg.key not in plan.queued:
                item = replace(item, memory=similar.nearest(seg.msgid, examples))
            if remembered is not None and len(remembered) == item.nforms and all(remembered):
                plan.reused.append((item, remembered))
            else:
                plan.queued.setdefault(seg.key, []).append(item)
    return plan


class SimilarTranslations:
    """Approved singular translations, searchable by fuzzy similarity of the source."""

    def __init__(self, memory: Mapping[Key, tuple[str, ...]]) -> None:
        pairs = {k[1]: v[0] for k, v in memory.items() if k[2] is None and v and v[0]}
        self._sources = list(pairs)
        self._targets = [pairs[s] for s in self._sources]

    def nearest(self, text: str, k: int) -> tuple[tuple[str, str], ...]:
        if not self._sources:
            return ()
        hits = process.extract(
            text, self._sources, scorer=fuzz.ratio, limit=k + 1, score_cutoff=MEMORY_MIN_SCORE
        )
        return tuple(
            (self._sources[i], self._targets[i]) for _, _, i in hits if self._sources[i] != text
        )[:k]
