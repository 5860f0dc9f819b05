"""Soft line breaks of a translated paragraph, laid out the way its source was.

A msgid joins a paragraph's soft-wrapped lines with one space (translations are keyed by
it, so it stays that way); this module gives the translation its line structure back when
the document is rebuilt. A source that was never wrapped stays one line per hard break; a
source written one sentence per line is split at the translation's sentence ends; any other
wrapped source is re-wrapped to the width of its longest line. A break is only made at a
space outside code spans, links, tags and URLs (what `mask` protects), never where the next
line would start another block (a heading, a list, a fence, an MkDocs admonition…) and
never after a backslash, which would turn the soft break into a hard one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from locflow.catalog.placeholders import mask

_EOL = re.compile(r"\r\n|\r|\n")
_GAP = re.compile(r"[ \t]+")
_TOKEN = re.compile(r"\[X\d+X\]")
_ENDS = ".!?:。！？：．｡"
_CLOSERS = "\"'”’»)]」』）】〕》〉*_"
_SENTENCE_END = re.compile(f"[{re.escape(_ENDS)}][{re.escape(_CLOSERS)}\\s\u00a0\u202f]*$")
_DEFINITION = re.compile(r"\[(?:[^\[\]\\]|\\.)+\]:")
_ORDERED = re.compile(r"\d{1,9}[.)](?:[ \t]|$)")
_BULLET = re.compile(r"[-+*](?:[ \t]|$)")
_HTML = re.compile(r"<[A-Za-z/!?]")
_RULE_CHARS = frozenset("-*_=|:")
_ABBREVIATION = re.compile(r"(?:^|[\s(])(?:[^\W\d_]\.)+$")
"""`e.g.`, `i.e.`, `z.`, `B.`, `U.S.` at the end of a text: no sentence ends there."""
_LONE_MARK = re.compile(r"[.,;:!?»)\]」』）】〕》〉”’]+(?:[ \t]|$)")
"""Punctuation standing alone (French `!`, `»`) stays at the end of the line before it."""


# --- what a wrapped line must not start with (each: the text from the line's start on) ----


def _heading(rest: str) -> bool:
    return rest.startswith("#")  # Python-Markdown reads `#word` as a heading too


def _quote(rest: str) -> bool:
    return rest.startswith(">")


def _bullet(rest: str) -> bool:
    return _BULLET.match(rest) is not None


def _ordered(rest: str) -> bool:
    return _ORDERED.match(rest) is not None


def _rule_or_underline(rest: str) -> bool:
    """`---`, `===`, `***`, `___`, `|---|`, `:-:`: a line made of these alone is a setext
    underline, a thematic break or a table's delimiter row (the first word decides)."""
    first = rest.split(None, 1)[0] if rest.strip() else ""
    return bool(first) and set(first) <= _RULE_CHARS


def _table_row(rest: str) -> bool:
    return rest.startswith("|")


def _fence(rest: str) -> bool:
    return rest.startswith(("```", "~~~"))


def _html_block(rest: str) -> bool:
    return _HTML.match(rest) is not None


def _math_block(rest: str) -> bool:
    return rest.startswith("$$")


def _definition(rest: str) -> bool:
    """`[x]: url` and `[^1]: note` (Python-Markdown reads them on any line of a block)."""
    return _DEFINITION.match(rest) is not None


def _mkdocs_block(rest: str) -> bool:
    """Admonitions, collapsible blocks, content tabs, `///` blocks, containers, snippets."""
    return rest.startswith(("!!!", "???", "===", "///", ":::", "--8<--"))


def _abbreviation(rest: str) -> bool:
    return rest.startswith("*[")


def _definition_list(rest: str) -> bool:
    return re.match(r":[ \t]", rest) is not None


LINE_STARTS: dict[str, Callable[[str], bool]] = {
    "heading": _heading,
    "block quote": _quote,
    "bullet list": _bullet,
    "ordered list": _ordered,
    "table row": _table_row,
    "code fence": _fence,
    "HTML block": _html_block,
    "math block": _math_block,
    "definition or footnote": _definition,
    "MkDocs block": _mkdocs_block,
    "abbreviation": _abbreviation,
    "definition list": _definition_list,
    "rule, underline or table delimiter": _rule_or_underline,
}
"""Name → predicate on the text a continuation line would start with."""


def unsafe_start(rest: str) -> str | None:
    """The name of the block `rest` would start as a paragraph's next line, or None."""
    return next((name for name, starts in LINE_STARTS.items() if starts(rest)), None)


def ends_hard(line: str) -> bool:
    """A line ending in a backslash: before a line break that is a hard break."""
    return line.endswith("\\")


# --- the source's shape ---------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """How a paragraph's source is laid out."""

    wrapped: bool
    """It has a soft line break."""
    sentences: bool
    """Every soft-wrapped line ends a sentence: one sentence per line."""
    width: int
    """Its longest line in columns (wide characters count two), container prefix (`> `,
    list indentation) included."""


def source_shape(lines_text: str, hard_breaks: int) -> Shape:
    """The shape of a paragraph whose full source lines are `lines_text` (first line from its
    start, last line to its end) and whose msgid has `hard_breaks` bare newlines."""
    lines = _EOL.split(lines_text)
    width = max(display_width(_without_marker(line)) for line in lines)
    soft = [line for line in lines[:-1] if not _hard_marker(line)]
    wrapped = len(lines) - 1 > hard_breaks and bool(soft)
    sentences = wrapped and all(ends_sentence(line) for line in soft)
    return Shape(wrapped, sentences, width)


def display_width(text: str) -> int:
    """Columns `text` takes in a monospaced editor: wide (CJK) characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _without_marker(line: str) -> str:
    """The line without trailing blanks or a hard-break backslash (markers do not count)."""
    line = line.rstrip()
    tail = len(line) - len(line.rstrip("\\"))
    return line[:-1].rstrip() if tail % 2 else line


def _hard_marker(line: str) -> bool:
    tail = len(line) - len(line.rstrip("\\"))
    return line.endswith("  ") or tail % 2 == 1


def ends_sentence(text: str) -> bool:
    """`.`, `!`, `?`, `:` (or a CJK form), maybe followed by closing quotes or brackets
    (French puts a space before `»`)."""
    return _SENTENCE_END.search(text.rstrip()) is not None


# --- laying out one run of text (between hard breaks) -------------------------------------


def protected(text: str) -> list[tuple[int, int]]:
    """[start, end) of what `mask` hides in `text`: code, links' targets, tags, URLs…"""
    m = mask(text, (), markdown=True)
    originals = {t.token: t.original for t in m.tokens}
    spans, at, pos = [], len(m.leading), 0
    for found in _TOKEN.finditer(m.text):
        at += found.start() - pos
        size = len(originals.get(found.group(), found.group()))
        spans.append((at, at + size))
        at, pos = at + size, found.end()
    return spans


_RULE_ONLY = re.compile(r"[ \t]*(?:=+|-+|(?:[*_-][ \t]*){3,})[ \t]*")


def break_points(run: str, sentences: bool) -> list[tuple[int, int]]:
    """The spaces of `run` a soft line break may replace, as [start, end) ranges."""
    spans = protected(run)
    out = []
    for gap in _GAP.finditer(run):
        a, b = gap.span()
        if a == 0 or b == len(run) or any(x < b and a < y for x, y in spans):
            continue
        before, rest = run[:a], run[b:]
        if ends_hard(before) or unsafe_start(rest) is not None or _RULE_ONLY.fullmatch(before):
            continue  # (`=== more` after a hard break: `===` alone would underline a heading)
        if _LONE_MARK.match(rest) or (sentences and not _sentence_break(before, rest)):
            continue
        out.append((a, b))
    return out


def _sentence_break(before: str, rest: str) -> bool:
    """A sentence ends before the space: not after an abbreviation (`e.g.`, `z. B.`), not
    before a lower-case word."""
    if not ends_sentence(before) or rest[0].islower():
        return False
    return _ABBREVIATION.search(before) is None


def layout(run: str, shape: Shape, indent: int) -> list[str]:
    """`run` (no line breaks) as the lines a source of `shape` would have; `indent` is the
    length of the container prefix every line is written after."""
    if not shape.wrapped:
        return [run]
    gaps = break_points(run, shape.sentences)
    if shape.sentences:
        return _cut(run, gaps)
    room = max(shape.width - indent, 1)
    col = [0]  # col[i]: the display width of run[:i]
    for ch in run:
        col.append(col[-1] + display_width(ch))
    chosen: list[tuple[int, int]] = []
    start, best = 0, None
    for a, b in gaps:
        if col[a] - col[start] > room:
            if best is not None:  # the last space that fit
                chosen.append(best)
                start, best = best[1], None
            if col[a] - col[start] > room:  # a word longer than the line stays whole
                chosen.append((a, b))
                start = b
                continue
        best = (a, b)
    if col[-1] - col[start] > room and best is not None:
        chosen.append(best)
    return _cut(run, chosen)


def _cut(run: str, gaps: Sequence[tuple[int, int]]) -> list[str]:
    lines, start = [], 0
    for a, b in gaps:
        lines.append(run[start:a])
        start = b
    return [*lines, run[start:]]


def hard_break(line: str, marker: str) -> str:
    """`line` ended by a hard break written with `marker` (a backslash or two spaces).

    A line that already ends in an odd run of backslashes gets a space first: `a\\` + `\\`
    would read as an escaped backslash, `a\\` + two spaces as a soft break.
    """
    if not line:
        return "\\"  # an empty line between two breaks would end the paragraph
    tail = len(line) - len(line.rstrip("\\"))
    return line + (" " if tail % 2 else "") + marker
