r"""The mkdocs dialect: Python-Markdown syntax of MkDocs Material sites, as markdown-it rules.

CommonMark reads this syntax as paragraph text; these block rules give it its structure so
that only its prose is translated and every marker line comes back as it was:

- containers whose body is indented by four spaces: admonitions (`!!! type "Title"`),
  details (`???`, `???+`) and content tabs (`=== "Label"`); the type keyword stays, a
  quoted title or label is translated, the body is nested blocks;
- pymdownx blocks (`/// type | title`, indented YAML options, body, closing `///`): the
  type and options stay, the title (but for `html`) and the body are translated;
- HTML blocks with a `markdown` attribute (md_in_html): the tag lines stay, the Markdown
  inside is translated;
- abbreviation definitions (`*[HTML]: Hyper Text…`): the key stays, the text is
  translated;
- kept as they are: mkdocstrings `::: package.module` lines and their indented options,
  snippet lines (`--8<-- "file"`, `--8<--` blocks, and `;--8<--` escaped ones), Jinja
  statement lines of mkdocs-macros (`{% … %}`, a line that is one `{{ … }}`), arithmatex
  block math (`\begin{env}` … `\end{env}`, `\[` … `\]`), and `[TOC]`;
- definition lists and footnotes come from mdit-py-plugins.

Inline syntax (attr_list, emoji, keys, footnote markers, critic markers, math, Jinja) is
masked for the engine in catalog.markup_mkdocs.
"""

from __future__ import annotations

import re
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin

CONTAINER = "mk_container"
"""Token type prefix of admonitions, details and tabs (`_open` / `_close`)."""
BLOCK = "mk_block"
"""pymdownx blocks (`///`)."""
HTML = "mk_html"
"""An HTML element with the `markdown` attribute."""
VERBATIM = "mk_verbatim"
"""Lines kept byte for byte: mkdocstrings, snippets, Jinja statements, `[TOC]`."""
ABBR = "mk_abbr"
"""An abbreviation definition: `*[KEY]: text`."""

_ADMONITION = re.compile(
    r"(?P<marker>!!!|\?\?\?\+?)[ \t]*(?P<kind>[\w-]+(?:[ \t]+[\w-]+)*)?"
    r"(?:[ \t]+\"(?P<title>.*)\")?[ \t]*$"
)
_DETAILS_TITLE_ONLY = re.compile(r"(?P<marker>\?\?\?\+?)[ \t]*\"(?P<title>.*)\"[ \t]*$")
_TAB = re.compile(r"(?P<marker>===[+!]{0,2})[ \t]+\"(?P<title>.*)\"[ \t]*(?:\{[^{}\n]*\})?[ \t]*$")
_BLOCK = re.compile(
    r"(?P<marker>/{3,})[ \t]*(?P<kind>[\w-]+)(?:[ \t]*\|[ \t]*(?P<title>.*?))?[ \t]*$"
)
_UNTITLED_BLOCKS = frozenset({"html"})
"""Block types whose `| …` is not a title: `/// html | div.class` names an element."""
_MD_HTML = re.compile(
    r"<(?P<tag>[A-Za-z][\w-]*)(?=[\s>])[^<>]*?\smarkdown(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|\w+))?"
    r"[^<>]*>[ \t]*$"
)
_MKDOCSTRINGS = re.compile(r"(?:#{1,6}[ \t]+)?:::[ \t]+\S")
_SNIPPET_LINE = re.compile(r";*-{1,}8<-{1,}[ \t]+\S")
_SNIPPET_FENCE = re.compile(r";*-{1,}8<-{1,}[ \t]*$")
_MATH_BEGIN = re.compile(r"\\begin\{(?P<env>[^{}\n]+)\}|\\\[[ \t]*$")
_JINJA_STATEMENT = re.compile(r"\{%-?")
_JINJA_LINE = re.compile(r"\{\{.*\}\}[ \t]*$")
_TOC = re.compile(r"\[TOC\][ \t]*$")
_ABBR = re.compile(r"\*\[(?P<key>[^\]\n]+)\]:[ \t]*(?P<text>.*?)[ \t]*$")


def use_mkdocs_rules(md: MarkdownIt) -> None:
    """Add the dialect's block rules (before fences, so marker lines win)."""
    alt = {"alt": ["paragraph", "reference", "blockquote", "list"]}
    md.block.ruler.before("fence", "mk_container", _container, alt)
    md.block.ruler.before("fence", "mk_block", _block, alt)
    md.block.ruler.before("fence", "mk_verbatim", _verbatim, alt)
    md.block.ruler.before("fence", "mk_abbr", _abbreviation, alt)
    md.block.ruler.before("html_block", "mk_html", _md_in_html, alt)
    md.block.ruler.before("html_block", "mk_raw_html", _raw_html, alt)
    footnote_plugin(md, inline=False)
    deflist_plugin(md)


# --- helpers -----------------------------------------------------------------------------


def _line(state: StateBlock, n: int) -> tuple[int, int]:
    """Offsets of line n's content (after its indentation) and of its end."""
    return state.bMarks[n] + state.tShift[n], state.eMarks[n]


def _marker_start(state: StateBlock, n: int) -> int | None:
    """Where line n's content starts, or None when its indentation makes it code."""
    if state.sCount[n] - state.blkIndent >= 4:
        return None
    return state.bMarks[n] + state.tShift[n]


def _blank(state: StateBlock, n: int) -> bool:
    return state.bMarks[n] + state.tShift[n] >= state.eMarks[n]


def _indented_end(state: StateBlock, first: int, end: int, indent: int) -> int:
    """The line after the last one of an indented body that starts at `first`: blank lines
    belong to it only when an indented line follows them."""
    last = first
    n = first
    while n < end:
        if _blank(state, n):
            n += 1
            continue
        if state.sCount[n] < indent:
            break
        n += 1
        last = n
    return last


def _tokenize_nested(state: StateBlock, first: int, end: int, indent: int, parent: str) -> None:
    old = (state.parentType, state.lineMax, state.blkIndent)
    state.parentType, state.lineMax, state.blkIndent = parent, end, indent  # type: ignore[assignment]
    state.md.block.tokenize(state, first, end)
    state.parentType, state.lineMax, state.blkIndent = old


def _title_meta(state: StateBlock, start: int, match: re.Match[str]) -> dict[str, Any]:
    title = match.group("title")
    if title is None or not title.strip():
        return {"title": None}
    return {"title": (start + match.start("title"), start + match.end("title"))}


# --- the rules -----------------------------------------------------------------------------


def _container(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """`!!!`, `???`, `???+` and `===` with a body indented by four more columns."""
    if (start := _marker_start(state, start_line)) is None:
        return False
    stop = state.eMarks[start_line]
    if state.src[start : start + 3] not in ("!!!", "???", "==="):
        return False
    row = state.src[start:stop]
    if row.startswith("==="):
        m, kind = _TAB.match(row), "tab"
    else:
        m = _ADMONITION.match(row)
        if m is None or m.group("kind") is None:
            m = _DETAILS_TITLE_ONLY.match(row)
        kind = "admonition" if row.startswith("!!!") else "details"
        if m is not None and m.groupdict().get("kind") is None and kind == "admonition":
            m = None
    if m is None:
        return False
    if silent:
        return True
    indent = state.sCount[start_line] + 4
    body_end = _indented_end(state, start_line + 1, end_line, indent)
    token = state.push(CONTAINER + "_open", "div", 1)
    token.markup = m.group("marker")
    keyword = (m.groupdict().get("kind") or "").strip()
    token.info = " ".join([m.group("marker"), *keyword.split()])
    token.meta = {"kind": kind, **_title_meta(state, start, m)}
    token.map = [start_line, body_end]
    _tokenize_nested(state, start_line + 1, body_end, indent, "mkdocs")
    state.push(CONTAINER + "_close", "div", -1).markup = m.group("marker")
    state.line = body_end
    return True


def _block(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """`/// type | title`, its indented options, a body, and the same `///` closing it."""
    if (start := _marker_start(state, start_line)) is None:
        return False
    stop = state.eMarks[start_line]
    if not state.src.startswith("///", start):
        return False
    m = _BLOCK.match(state.src[start:stop])
    if m is None:
        return False
    fence = m.group("marker")
    close = None
    for n in range(start_line + 1, end_line):
        a, b = _line(state, n)
        if state.src[a:b].rstrip(" \t") == fence and state.sCount[n] == state.sCount[start_line]:
            close = n
            break
    if close is None:
        return False
    if silent:
        return True
    options_end = start_line + 1
    while options_end < close and not _blank(state, options_end):
        if state.sCount[options_end] < state.sCount[start_line] + 4:
            break
        options_end += 1
    token = state.push(BLOCK + "_open", "div", 1)
    token.markup = fence
    token.info = f"{fence} {m.group('kind')}"
    title = _title_meta(state, start, m)
    if m.group("kind") in _UNTITLED_BLOCKS:
        title = {"title": None}
        token.info += " | " + (m.group("title") or "")
    token.meta = {"kind": "block", **title}
    token.map = [start_line, close + 1]
    token.content = state.src[state.bMarks[start_line + 1] : state.bMarks[options_end]]
    _tokenize_nested(state, options_end, close, state.blkIndent, "mkdocs")
    end = state.push(BLOCK + "_close", "div", -1)
    end.markup = fence
    end.map = [close, close + 1]
    state.line = close + 1
    return True


def _verbatim(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """Lines that are not prose: mkdocstrings, snippets, Jinja statements, `[TOC]`."""
    if (start := _marker_start(state, start_line)) is None:
        return False
    stop = state.eMarks[start_line]
    row = state.src[start:stop]
    last = start_line + 1
    if _MKDOCSTRINGS.match(row):
        last = _indented_end(state, start_line + 1, end_line, state.sCount[start_line] + 4)
    elif _SNIPPET_FENCE.match(row):
        fence = row.strip()
        for n in range(start_line + 1, end_line):
            a, b = _line(state, n)
            if state.src[a:b].strip() == fence:
                last = n + 1
                break
        else:
            return False
    elif m := _MATH_BEGIN.match(row):  # arithmatex block math: `\begin{env}`, `\[`
        closer = f"\\end{{{m['env']}}}" if m["env"] else "\\]"
        n = start_line
        while closer not in state.src[_line(state, n)[0] : state.eMarks[n]]:
            n += 1
            if n >= end_line or _blank(state, n):
                return False
        last = n + 1
    elif _JINJA_STATEMENT.match(row):
        n = start_line
        while "%}" not in state.src[_line(state, n)[0] : state.eMarks[n]]:
            n += 1
            if n >= end_line or _blank(state, n):
                return False
        last = n + 1
    elif not (_SNIPPET_LINE.match(row) or _TOC.match(row) or _JINJA_LINE.match(row)):
        return False
    if silent:
        return True
    token = state.push(VERBATIM, "", 0)
    token.map = [start_line, last]
    token.content = state.src[state.bMarks[start_line] : state.eMarks[last - 1]]
    state.line = last
    return True


def _abbreviation(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    if (start := _marker_start(state, start_line)) is None:
        return False
    stop = state.eMarks[start_line]
    m = _ABBR.match(state.src[start:stop])
    if m is None:
        return False
    if silent:
        return True
    opener = state.push(ABBR + "_open", "", 1)
    opener.info = m.group("key")
    opener.map = [start_line, start_line + 1]
    inline = state.push("inline", "", 0)
    inline.content = m.group("text")
    inline.map = [start_line, start_line + 1]
    inline.children = []
    if m.group("text"):
        inline.meta["lines"] = [(start + m.start("text"), start + m.end("text"))]
    else:
        inline.meta["lines"] = []
    state.push(ABBR + "_close", "", -1)
    state.line = start_line + 1
    return True


def _md_in_html(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """`<div markdown>` … `</div>`: the tag lines stay, the inside is Markdown."""
    if (start := _marker_start(state, start_line)) is None:
        return False
    stop = state.eMarks[start_line]
    m = _MD_HTML.match(state.src[start:stop])
    if m is None:
        return False
    tag = m.group("tag").lower()
    opening = re.compile(rf"<{re.escape(tag)}(?=[\s>])", re.IGNORECASE)
    closing = re.compile(rf"</{re.escape(tag)}\s*>[ \t]*$", re.IGNORECASE)
    depth, close = 1, None
    for n in range(start_line + 1, end_line):
        a, b = _line(state, n)
        row = state.src[a:b]
        depth += len(opening.findall(row))
        if closing.match(row):
            depth -= 1
            if depth == 0:
                close = n
                break
    if close is None:
        return False
    if silent:
        return True
    token = state.push(HTML + "_open", tag, 1)
    token.info = state.src[start:stop].strip()
    token.map = [start_line, close + 1]
    _tokenize_nested(state, start_line + 1, close, state.blkIndent, "mkdocs")
    end = state.push(HTML + "_close", tag, -1)
    end.info = state.src[_line(state, close)[0] : state.eMarks[close]].strip()
    end.map = [close, close + 1]
    state.line = close + 1
    return True


_BLOCK_TAG = re.compile(
    r"<(?P<tag>address|article|aside|blockquote|details|dialog|div|dl|fieldset|figure|footer"
    r"|form|h[1-6]|header|hr|iframe|main|nav|noscript|ol|p|pre|script|section|style|table"
    r"|ul|video|canvas|math|svg)(?=[\s/>])",
    re.IGNORECASE,
)


def _raw_html(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """Python-Markdown keeps a block-level element as raw HTML up to its closing tag, blank
    lines included (CommonMark ends it at the first blank line and reads on as Markdown)."""
    if state.sCount[start_line] != state.blkIndent:
        return False
    start, stop = _line(state, start_line)
    m = _BLOCK_TAG.match(state.src, start, stop)
    if m is None or _MD_HTML.match(state.src[start:stop]):
        return False
    opening = re.compile(rf"<{m['tag']}(?=[\s/>])", re.IGNORECASE)
    closing = re.compile(rf"</{m['tag']}\s*>", re.IGNORECASE)
    depth, blank_seen = 0, False
    for n in range(start_line, end_line):
        row = state.src[_line(state, n)[0] : state.eMarks[n]]
        blank_seen = blank_seen or not row.strip()
        depth += len(opening.findall(row)) - len(closing.findall(row))
        if depth <= 0:
            break
    else:
        return False
    if not blank_seen:
        return False  # CommonMark's own html_block reads it the same way
    if silent:
        return True
    token = state.push("html_block", "", 0)
    token.map = [start_line, n + 1]
    token.content = state.getLines(start_line, n + 1, state.blkIndent, True)
    state.line = n + 1
    return True
