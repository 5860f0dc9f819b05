"""Plan: which (segment, locale) pairs need a translation, and which the memory already has.

A pair needs work when it has no non-rejected version made for its current source text.
Items waiting in needs_review count as versions, so they are never re-sent. An approved
translation of the same (msgctxt, msgid, msgid_plural) anywhere in the project is reused
(0 engine calls), and identical strings in one run are translated once.
"""

from __future__ import annotations

import re
from collections import Counter, OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.orm import Session

from locflow.catalog.plurals import PluralInfo
from locflow.catalog.segment import Segment
from locflow.catalog.terms import check_terms
from locflow.connectors.po_parse import parse_header_fields
from locflow.db import catalog_repo, repo, segment_repo
from locflow.db.models import CatalogFile, Project, Translation
from locflow.db.states import State
from locflow.pipeline.charsets import UTF8, catalogue_charset
from locflow.pipeline.plural_rules import rule_for_source
from locflow.pipeline.terms import NO_TERMS, SegmentTermFinder, SegmentTerms, project_glossary

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
    terms: SegmentTerms = NO_TERMS
    glossary_hash: str = ""
    base_n: int | None = None
    """Number of the newest version when planned: the result is stored only if it still is
    (a reviewer's or another run's version written meanwhile wins)."""
    charset: str = UTF8
    """The charset its catalogue is written in (see pipeline.charsets), for the check."""

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
    stale_by_glossary: list[int] = field(default_factory=list)
    """Unreviewed machine versions made under other terms: retranslated."""
    flagged_by_glossary: list[tuple[int, str, str]] = field(default_factory=list)
    """(version id, reason, terms hash): approved or human work that breaks the current
    terms. Flagged once per terms hash: a reviewer's later approval with override sticks."""
    held: int = 0
    """Strings left to translators (`[locales.X] engine = false`): planned, never queued."""

    @property
    def queued_items(self) -> int:
        return sum(len(v) for v in self.queued.values())

    def for_translators(self) -> LocalePlan:
        """This plan with nothing for the engine: what it queued is held for translators
        (memory matches are still reused)."""
        return replace(self, queued=OrderedDict(), held=self.held + self.queued_items)


_PLURAL_HEADERS: dict[str, str | None] = {}
"""Plural-Forms header by catalogue content hash: a catalogue's header is read once per
content (planning asks per source and locale, the review app per string shown)."""


def plural_for(s: Session, source_id: int, locale: str) -> PluralInfo:
    """The stored catalogue's own Plural-Forms when it has one, else `[locales.X]
    plural_forms`, else CLDR's via Babel (see pipeline.plural_rules: a ConfigError when the
    source has plural entries and none of them gives a rule)."""
    digest = s.scalar(
        select(CatalogFile.content_hash).where(
            CatalogFile.source_id == source_id, CatalogFile.locale == locale
        )
    )
    if digest is None:
        return rule_for_source(s, source_id, locale, None)
    if digest not in _PLURAL_HEADERS:
        stored = catalog_repo.catalog_file(s, source_id, locale)
        if stored is None:
            return rule_for_source(s, source_id, locale, None)
        fields = parse_header_fields(stored.content, stored.path)  # only the header is read
        if len(_PLURAL_HEADERS) > 256:
            _PLURAL_HEADERS.clear()
        _PLURAL_HEADERS[digest] = next((v for k, v in fields if k.lower() == "plural-forms"), None)
    return rule_for_source(s, source_id, locale, _PLURAL_HEADERS[digest])


def plan_locale(
    s: Session,
    project: Project,
    locale: str,
    *,
    examples: int = MEMORY_EXAMPLES,
    finder: SegmentTermFinder | None = None,
    keep_charsets: bool = True,
) -> LocalePlan:
    """`keep_charsets`: False when export converts catalogues to UTF-8 ([export] charset)."""
    plan = LocalePlan(locale)
    memory = repo.approved_memory(s, project.id, locale)
    similar = SimilarTranslations(memory) if examples else None
    if finder is None:
        finder = SegmentTermFinder(project_glossary(s, project.id), project.source_locale)
    for source in repo.sources_of(s, project):
        rows = segment_repo.segment_rows(s, source.id, include_obsolete=False)
        if not rows:
            continue
        plural = plural_for(s, source.id, locale)
        charset = catalogue_charset(s, source.id, locale, keep=keep_charsets)
        current = repo.current_versions(s, [r.id for r in rows], locale)
        newest = repo.newest_numbers(s, [r.id for r in rows], locale)
        flagged = repo.ever_approved(
            s, [v.id for vs in current.values() for v in vs if v.state == State.NEEDS_REVIEW]
        )
        for row in rows:
            seg = segment_repo.row_to_segment(row)
            terms = finder.for_segment(seg, locale)
            versions = current.get(row.id, ())
            if _up_to_date(plan, versions, row.source_hash, terms, locale, flagged):
                plan.up_to_date += 1
                continue
            item = WorkItem(
                row.id,
                locale,
                seg,
                row.source_hash,
                plural,
                terms=terms,
                glossary_hash=finder.glossary_hash,
                base_n=newest.get(row.id, 0),
                charset=charset,
            )
            remembered = _remembered(memory, seg.key, terms, locale)
            if similar is not None and remembered is None and seg.key not in plan.queued:
                item = replace(item, memory=similar.nearest(seg.msgid, examples))
            if remembered is not None and len(remembered) == item.nforms and all(remembered):
                plan.reused.append((item, remembered))
            else:
                plan.queued.setdefault(seg.key, []).append(item)
    if plan.flagged_by_glossary:
        done = repo.review_actions(s, [vid for vid, _, _ in plan.flagged_by_glossary])
        plan.flagged_by_glossary = [
            f for f in plan.flagged_by_glossary if (f[0], _flag_action(f[2])) not in done
        ]
    return plan


def _remembered(
    memory: Mapping[Key, tuple[str, ...]], key: Key, terms: SegmentTerms, locale: str
) -> tuple[str, ...] | None:
    """The approved text of the same entry, unless it breaks today's glossary."""
    remembered = memory.get(key)
    breaks = remembered is not None and terms.expectations
    if breaks and check_terms(remembered, terms.expectations, locale):
        return None
    return remembered


def _flag_action(terms_hash: str) -> str:
    return f"glossary-changed:{terms_hash[:8]}"


def _up_to_date(
    plan: LocalePlan,
    versions: Sequence[Translation],
    source_hash: str,
    terms: SegmentTerms,
    locale: str,
    once_approved: set[int],
) -> bool:
    """A version for this source text counts when it was made under today's terms, or is
    reviewed or human work (never replaced; flagged when it breaks the terms)."""
    done = False
    for v in versions:
        if v.source_hash != source_hash or v.state == State.STALE:
            continue
        reviewed = v.state == State.APPROVED or v.origin == "human" or v.id in once_approved
        if v.terms_hash == terms.hash:
            done = True
        elif reviewed:
            done = True
            problems = check_terms(tuple(v.forms), terms.expectations, locale)
            if problems and v.state != State.NEEDS_REVIEW:
                plan.flagged_by_glossary.append((v.id, "; ".join(problems), terms.hash))
        else:
            plan.stale_by_glossary.append(v.id)
    return done


def apply_glossary_changes(s: Session, plan: LocalePlan) -> None:
    """Retire machine versions made under other terms; flag reviewed work that breaks them."""
    for vid in plan.stale_by_glossary:
        version = s.get(Translation, vid)
        if version is not None and version.state != State.STALE:
            repo.transition(s, version, State.STALE, action="glossary-changed")
    for vid, reason, terms_hash in plan.flagged_by_glossary:
        version = s.get(Translation, vid)
        if version is not None and version.state != State.NEEDS_REVIEW:
            repo.transition(
                s, version, State.NEEDS_REVIEW, action=_flag_action(terms_hash), comment=reason
            )


class SimilarTranslations:
    """Approved singular translations, searchable by fuzzy similarity of the source.

    Up to EXACT_UP_TO entries every query is scored against all of them. Above that (a
    project-wide memory of 100k strings costs ~7 ms per query), an index of letter
    trigrams picks the CANDIDATES entries sharing the most distinctive trigrams, and only
    those are scored: trigrams found in more than COMMON entries say little and are not
    indexed. On real msgids the best example found this way scores as high as the best of
    the whole memory in ~94 % of queries (tests/test_translate_step.py)."""

    EXACT_UP_TO = 2_000
    CANDIDATES = 200
    COMMON = 400

    def __init__(self, memory: Mapping[Key, tuple[str, ...]]) -> None:
        pairs = {k[1]: v[0] for k, v in memory.items() if k[2] is None and v and v[0]}
        self._sources = list(pairs)
        self._targets = [pairs[s] for s in self._sources]
        self._postings: dict[str, list[int]] | None = None
        if len(self._sources) > self.EXACT_UP_TO:
            postings: dict[str, list[int]] = {}
            for i, source in enumerate(self._sources):
                for gram in _trigrams(source):
                    postings.setdefault(gram, []).append(i)
            self._postings = {w: ids for w, ids in postings.items() if len(ids) <= self.COMMON}

    def nearest(self, text: str, k: int) -> tuple[tuple[str, str], ...]:
        if not self._sources:
            return ()
        choices: Mapping[int, str] | list[str] = self._sources
        if self._postings is not None:
            shared: Counter[int] = Counter()
            for gram in _trigrams(text):
                shared.update(self._postings.get(gram, ()))
            choices = {i: self._sources[i] for i, _ in shared.most_common(self.CANDIDATES)}
            if not choices:
                return ()
        hits = process.extract(
            text, choices, scorer=fuzz.ratio, limit=k + 1, score_cutoff=MEMORY_MIN_SCORE
        )
        return tuple(
            (self._sources[i], self._targets[i]) for _, _, i in hits if self._sources[i] != text
        )[:k]


_WORD = re.compile(r"[^\W\d_]+")


def _trigrams(text: str) -> set[str]:
    """Letter trigrams of the words, word edges marked by spaces."""
    padded = " " + " ".join(_WORD.findall(text.casefold())) + " "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}
