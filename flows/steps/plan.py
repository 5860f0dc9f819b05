"""Plan: which (segment, locale) pairs need a translation, and which the memory already has.

A pair needs work when it has no non-rejected version made for its current source text.
Items waiting in needs_review count as versions, so they are never re-sent. An approved
translation of the same (msgctxt, msgid, msgid_plural) anywhere in the project is reused
(0 engine calls), and identical strings in one run are translated once.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from catalog.plurals import PluralInfo, plural_info
from catalog.segment import Segment
from connectors.po import parse_po
from db import repo
from db.models import Project, Source

Key = tuple[str | None, str, str | None]


@dataclass(frozen=True)
class WorkItem:
    segment_id: int
    locale: str
    segment: Segment
    source_hash: str
    plural: PluralInfo

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


def plan_locale(s: Session, project: Project, locale: str) -> LocalePlan:
    plan = LocalePlan(locale)
    memory = repo.approved_memory(s, project.id, locale)
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
            if remembered is not None and len(remembered) == item.nforms and all(remembered):
                plan.reused.append((item, remembered))
            else:
                plan.queued.setdefault(seg.key, []).append(item)
    return plan
