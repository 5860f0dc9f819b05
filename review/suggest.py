"""Translation-memory suggestions for the item page: the closest approved translations of
similar strings in the same locale (plural strings included), with their similarity.

Built on the index `pipeline.plan.SimilarTranslations` uses (letter trigrams of the words,
the most distinctive ones picking candidates above EXACT_UP_TO entries; rapidfuzz's ratio
scores them, MEMORY_MIN_SCORE the floor), but one that can change: entries are added and
withdrawn one by one.

`SuggestionCache` keeps one index per (project, locale) in the process. It is never rebuilt
for an approval: each read first applies what changed since its watermark (versions
inserted approved, and state changes, which all leave a `reviews` row; see `db.tm_repo`),
so an approval made here, from the CLI or by another worker shows on the next page. It
rebuilds only when the ids went backwards (a reset database) or after MAX_AGE as a backstop
for transactions that commit out of id order on PostgreSQL (LAG re-reads recent ids too).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from sqlalchemy.orm import Session

from locflow.db import tm_repo
from locflow.db.tm_repo import Key, MemoryRow, Watermark
from locflow.pipeline.plan import MEMORY_MIN_SCORE, SimilarTranslations, _trigrams

SUGGESTIONS = 5


@dataclass(frozen=True)
class Suggestion:
    msgctxt: str | None
    msgid: str
    msgid_plural: str | None
    forms: tuple[str, ...]
    score: int
    """Similarity of the source texts, 0-100 (100: the same text, another context)."""
    version_id: int


def _text(key: Key) -> str:
    """What is compared: the msgid, and the plural after it (so plural strings match plural
    strings best)."""
    return key[1] if key[2] is None else f"{key[1]}\n{key[2]}"


@dataclass
class _Entry:
    key: Key
    version_id: int
    forms: tuple[str, ...]


class MemoryIndex:
    """Approved translations of one locale by key (the newest approved version of a key
    wins), searchable by fuzzy similarity of the source text."""

    EXACT_UP_TO = SimilarTranslations.EXACT_UP_TO
    CANDIDATES = SimilarTranslations.CANDIDATES
    COMMON = SimilarTranslations.COMMON

    def __init__(self, rows: Iterable[MemoryRow] = ()) -> None:
        self._slots: list[_Entry | None] = []
        self._by_key: dict[Key, int] = {}
        self._texts: dict[int, str] = {}
        self._postings: dict[str, set[int]] = {}
        for row in rows:
            self.offer(row)

    def __len__(self) -> int:
        return len(self._by_key)

    def offer(self, row: MemoryRow) -> None:
        """An approved version: it becomes its key's entry unless a newer one is there."""
        slot = self._by_key.get(row.key)
        if slot is not None:
            entry = self._slots[slot]
            assert entry is not None
            if row.version_id >= entry.version_id:
                entry.version_id, entry.forms = row.version_id, row.forms
            return
        if not any(row.forms):
            return
        slot = len(self._slots)
        self._slots.append(_Entry(row.key, row.version_id, row.forms))
        self._by_key[row.key] = slot
        self._texts[slot] = _text(row.key)
        for gram in _trigrams(self._texts[slot]):
            self._postings.setdefault(gram, set()).add(slot)

    def withdraw(self, row: MemoryRow, replacement: Callable[[Key], MemoryRow | None]) -> None:
        """A version that is no longer approved: if it was its key's entry, the key falls
        back to its newest approved version (`replacement`), or leaves the index."""
        slot = self._by_key.get(row.key)
        entry = self._slots[slot] if slot is not None else None
        if entry is None or entry.version_id != row.version_id:
            return
        other = replacement(row.key)
        if other is not None and other.approved:
            entry.version_id, entry.forms = other.version_id, other.forms
            return
        assert slot is not None
        for gram in _trigrams(self._texts[slot]):
            self._postings.get(gram, set()).discard(slot)
        del self._by_key[row.key], self._texts[slot]
        self._slots[slot] = None

    def nearest(self, key: Key, k: int = SUGGESTIONS) -> list[Suggestion]:
        """The `k` entries whose source is most like `key`'s (never `key` itself)."""
        text = _text(key)
        choices: Mapping[int, str] = self._texts
        if len(self._texts) > self.EXACT_UP_TO:
            shared: Counter[int] = Counter()
            for gram in _trigrams(text):
                ids = self._postings.get(gram, ())
                if len(ids) <= self.COMMON:
                    shared.update(ids)
            choices = {i: self._texts[i] for i, _ in shared.most_common(self.CANDIDATES)}
        hits = process.extract(
            text, choices, scorer=fuzz.ratio, limit=k + 1, score_cutoff=MEMORY_MIN_SCORE
        )
        out = []
        for _, score, slot in hits:
            entry = self._slots[slot]
            if entry is None or entry.key == key:
                continue
            ctx, msgid, plural = entry.key
            out.append(Suggestion(ctx, msgid, plural, entry.forms, int(score), entry.version_id))
        return out[:k]


@dataclass
class _Locale:
    index: MemoryIndex
    seen: Watermark
    built_at: float
    builds: int = 1
    updates: int = 0


@dataclass
class SuggestionCache:
    """One `MemoryIndex` per (project, locale), kept up to date from the change feed."""

    MAX_AGE = 15 * 60.0
    """Seconds before a full rebuild (the backstop; approvals never need one)."""
    LAG = 200
    """Ids re-read below the watermark, for transactions that commit out of id order."""
    clock: Callable[[], float] = time.monotonic
    _locales: dict[tuple[int, str], _Locale] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    """Pages are served from a thread pool: one reader or updater of the indexes at a time."""

    def builds(self, project_id: int, locale: str) -> int:
        """How many times this locale's index was built from scratch (for tests)."""
        entry = self._locales.get((project_id, locale))
        return entry.builds if entry else 0

    def index(self, s: Session, project_id: int, locale: str) -> MemoryIndex:
        """This locale's index, brought up to date first (call with the lock held)."""
        now = tm_repo.watermark(s)
        entry = self._locales.get((project_id, locale))
        if (
            entry is None
            or now.version < entry.seen.version
            or now.review < entry.seen.review
            or self.clock() - entry.built_at > self.MAX_AGE
        ):
            builds = entry.builds + 1 if entry else 1
            index = MemoryIndex(tm_repo.approved(s, project_id, locale))
            self._locales[(project_id, locale)] = _Locale(index, now, self.clock(), builds)
            return index
        if now != entry.seen:
            since = Watermark(
                max(0, entry.seen.version - self.LAG), max(0, entry.seen.review - self.LAG)
            )
            for row in tm_repo.changed(s, project_id, locale, since, now):
                if row.approved:
                    entry.index.offer(row)
                else:
                    entry.index.withdraw(
                        row, lambda key: tm_repo.newest_approved(s, project_id, locale, key)
                    )
            entry.seen = now
            entry.updates += 1
        return entry.index

    def suggest(
        self, s: Session, project_id: int, locale: str, key: Key, k: int = SUGGESTIONS
    ) -> list[Suggestion]:
        with self._lock:
            return self.index(s, project_id, locale).nearest(key, k)
