"""Finding glossary terms in a source text.

Terms match on word boundaries in scripts written with spaces (Latin, Cyrillic, Greek, Arabic,
Hebrew…) and as substrings in Chinese, Japanese, Korean, Thai, Lao, Khmer and Burmese;
case-insensitively unless a term is case-sensitive; with English plurals and possessives when
the source is English ("notebook" finds "notebooks", "notebook's", "categories"); never inside
what masking protects (format placeholders per the entry's flags, HTML tags and entities,
URLs, e-mail addresses, Markdown code and link targets). On overlaps the longest match wins.

All terms of a glossary compile into one regular expression shaped like a trie, so a text is
scanned once whatever the glossary's size; `TermIndex` is that compiled form and
`match_terms` keeps the last few indexes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from threading import Lock

from locflow.catalog.placeholders import mask
from locflow.catalog.segment import Segment
from locflow.catalog.terms import (
    MARKS,
    NO_SPACE_SCRIPTS,
    POINTS,
    WORD_CHAR,
    TermExpectation,
    fold,
    language,
)
from locflow.glossaries.model import Glossary, Term

_NO_SPACE = re.compile(f"[{NO_SPACE_SCRIPTS}]")
_JOINING = MARKS.removesuffix(POINTS)
_CONSONANT_Y = re.compile(r"[b-df-hj-np-tv-z]y$", re.IGNORECASE)
# after a term: plural -s/-es, then a possessive 's, ' or ’s, ’
_EN_SUFFIX = r"(?:e?s)?(?:['’]s?)?"
_EN_IES_SUFFIX = r"(?:['’])?"
# where another term may start inside a match: a word start, or any CJK/Thai character
_INNER_START = re.compile(f"(?<!{WORD_CHAR})(?=\\S)|(?=[{NO_SPACE_SCRIPTS}])")
# a text without these characters has nothing for `mask()` to protect
_MAYBE_MASKED = re.compile(r"[%{}<>&@`\[\]\n:]|www\.", re.IGNORECASE)
# one right boundary after the whole trie (the engine backtracks into it): a term ending in a
# CJK/Thai character needs none, any other must not run on into a word
# (Arabic and Hebrew vowel points may follow: ملاحظةٌ is ملاحظة)
_RIGHT = f"(?:(?<=[{NO_SPACE_SCRIPTS}])|(?![^\\W_{NO_SPACE_SCRIPTS}]|[{_JOINING}]))"


@dataclass(frozen=True)
class Match:
    term: Term
    start: int
    end: int
    text: str
    """The matched source text (`text[start:end]`), e.g. "Notebooks"."""


class _Trie:
    __slots__ = ("children", "ends")

    def __init__(self) -> None:
        self.children: dict[str, _Trie] = {}
        self.ends: set[str] = set()  # regex tails that complete a term here

    def add(self, literal: str, tail: str) -> None:
        node = self
        for ch in literal:
            node = node.children.setdefault(ch, _Trie())
        node.ends.add(tail)

    def pattern(self, top: bool = False) -> str:
        alternatives = []
        for ch, child in sorted(self.children.items()):
            unit = r"\s+" if ch == " " else re.escape(ch)
            if top and not _NO_SPACE.match(ch):
                unit += f"(?<!{WORD_CHAR}.)"  # left word boundary, after the first char
            alternatives.append(unit + child.pattern())
        alternatives.extend(sorted(self.ends))  # children first: the longest literal wins
        if len(alternatives) == 1:
            return alternatives[0]
        return "(?:" + "|".join(alternatives) + ")"


def _variants(literal: str, english: bool) -> list[tuple[str, str]]:
    """(literal, regex tail) pairs a term's text can appear as."""
    if not english or not literal[-1].isalpha() or _NO_SPACE.match(literal[-1]):
        return [(literal, "")]
    out = [(literal, _EN_SUFFIX)]
    if _CONSONANT_Y.search(literal):  # category → categories
        out.append((literal[:-1] + "ies", _EN_IES_SUFFIX))
    return out


def _base_forms(folded: str, english: bool) -> list[str]:
    """Candidate term texts for a folded match, most literal first."""
    out = [folded]
    if not english:
        return out
    core = re.sub(r"['’]s?$", "", folded)
    out.append(core)
    if core.endswith("ies"):
        out.append(core[:-3] + "y")
    if core.endswith("s"):  # notes → note before not
        out.append(core[:-1])
    if core.endswith("es"):
        out.append(core[:-2])
    return out


class TermIndex:
    """A compiled glossary: one trie-shaped regex for case-insensitive terms, one for the rest."""

    def __init__(self, terms: Iterable[Term], source_locale: str) -> None:
        self.terms = tuple(terms)
        self.source_locale = source_locale
        self.english = language(source_locale) == "en"
        self._folded: dict[str, list[Term]] = {}
        self._exact: dict[str, list[Term]] = {}
        tries = (_Trie(), _Trie())
        for term in self.terms:
            if not term.source:
                continue
            sensitive = term.case_sensitive
            text = term.source if sensitive else fold(term.source)
            (self._exact if sensitive else self._folded).setdefault(text, []).append(term)
            for literal, tail in _variants(text, self.english):
                tries[sensitive].add(literal, tail)
        self._patterns = tuple(
            re.compile(trie.pattern(top=True) + _RIGHT) if trie.children else None for trie in tries
        )
        self._ignorecase: re.Pattern[str] | None = None
        self._memo: tuple[dict[str, list[Term]], dict[str, list[Term]]] = ({}, {})

    def match(
        self, text: str, *, flags: Iterable[str] = (), markdown: bool = False
    ) -> tuple[Match, ...]:
        """Terms in `text`, in order; homonyms (same text, other senses) match together."""
        candidates: list[tuple[int, int, list[Term]]] = []
        folded = fold(text)
        folded_pattern = self._patterns[0]
        if folded_pattern is not None and len(folded) != len(text):  # "İ" lowers to two chars
            folded, folded_pattern = text, self._ignorecase_pattern()
        for pattern, haystack, table in (
            (folded_pattern, folded, self._folded),
            (self._patterns[1], text, self._exact),
        ):
            if pattern is not None:
                candidates.extend(self._scan(pattern, haystack, table))
        if not candidates:
            return ()
        protected = _protected(text, tuple(flags), markdown) if _MAYBE_MASKED.search(text) else []
        chosen: list[tuple[int, int, list[Term]]] = []
        for start, end, terms in sorted(candidates, key=lambda c: (c[0] - c[1], c[0])):
            if any(start < e and s < end for s, e in protected):
                continue
            if any(start < e and s < end and (s, e) != (start, end) for s, e, _ in chosen):
                continue
            chosen.append((start, end, terms))
        chosen.sort(key=lambda c: c[0])
        seen: set[tuple[int, int, int]] = set()
        out = []
        for start, end, terms in chosen:
            for term in terms:
                if (start, end, id(term)) not in seen:
                    seen.add((start, end, id(term)))
                    out.append(Match(term, start, end, text[start:end]))
        return tuple(out)

    def _scan(
        self, pattern: re.Pattern[str], haystack: str, table: dict[str, list[Term]]
    ) -> Iterator[tuple[int, int, list[Term]]]:
        """Leftmost matches plus, inside each, the longest match at every later start."""
        sensitive = table is self._exact
        for m in pattern.finditer(haystack):
            starts = [m]
            for at in _INNER_START.finditer(haystack, m.start() + 1, m.end()):
                inner = pattern.match(haystack, at.start())
                if inner is not None and inner.end() > m.end():
                    starts.append(inner)
            for found in starts:
                key = found.group() if sensitive else fold(found.group())
                terms = self._lookup(" ".join(key.split()), table)
                if terms:
                    yield found.start(), found.end(), terms

    def _lookup(self, key: str, table: dict[str, list[Term]]) -> list[Term]:
        memo = self._memo[table is self._exact]
        hit = memo.get(key)
        if hit is None:
            hit = next((table[b] for b in _base_forms(key, self.english) if b in table), [])
            if len(memo) < 100_000:
                memo[key] = hit
        return hit

    def _ignorecase_pattern(self) -> re.Pattern[str]:
        if self._ignorecase is None:
            assert self._patterns[0] is not None
            self._ignorecase = re.compile(self._patterns[0].pattern, re.IGNORECASE)
        return self._ignorecase


def _protected(text: str, flags: tuple[str, ...], markdown: bool) -> list[tuple[int, int]]:
    """Spans of `text` that masking turns into tokens (line breaks excepted)."""
    masked = mask(text, flags, markdown=markdown)
    spans = []
    shift = len(masked.leading)  # original offset minus masked offset, so far
    pos = 0
    for token in masked.tokens:
        at = masked.text.index(token.token, pos)
        start = at + shift
        if text[start : start + len(token.original)] != token.original:  # pragma: no cover
            start = text.find(token.original, start)
        if token.kind != "newline":
            spans.append((start, start + len(token.original)))
        pos = at + len(token.token)
        shift = start + len(token.original) - pos
    return spans


_CACHE: dict[int, tuple[object, str, TermIndex]] = {}
_CACHE_LOCK = Lock()
_CACHE_SIZE = 8


def compile_terms(glossary_or_terms: Glossary | Sequence[Term], source_locale: str) -> TermIndex:
    """The compiled index of a glossary or a tuple of terms (the last few are kept)."""
    key = id(glossary_or_terms)
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None and hit[0] is glossary_or_terms and hit[1] == source_locale:
            return hit[2]
    terms = (
        glossary_or_terms.terms
        if isinstance(glossary_or_terms, Glossary)
        else tuple(glossary_or_terms)
    )
    index = TermIndex(terms, source_locale)
    with _CACHE_LOCK:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = (glossary_or_terms, source_locale, index)  # holding it keeps the id valid
    return index


def match_terms(
    glossary_or_terms: Glossary | Sequence[Term] | TermIndex,
    text: str,
    source_locale: str,
    *,
    flags: Iterable[str] = (),
    markdown: bool = False,
) -> tuple[Match, ...]:
    """Glossary terms found in `text` (a source string), in order of appearance."""
    index = (
        glossary_or_terms
        if isinstance(glossary_or_terms, TermIndex)
        else compile_terms(glossary_or_terms, source_locale)
    )
    return index.match(text, flags=flags, markdown=markdown)


def match_segment(
    glossary_or_terms: Glossary | Sequence[Term] | TermIndex,
    segment: Segment,
    source_locale: str,
    *,
    markdown: bool = False,
) -> tuple[Match, ...]:
    """Terms in a segment's msgid, then in its msgid_plural (offsets are per text)."""
    texts = [segment.msgid] + ([segment.msgid_plural] if segment.msgid_plural else [])
    return tuple(
        m
        for text in texts
        for m in match_terms(
            glossary_or_terms, text, source_locale, flags=segment.flags, markdown=markdown
        )
    )


def matched_terms(matches: Iterable[Match]) -> tuple[Term, ...]:
    """The distinct terms of some matches, in order of first appearance."""
    return tuple(dict.fromkeys(m.term for m in matches))


def dnt_terms(matches: Iterable[Match], locale: str) -> tuple[Term, ...]:
    """The matched terms that stay untranslated in `locale`."""
    return tuple(t for t in matched_terms(matches) if t.dnt_for(locale))


def expectations_for(matches: Iterable[Match], locale: str) -> tuple[TermExpectation, ...]:
    """What the compliance check (CheckContext.terms) needs for `locale`.

    Homonyms matched on the same text are one expectation: any sense's translation will do.
    """
    groups: dict[tuple[int, int, str], list[Term]] = {}
    for m in matches:
        groups.setdefault((m.start, m.end, m.text), []).append(m.term)
    out: dict[TermExpectation, None] = {}
    for terms in groups.values():
        parts = [e for e in (t.expectation(locale) for t in dict.fromkeys(terms)) if e]
        if not parts:
            continue
        if len(parts) == 1:
            out[parts[0]] = None
            continue
        accepted = tuple(dict.fromkeys(a for p in parts for a in p.accepted))
        dnt = any(p.dnt for p in parts)
        out[
            TermExpectation(
                source=parts[0].source,
                accepted=() if dnt else accepted,
                forbidden=tuple(
                    dict.fromkeys(f for p in parts for f in p.forbidden if f not in accepted)
                ),
                dnt=dnt,
                case_sensitive=all(p.case_sensitive for p in parts),
                note="; ".join(dict.fromkeys(p.note for p in parts if p.note)),
            )
        ] = None
    return tuple(out)
