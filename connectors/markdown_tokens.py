"""How markdown-it sees a document, and how a block's source lines become msgid text.

A wrapper around markdown-it's block tokenizer records where each line's content starts
inside its containers (after `> ` and list indentation), so every inline token carries the
exact source span of each of its lines; `flow_lines` joins those lines into a msgid (soft
breaks become one space, hard breaks a bare newline) while remembering which msgid
characters are verbatim source, for nested spans such as link titles.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin

from locflow.catalog.markup import md_code_spans
from locflow.connectors.markdown_mkdocs import use_mkdocs_rules
from locflow.connectors.markdown_source import BOM, FrontMatter, Lines, find_front_matter

try:
    from markdown_it.common.utils import MD_TRIM_CHARS as _TRIM
except ImportError:  # markdown-it-py 3 trims with str.strip()
    _TRIM = None

# --- markdown-it -------------------------------------------------------------------------


@functools.cache
def markdown_it(dialect: str = "commonmark") -> MarkdownIt:
    """CommonMark with GFM tables and `$$` math blocks; "mkdocs" adds markdown_mkdocs."""
    md = MarkdownIt("commonmark").enable("table")
    dollarmath_plugin(md, allow_labels=False, allow_blank_lines=False)
    md.disable("math_inline")  # `$5 and $10` stays prose; only `$$` blocks are math
    if dialect == "mkdocs":
        use_mkdocs_rules(md)
    original = md.block.tokenize

    def tokenize(state: Any, start_line: int, end_line: int, *rest: Any) -> None:
        first = len(state.tokens)
        original(state, start_line, end_line, *rest)
        for token in state.tokens[first:]:  # innermost calls annotate first
            if token.type == "inline" and token.map and "lines" not in token.meta:
                token.meta["lines"] = [
                    (state.bMarks[n] + state.tShift[n], state.eMarks[n])
                    for n in range(token.map[0], max(token.map[1], token.map[0] + 1))
                ]

    md.block.tokenize = tokenize  # type: ignore[method-assign]
    return md


@dataclass(frozen=True)
class Parsed:
    """A document as markdown-it sees it, with offsets mapped back to the original text."""

    text: str
    lines: Lines
    front_matter: FrontMatter | None
    tokens: list[Token]
    env: dict[str, Any]
    _norm: Lines

    def offset(self, norm: int) -> int:
        """Original offset of an offset into the text markdown-it parsed."""
        n = self._norm.line_of(norm)
        return self.lines.starts[n] + norm - self._norm.starts[n]

    def raw(self, first: int, stop: int) -> str:
        """Original text of lines [first, stop), without the final line break."""
        stop = max(stop, first + 1)
        return self.text[self.lines.starts[first] : self.lines.ends[stop - 1]]


def parse_tokens(text: str, path: str, dialect: str = "commonmark") -> Parsed:
    """Tokens for `text` (already decoded); front matter lines are blanked before parsing."""
    lines = Lines.of(text)
    fm = find_front_matter(text, lines, path)
    hidden = range(fm.first, fm.last + 1) if fm else range(0)
    rows = []
    for n, (a, b) in enumerate(zip(lines.starts, lines.ends, strict=True)):
        row = "" if n in hidden else text[a:b]
        rows.append(" " + row[1:] if n == 0 and row.startswith(BOM) else row)
    norm = "\n".join(rows)
    env: dict[str, Any] = {}
    tokens = markdown_it(dialect).parse(norm, env)
    return Parsed(text, lines, fm, tokens, env, Lines.of(norm))


# --- a block's text as msgid pieces ------------------------------------------------------


@dataclass
class Flow:
    """A msgid built from verbatim source pieces and synthetic joins."""

    parts: list[tuple[str, int | None]] = field(default_factory=list)
    """(text, source offset or None for synthetic text)."""

    @property
    def text(self) -> str:
        return "".join(t for t, _ in self.parts)

    def add(self, text: str, src: int | None) -> None:
        if text:
            self.parts.append((text, src))

    def source(self, a: int, b: int) -> tuple[int, int] | None:
        """Source offsets of msgid range [a, b) when it is one verbatim piece."""
        pos = 0
        for text, src in self.parts:
            if pos <= a and b <= pos + len(text):
                return None if src is None else (src + a - pos, src + b - pos)
            pos += len(text)
        return None

    def truncate(self, keep: int) -> None:
        """Keep the first `keep` characters of the msgid."""
        pos, parts = 0, []
        for piece, src in self.parts:
            if pos < keep:
                parts.append((piece[: keep - pos], src))
            pos += len(piece)
        self.parts[:] = parts

    def insert(self, at: int, text: str) -> None:
        pos = 0
        for i, (piece, src) in enumerate(self.parts):
            if pos <= at <= pos + len(piece):
                cut = at - pos
                tail = [(piece[cut:], None if src is None else src + cut)] if piece[cut:] else []
                head = [(piece[:cut], src)] if cut else []
                self.parts[i : i + 1] = [*head, (text, None), *tail]
                return
            pos += len(piece)


def code_spans(text: str) -> list[tuple[int, int]]:
    """CommonMark code spans (backtick runs of equal length) as [start, end) ranges."""
    return md_code_spans(text)


def inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= pos < b for a, b in spans)


def count(tokens: Sequence[Token], kind: str) -> int:
    return sum((t.type == kind) + count(t.children or (), kind) for t in tokens)


def flow_lines(text: str, spans: list[tuple[int, int]], tok: Token, env: dict[str, Any]) -> Flow:
    """Paragraph-like lines: soft breaks become one space, hard breaks a bare newline.

    A line ending in two spaces or a backslash is a hard break unless it sits inside a code
    span, a tag or a link title; when the count disagrees with markdown-it's, each such line
    is asked of markdown-it itself (does the break go away without its marker?).
    """
    raws = [text[a:b] for a, b in spans]
    code = code_spans("\n".join(raws))
    joins: list[str] = []
    ends: list[int] = []
    pos = 0
    for i, (raw, (a, _)) in enumerate(zip(raws, spans, strict=True)):
        core = a + len(raw.rstrip(" \t"))
        pos += len(raw)
        join = ""
        if i < len(raws) - 1:
            in_code = any(x < pos < y for x, y in code)
            tail = len(raw) - len(raw.rstrip("\\"))
            if not in_code and raw.endswith("  "):
                join = "\n"
            elif not in_code and tail % 2 == 1:
                join, core = "\n", a + len(raw[:-1].rstrip(" \t"))
            else:
                join = " "
                if in_code:  # keep the code's own spaces (a line break in code is one)
                    core = a + len(raw)
        joins.append(join)
        ends.append(core)
        pos += 1
    hard = count(tok.children or (), "hardbreak")
    if joins.count("\n") != hard:
        rows = tok.content.split("\n")
        for i, join in enumerate(joins):
            if join == "\n" and not _breaks_hard(rows, i, hard, env):
                joins[i] = " "
                ends[i] = spans[i][0] + len(raws[i].rstrip(" \t"))
    flow = Flow()
    for (a, _), end, join in zip(spans, ends, joins, strict=True):
        flow.add(text[a:end], a)
        flow.add(join, None)
    return flow


def _breaks_hard(rows: list[str], i: int, hard: int, env: dict[str, Any]) -> bool:
    """Whether line `i` of an inline content ends in a hard break (markdown-it decides)."""
    row = rows[i]
    bare = (row if row.endswith("  ") else row[:-1]).rstrip(" ")
    trial = [*rows[:i], bare, *rows[i + 1 :]]
    found = markdown_it().parseInline("\n".join(trial), dict(env))
    return count(found[0].children or (), "hardbreak") < hard


def table_cells(text: str, a: int, b: int) -> list[tuple[int, int]]:
    """Cell spans of one table row, split as markdown-it's escapedSplit does."""
    row = text[a:b]
    a, b = a + len(row) - len(row.lstrip(_TRIM)), a + len(row.rstrip(_TRIM))
    cells, cur, escaped = [], a, False
    for p in range(a, b):
        if text[p] == "|" and not escaped:
            cells.append((cur, p))
            cur = p + 1
        escaped = text[p] == "\\"
    cells.append((cur, b))
    if cells and cells[0][0] == cells[0][1]:
        cells.pop(0)
    if cells and cells[-1][0] == cells[-1][1]:
        cells.pop()
    out = []
    for x, y in cells:
        cell = text[x:y]
        out.append((x + len(cell) - len(cell.lstrip(_TRIM)), x + len(cell.rstrip(_TRIM))))
    return out


def same_lines(content: str, source: str) -> bool:
    return [s.strip() for s in content.split("\n")] == [s.strip() for s in source.split("\n")]


def walk(tokens: Sequence[Token]) -> Iterator[Token]:
    for t in tokens:
        yield t
        yield from walk(t.children or ())
