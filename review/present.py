"""How review screens show a string: highlighted placeholders and glossary terms, word
diffs between versions, provenance, writing direction and plural-form labels.

Pure functions returning plain pieces of text with a kind; the templates escape every piece
(Jinja autoescape), so nothing here produces markup.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar

from locflow.catalog.locales import UnknownLocale, babel_locale
from locflow.catalog.placeholders import mask
from locflow.catalog.plurals import PluralInfo
from locflow.catalog.segment import Segment
from locflow.catalog.terms import TermExpectation
from locflow.db.states import State
from locflow.glossaries import Glossary, Term
from locflow.glossaries.matching import TermIndex, expectations_for

_TOKEN = re.compile(r"(\[X\d+X\])")
_WORDS = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)
_RTL_FALLBACK = {"ar", "he", "fa", "ur", "yi", "ps", "sd", "ug", "ckb", "dv"}
SHORT = 300
"""How many characters of a source, translation or reason a list shows (queue rows, history
entries): a 2,000-character text would push every other row off the screen. The item page
itself shows the whole text."""
ELLIPSIS = "…"


@dataclass(frozen=True)
class Piece:
    text: str
    kind: str = ""
    """"" plain; a placeholder kind (python-format, tag, url, newline…); "term"."""
    title: str = ""
    """A tooltip: the placeholder kind, or the term's expected translation."""


@dataclass(frozen=True)
class DiffPiece:
    op: str
    """"=" same, "-" removed, "+" added."""
    text: str


def placeholder_spans(text: str, flags: Iterable[str]) -> list[tuple[int, int, str]]:
    """(start, end, kind) of what masking protects in `text`: the same placeholders,
    markup, URLs and line breaks the engines never see."""
    masked = mask(text, tuple(flags))
    by_token = {t.token: t for t in masked.tokens}
    spans: list[tuple[int, int, str]] = []
    pos = len(masked.leading)
    for part in _TOKEN.split(masked.text):
        token = by_token.get(part)
        if token is None:
            pos += len(part)
            continue
        end = pos + len(token.original)
        if text[pos:end] == token.original:
            spans.append((pos, end, token.kind))
        pos = end
    core_end = len(text) - len(masked.trailing)
    if masked.leading and masked.text:
        spans.insert(0, (0, len(masked.leading), "whitespace"))
    if masked.trailing and core_end < len(text):
        spans.append((core_end, len(text), "whitespace"))
    return spans


class GlossaryView:
    """A glossary as review screens use it: terms in a source text (matched the way the
    pipeline matches them) and the accepted translations to look for in the target."""

    def __init__(self, glossary: Glossary | None, source_locale: str) -> None:
        self.glossary = glossary
        self.source_locale = source_locale
        self._index = TermIndex(glossary.terms, source_locale) if glossary else None

    def source_spans(
        self, text: str, flags: Iterable[str], locale: str
    ) -> list[tuple[int, int, str]]:
        if self._index is None or not text:
            return []
        found = self._index.match(text, flags=tuple(flags), markdown="markdown" in flags)
        return [(m.start, m.end, _term_title(m.term, locale)) for m in found]

    def expectations(self, segment: Segment, locale: str) -> tuple[TermExpectation, ...]:
        if self._index is None:
            return ()
        texts = [segment.msgid] + ([segment.msgid_plural] if segment.msgid_plural else [])
        markdown = "markdown" in segment.flags
        matches = [
            m for t in texts for m in self._index.match(t, flags=segment.flags, markdown=markdown)
        ]
        return expectations_for(matches, locale) if matches else ()

    def hints(self, segment: Segment, locale: str, forms: Sequence[str]) -> list[TermHint]:
        """The glossary terms found in the source, each once, with what `locale` expects
        and whether the translation (`forms`) has it or a forbidden word."""
        if self._index is None:
            return []
        markdown = "markdown" in segment.flags
        texts = [segment.msgid] + ([segment.msgid_plural] if segment.msgid_plural else [])
        seen: dict[str, TermHint] = {}
        for text in texts:
            for m in self._index.match(text, flags=segment.flags, markdown=markdown):
                key = f"{m.term.source}\x1f{m.term.part_of_speech}\x1f{m.term.note}"
                if key not in seen:
                    seen[key] = term_hint(m.term, m.text, locale, forms)
        return list(seen.values())


@dataclass(frozen=True)
class TermHint:
    """One glossary term of a string, for the item page's glossary panel."""

    source: str
    """As it stands in the source text."""
    targets: tuple[str, ...]
    """Accepted translations for the locale, preferred first (the source when dnt)."""
    forbidden: tuple[str, ...]
    dnt: bool
    part_of_speech: str
    note: str
    used: bool
    """An accepted form stands in the translation."""
    forbidden_used: tuple[str, ...]
    """Forbidden words that stand in the translation."""


def _occurs(word: str, forms: Sequence[str], case_sensitive: bool) -> bool:
    flags = 0 if case_sensitive else re.IGNORECASE
    pattern = rf"(?<!\w){re.escape(word)}"
    return bool(word) and any(re.search(pattern, f, flags) for f in forms)


def term_hint(term: Term, found: str, locale: str, forms: Sequence[str]) -> TermHint:
    accepted = term.accepted(locale)
    forbidden = term.forbidden_for(locale)
    return TermHint(
        source=found,
        targets=accepted,
        forbidden=forbidden,
        dnt=term.dnt_for(locale),
        part_of_speech=term.part_of_speech,
        note=term.note,
        used=any(_occurs(a, forms, term.case_sensitive) for a in accepted),
        forbidden_used=tuple(w for w in forbidden if _occurs(w, forms, term.case_sensitive)),
    )


def origin_label(origin: str, author: str, engine: str) -> str:
    """Where a version's text came from, in a word or two: "human · fanny", "memory",
    "pseudo" (the engine's name)."""
    if origin == "engine":
        return engine or author or "engine"
    if origin == "tm":
        return "memory"
    if origin == "human":
        return f"human · {author}" if author else "human"
    return origin or "unknown"


def _term_title(term: Term, locale: str) -> str:
    if term.dnt_for(locale):
        return f"{term.source}: keep as is"
    accepted = term.accepted(locale)
    title = f"{term.source} → " + (" / ".join(accepted) if accepted else "(no translation given)")
    forbidden = term.forbidden_for(locale)
    if forbidden:
        title += " (not: " + ", ".join(forbidden) + ")"
    return title + (f" — {term.note}" if term.note else "")


def target_term_spans(
    text: str, expectations: Sequence[TermExpectation]
) -> list[tuple[int, int, str]]:
    """Where an accepted (or do-not-translate) form of a matched term stands in a target."""
    spans: list[tuple[int, int, str]] = []
    for e in expectations:
        title = f"{e.source} → " + ("keep as is" if e.dnt else " / ".join(e.accepted))
        for word in (e.source,) if e.dnt else e.accepted:
            if word:
                flags = 0 if e.case_sensitive else re.IGNORECASE
                for m in re.finditer(rf"(?<!\w){re.escape(word)}", text, flags):
                    spans.append((m.start(), m.end(), title))
    return spans


def highlight(
    text: str, flags: Iterable[str] = (), terms: Sequence[tuple[int, int, str]] = ()
) -> list[Piece]:
    """`text` cut into pieces: placeholders first, then glossary terms, the rest plain."""
    chosen: list[tuple[int, int, str, str]] = [
        (b, e, kind, kind) for b, e, kind in placeholder_spans(text, flags)
    ]
    taken = [(b, e) for b, e, _, _ in chosen]
    for b, e, title in sorted(terms):
        if e > b and all(e <= tb or b >= te for tb, te in taken):
            chosen.append((b, e, "term", title))
            taken.append((b, e))
    pieces: list[Piece] = []
    pos = 0
    for b, e, kind, title in sorted(chosen):
        if b > pos:
            pieces.append(Piece(text[pos:b]))
        pieces.append(Piece(text[b:e], kind, title))
        pos = e
    if pos < len(text):
        pieces.append(Piece(text[pos:]))
    return pieces


def word_diff(old: str, new: str) -> list[DiffPiece]:
    """A word-level diff (whitespace and punctuation are words of their own)."""
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    out: list[DiffPiece] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(DiffPiece("=", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(DiffPiece("-", "".join(a[i1:i2])))
        if j2 > j1:
            out.append(DiffPiece("+", "".join(b[j1:j2])))
    return out


def forms_diff(old: Sequence[str], new: Sequence[str]) -> list[list[DiffPiece]]:
    """One word diff per form (a form missing on one side diffs against "")."""
    n = max(len(old), len(new))
    return [
        word_diff(old[i] if i < len(old) else "", new[i] if i < len(new) else "") for i in range(n)
    ]


P = TypeVar("P", Piece, DiffPiece)


def shorten(text: str, limit: int = SHORT) -> str:
    """`text`, or its first `limit` characters and an ellipsis."""
    return text if len(text) <= limit else text[:limit].rstrip() + ELLIPSIS


def shorten_pieces(pieces: Sequence[P], limit: int = SHORT) -> list[P]:
    """The pieces holding the first `limit` characters, and an ellipsis when that is not all
    of them. A placeholder or a term that does not fit whole is left out, not cut."""
    out: list[P] = []
    left = limit
    for p in pieces:
        if len(p.text) <= left:
            out.append(p)
            left -= len(p.text)
            continue
        if left > 0 and getattr(p, "kind", "") == "":
            out.append(replace(p, text=p.text[:left]))
        out.append(replace(p, text=ELLIPSIS, **_plain(p)))
        break
    return out


def _plain(p: Piece | DiffPiece) -> dict[str, str]:
    """The fields that make an ellipsis plain text: not a placeholder, a term or a deletion."""
    return {"kind": "", "title": ""} if isinstance(p, Piece) else {"op": "="}


def diff_text(pieces: Sequence[DiffPiece]) -> str:
    """A diff as plain text, the way `git diff --word-diff` writes it."""
    marks = {"=": "{}", "-": "[-{}-]", "+": "{{+{}+}}"}
    return "".join(marks[p.op].format(p.text) for p in pieces)


def provenance(
    origin: str, author: str, engine: str, model: str, created_at: datetime | None
) -> str:
    """Who or what wrote a version, and when: "engine qwen_mt (qwen-mt-flash)", "alice"."""
    when = f", {created_at:%Y-%m-%d %H:%M} UTC" if created_at else ""
    if origin == "engine":
        return f"engine {engine or author}" + (f" ({model})" if model else "") + when
    if origin == "tm":
        return "translation memory" + when
    if engine:  # a person confirmed or restored an engine's text
        return f"{author} (from engine {engine}" + (f", {model}" if model else "") + ")" + when
    return f"{author or 'someone'}" + when


def is_rtl(locale: str) -> bool:
    try:
        return babel_locale(locale).character_order == "right-to-left"
    except (UnknownLocale, ValueError):
        return locale.split("_")[0].split("@")[0].lower() in _RTL_FALLBACK


def state_name(state: int) -> str:
    return State(state).name.lower()


def form_labels(plural: PluralInfo, nforms: int, is_plural: bool) -> list[str]:
    """What each msgstr covers: "msgstr[1] · few · n = 2, 3, 4, 22, 23, 24…"."""
    if not is_plural:
        return ["msgstr"]
    labels = []
    for i in range(nforms):
        if i < len(plural.forms):
            f = plural.forms[i]
            shown = ", ".join(str(n) for n in f.examples) or str(f.sample)
            more = "…" if len(f.examples) >= 6 else ""
            labels.append(f"msgstr[{i}] · {f.category} · n = {shown}{more}")
        else:
            labels.append(f"msgstr[{i}] · beyond nplurals={plural.nplurals}")
    return labels
