"""Markdown documents into translatable blocks, each knowing its exact span in the source.

markdown-it-py (CommonMark + GFM tables + `$$` math blocks) finds the blocks; each block's
span is exact (see markdown_tokens), so everything around it can be kept byte for byte. A
msgid is the block's Markdown source with soft-wrapped lines joined by one space and each
hard line break written as a bare `\\n`; shortcut references `[x]` are spelled `[x][x]` so
the label is masked with the link syntax and a translated link text still resolves.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from markdown_it.common.utils import normalizeReference, unescapeAll
from markdown_it.token import Token

from locflow.catalog.markup_mkdocs import ATTR_LIST
from locflow.catalog.placeholders import MD_LINK, TAG, TOKEN_LIKE, mask
from locflow.catalog.segment import Segment
from locflow.connectors.markdown_mkdocs import ABBR, BLOCK, CONTAINER
from locflow.connectors.markdown_source import decode, front_values
from locflow.connectors.markdown_tokens import (
    Flow,
    Parsed,
    code_spans,
    count,
    flow_lines,
    inside,
    parse_tokens,
    same_lines,
    table_cells,
    walk,
)

DOC_FLAGS: tuple[str, ...] = ("markdown",)
DIALECTS = ("commonmark", "mkdocs")
_TITLE = re.compile(
    r"\]\((?:<[^<>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)\s+"
    r"(?P<q>[\"'(])(?P<inner>.*)[\"')]\s*\)",
    re.DOTALL,
)
_ALT = re.compile(r"\salt\s*=\s*(?:\"(?P<d>[^\"\n]*)\"|'(?P<s>[^'\n]*)')", re.IGNORECASE)
_SHORTCUT = re.compile(r"(?<![\\\]])(?P<open>!?\[)(?P<label>[^\[\]\n]+)\](?P<empty>\[\])?(?![\[(])")
_TASK = re.compile(r"\[[ xX]\][ \t]+(?=\S)")
_ATX = re.compile(r"#{1,6}(?=[ \t]|$)[ \t]*")
_ATX_CLOSE = re.compile(r"(?:^|[ \t]+)#+$")
_RAW_HTML = re.compile(r"<(?:script|pre|style|textarea|!--)", re.IGNORECASE)
_CONTAINERS = ("list_item_open", "blockquote_open", "dd_open", "footnote_open")
_KINDS = {
    "list_item_open": ("list_item", "list item"),
    "blockquote_open": ("blockquote", "block quote"),
    "dd_open": ("definition", "definition"),
    "footnote_open": ("footnote", "footnote"),
}
_LINE_OPENERS = {
    "dt_open": ("definition_term", "definition term"),
    ABBR + "_open": ("abbreviation", "abbreviation"),
}
"""Inline containers that are one line of their own (not paragraphs)."""
_TITLES = {
    "admonition": ("admonition_title", "admonition title"),
    "details": ("details_title", "details title"),
    "tab": ("tab_label", "content tab label"),
    "block": ("block_title", "block title"),
}
_TRAILING_ATTRS = re.compile(r"[ \t\n]+(" + ATTR_LIST.pattern + r")[ \t]*$")
_IMAGE_ONLY = {"image", "link_open", "link_close", "softbreak", "hardbreak"}


@dataclass(frozen=True)
class DocBlock:
    """One translatable span of a document."""

    segment: Segment
    kind: str
    """heading | paragraph | list_item | blockquote | table_cell | image_alt | link_title |
    html_alt | front_matter; in the mkdocs dialect also admonition_title | details_title |
    tab_label | block_title | abbreviation | definition_term | definition | footnote"""
    start: int
    end: int
    """Offsets of the translatable span in Document.text."""
    anchor: tuple[str, str] | None = None
    """For a span inside another block's span (a link title, an inline `<img alt>`): the
    source text right before and after it that a translation of the outer block keeps
    verbatim (a masked token), so the inner translation can be put back into it."""


@dataclass(frozen=True)
class Document:
    path: str
    text: str
    blocks: tuple[DocBlock, ...]
    front_matter_format: str | None
    """yaml | toml | None"""
    dialect: str = "commonmark"


def inline_flags() -> tuple[str, ...]:
    """The flags every doc segment carries; mask its msgid with
    `mask(msgid, flags, markdown=True)` so inline code, links and tags become tokens."""
    return DOC_FLAGS


# --- entry point ---------------------------------------------------------------------------


def parse_markdown(
    text: str | bytes,
    path: str,
    *,
    front_matter_keys: Sequence[str] = ("title", "description"),
    dialect: str = "commonmark",
) -> Document:
    """Split a Markdown document into translatable blocks; raises MarkdownError.

    `dialect` is "commonmark" or "mkdocs" (Python-Markdown with the extensions MkDocs
    Material sites use; see markdown_mkdocs)."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown Markdown dialect {dialect!r}; use one of {DIALECTS}")
    text = decode(text, path)
    parsed = parse_tokens(text, path, dialect)
    blocks: list[DocBlock] = []
    if parsed.front_matter is not None:
        for v in front_values(text, parsed.lines, parsed.front_matter, front_matter_keys):
            meta = (("kind", "front_matter"), ("key", v.key), ("line", str(v.line)))
            seg = _segment(v.value, f"front matter: {v.key}", path, v.line, meta)
            blocks.append(DocBlock(seg, "front_matter", v.start, v.end))
    blocks.extend(_Walker(parsed, path, dialect).blocks())
    blocks.sort(key=lambda b: (b.start, -b.end))
    fmt = parsed.front_matter.format if parsed.front_matter else None
    return Document(path, text, tuple(blocks), fmt, dialect)


def _segment(
    msgid: str, comment: str, path: str, line: int, meta: tuple[tuple[str, str], ...]
) -> Segment:
    return Segment(
        msgid=msgid,
        flags=DOC_FLAGS,
        extracted_comments=comment,
        occurrences=((path, str(line)),),
        meta=meta,
    )


def has_words(text: str) -> bool:
    """Whether anything translatable is left once code, links, URLs and markup are masked."""
    rest = TOKEN_LIKE.sub(" ", mask(text, DOC_FLAGS, markdown=True).text)
    return any(ch.isalpha() for ch in rest)


# --- walking the tokens -------------------------------------------------------------------


class _Walker:
    def __init__(self, parsed: Parsed, path: str, dialect: str) -> None:
        self.p, self.path, self.text = parsed, path, parsed.text
        self.mkdocs = dialect == "mkdocs"
        refs = parsed.env.get("references", {})
        self.refs = set(refs)

    def blocks(self) -> Iterator[DocBlock]:
        stack: list[str] = []
        cell = 0
        tokens = self.p.tokens
        for i, tok in enumerate(tokens):
            if tok.nesting == -1:
                stack.pop()
            if tok.type == "tr_open":
                cell = 0
            if tok.type == "inline" and tok.meta.get("lines"):
                spans = [(self.p.offset(a), self.p.offset(b)) for a, b in tok.meta["lines"]]
                opener = tokens[i - 1]
                if opener.type == "paragraph_open":
                    yield from self._paragraph(tok, spans, stack, tokens[i - 2].type)
                elif opener.type in _LINE_OPENERS:
                    yield from self._one_line(tok, spans, *_LINE_OPENERS[opener.type])
                elif opener.type == "heading_open":
                    yield from self._heading(tok, opener, spans)
                elif opener.type in ("th_open", "td_open"):
                    yield from self._cell(tok, opener.type == "th_open", spans[0], cell)
                    cell += 1
            elif tok.type == "html_block" and tok.map:
                yield from self._html_block(tok)
            elif tok.type in (CONTAINER + "_open", BLOCK + "_open") and tok.meta.get("title"):
                yield from self._title(tok)
            if tok.nesting == 1:
                stack.append(tok.type)

    def _paragraph(
        self, tok: Token, spans: list[tuple[int, int]], stack: list[str], before: str
    ) -> Iterator[DocBlock]:
        if not same_lines(tok.content, "\n".join(self.text[a:b] for a, b in spans)):
            return
        container = next((t for t in reversed(stack) if t in _CONTAINERS), "")
        kind, comment = _KINDS.get(container, ("paragraph", "paragraph"))
        if before == "list_item_open" and (m := _TASK.match(self.text, spans[0][0])):
            spans[0] = (m.end(), spans[0][1])  # a GFM task box stays as it is
        flow = flow_lines(self.text, spans, tok, self.p.env)
        yield from self._inline(tok, flow, kind, comment)

    def _one_line(
        self, tok: Token, spans: list[tuple[int, int]], kind: str, comment: str
    ) -> Iterator[DocBlock]:
        a, b = spans[0]
        if len(spans) != 1 or self.text[a:b].strip() != tok.content.strip():
            return
        flow = Flow()
        flow.add(self.text[a:b].rstrip(" \t"), a)
        yield from self._inline(tok, flow, kind, comment)

    def _title(self, tok: Token) -> Iterator[DocBlock]:
        """The quoted title of an admonition or details, a tab's label, a block's title."""
        a, b = (self.p.offset(x) for x in tok.meta["title"])
        if m := _ATX.match(self.text, a, b):  # `??? note "### Title"`: a heading stays one
            a = m.end()
        title = self.text[a:b]
        if not has_words(title):
            return
        kind, comment = _TITLES[tok.meta["kind"]]
        keyword = tok.info.split(" ", 1)[-1] if " " in tok.info else ""
        comment = f"{comment} ({keyword})" if keyword else comment
        yield self._leaf(title, kind, comment, a, None)

    def _heading(
        self, tok: Token, opener: Token, spans: list[tuple[int, int]]
    ) -> Iterator[DocBlock]:
        level = opener.tag[1:]
        if opener.markup.startswith("#"):
            a, b = spans[0]
            m = _ATX.match(self.text, a, b)
            if m is None:
                return
            body = self.text[m.end() : b].rstrip(" \t")
            body = _ATX_CLOSE.sub("", body).rstrip(" \t")
            if body.strip() != tok.content.strip():
                return
            flow = Flow()
            flow.add(body, m.end())
        else:
            if not same_lines(tok.content, "\n".join(self.text[a:b] for a, b in spans)):
                return
            flow = flow_lines(self.text, spans, tok, self.p.env)
        yield from self._inline(tok, flow, "heading", f"heading {level}", (("level", level),))

    def _cell(
        self, tok: Token, header: bool, row: tuple[int, int], index: int
    ) -> Iterator[DocBlock]:
        cells = table_cells(self.text, *row)
        if index >= len(cells) or not tok.content:
            return
        a, b = cells[index]
        if re.sub(r"\\\|", "|", self.text[a:b]) != tok.content:
            return
        flow = Flow()
        flow.add(self.text[a:b], a)
        yield from self._inline(
            tok, flow, "table_cell", "table header cell" if header else "table cell"
        )

    def _html_block(self, tok: Token) -> Iterator[DocBlock]:
        assert tok.map is not None
        if _RAW_HTML.match(tok.content.lstrip()):
            return
        base = self.p.lines.starts[tok.map[0]]
        raw = self.p.raw(*tok.map)
        for m in TAG.finditer(raw):
            yield from self._alt(m.group(), base + m.start(), None)

    # --- one inline container --------------------------------------------------------

    def _inline(
        self,
        tok: Token,
        flow: Flow,
        kind: str,
        comment: str,
        extra: tuple[tuple[str, str], ...] = (),
    ) -> Iterator[DocBlock]:
        children = tok.children or []
        if not flow.text.strip():
            return
        if any(c.type == "image" for c in children) and all(
            c.type in _IMAGE_ONLY or (c.type == "text" and not c.content.strip()) for c in children
        ):
            yield from self._images(flow, count(children, "image"))
            return
        self._expand_shortcuts(flow)
        if self.mkdocs:
            _drop_trailing_attrs(flow)
        msgid = flow.text
        parent: DocBlock | None = None
        if has_words(msgid):
            verbatim = [(src, src + len(t)) for t, src in flow.parts if src is not None]
            start, end = verbatim[0][0], verbatim[-1][1]
            line = self.p.lines.line_of(start) + 1
            meta = (("kind", kind), ("line", str(line)), *extra)
            seg = _segment(msgid, comment, self.path, line, meta)
            parent = DocBlock(seg, kind, start, end)
            yield parent
        titles = {t.attrGet("title") for t in walk(children) if t.attrGet("title")}
        code = code_spans(msgid)
        for m in MD_LINK.finditer(msgid):
            if inside(m.start(), code):
                continue
            close = m.group("close")
            t = _TITLE.match(close)
            if t is None or unescapeAll(t["inner"]) not in titles or "\n" in t["inner"]:
                continue
            what = "image title" if m.group("open") == "![" else "link title"
            yield from self._nested(flow, m.start("close"), close, t.span("inner"), parent, what)
        html = {c.content for c in children if c.type == "html_inline"}
        for m in TAG.finditer(msgid):
            if inside(m.start(), code):
                continue
            if m.group() in html and (src := flow.source(m.start(), m.end())):
                yield from self._alt(m.group(), src[0], parent)

    def _nested(
        self,
        flow: Flow,
        at: int,
        outer: str,
        inner_span: tuple[int, int],
        parent: DocBlock | None,
        comment: str,
    ) -> Iterator[DocBlock]:
        """A link title: `outer` is msgid[at:at+len(outer)], the title is outer[a:b]."""
        a, b = inner_span
        inner = outer[a:b]
        src = flow.source(at, at + len(outer))
        if not has_words(inner) or src is None:
            return
        start = src[0] + a
        anchor = (outer[:a], outer[b:]) if parent is not None else None
        yield self._leaf(inner, "link_title", comment, start, anchor)

    def _alt(self, tag: str, at: int, parent: DocBlock | None) -> Iterator[DocBlock]:
        if not tag.lower().startswith("<img"):
            return
        m = _ALT.search(tag)
        group = "d" if m is not None and m["d"] is not None else "s"
        if m is None or not has_words(m[group]):
            return
        a, b = m.span(group)
        anchor = (tag[:a], tag[b:]) if parent is not None else None
        yield self._leaf(m[group], "html_alt", "HTML alt text", at + a, anchor)

    def _images(self, flow: Flow, count: int) -> Iterator[DocBlock]:
        """An image-only block: each image's alt text (and title) on its own."""
        msgid = flow.text
        found = [m for m in MD_LINK.finditer(msgid) if m.group("open") == "!["]
        if len(found) != count:
            return
        for m in found:
            a, b = m.end("open"), m.start("close")
            src = flow.source(a, b)
            if src is not None and has_words(msgid[a:b]):
                yield self._leaf(msgid[a:b], "image_alt", "image alt text", src[0], None)
            t = _TITLE.match(m.group("close"))
            if t is not None and "\n" not in t["inner"]:
                close = m.group("close")
                yield from self._nested(
                    flow, m.start("close"), close, t.span("inner"), None, "image title"
                )

    def _leaf(
        self, msgid: str, kind: str, comment: str, start: int, anchor: tuple[str, str] | None
    ) -> DocBlock:
        line = self.p.lines.line_of(start) + 1
        seg = _segment(msgid, comment, self.path, line, (("kind", kind), ("line", str(line))))
        return DocBlock(seg, kind, start, start + len(msgid), anchor)

    def _expand_shortcuts(self, flow: Flow) -> None:
        """`[label]` and `[label][]` become `[label][label]`, so a translated link text
        keeps pointing at its reference definition (the `][label]` part gets masked)."""
        text = flow.text
        code = code_spans(text)
        for m in reversed(list(_SHORTCUT.finditer(text))):
            if normalizeReference(m["label"]) not in self.refs:
                continue
            if inside(m.start(), code):
                continue
            if m["empty"]:
                flow.insert(m.end() - 1, m["label"])
            else:
                flow.insert(m.end(), f"[{m['label']}]")


def _drop_trailing_attrs(flow: Flow) -> None:
    """attr_list at the end of a block (`## Title { #id }`, a paragraph's last line
    `{: .note }`) belongs to the block, not to its text: it stays out of the msgid, so it
    stays where Python-Markdown looks for it."""
    text = flow.text
    m = _TRAILING_ATTRS.search(text)
    if m is None or not text[: m.start()].strip() or flow.source(m.start(1), len(text)) is None:
        return
    flow.truncate(len(text[: m.start()].rstrip(" \t\n")))
