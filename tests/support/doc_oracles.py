"""Oracles for a translated MkDocs page that do not use our own parser (see real_docs).

- `page_skeleton`: Python-Markdown with a Material-like extension set renders the page; the
  block tags with their classes, code and math verbatim, link and image targets, ids and
  the inline tags extensions make (kbd, mark, abbr, ins, del, ...) are its skeleton, which
  a translation must keep (text and titles may change);
- `marker_difference`: every extension-syntax line (`!!!`, `???`, `===`, `///`, `--8<--`,
  `:::`, `*[`, `[^`, `{%`, `[TOC]`, `{:`) comes back at the same indentation with the same
  keyword, in order; mkdocstrings' indented options under `:::` come back verbatim;
- `soft_breaks`: a soft-wrapped source paragraph is still wrapped in the translation.
"""

from __future__ import annotations

import difflib
import re
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

# --- oracle 1: Python-Markdown's HTML skeleton -----------------------------------------------

_ADMONITIONS = [
    "new", "settings", "note", "abstract", "info", "tip", "success", "question", "warning",
    "failure", "danger", "bug", "example", "important", "quote", "attention", "caution",
    "error", "hint",
]  # fmt: skip


EXTENSIONS = (
    "admonition", "pymdownx.details", "pymdownx.superfences", "pymdownx.tabbed",
    "pymdownx.blocks.admonition", "pymdownx.blocks.details", "pymdownx.blocks.tab",
    "pymdownx.blocks.html", "pymdownx.blocks.definition", "attr_list", "def_list", "footnotes",
    "abbr", "md_in_html", "toc", "tables", "pymdownx.emoji", "pymdownx.keys", "pymdownx.mark",
    "pymdownx.caret", "pymdownx.tilde", "pymdownx.critic", "pymdownx.arithmatex",
    "pymdownx.tasklist", "pymdownx.highlight", "pymdownx.inlinehilite", "pymdownx.snippets",
)  # fmt: skip
"""What a Material site turns on (Python-Markdown's and pymdown-extensions' own)."""


def _options_as_given(language, inputs, options, attrs, md) -> bool:
    options.update(inputs)
    return True


def _any_fence() -> dict[str, object]:
    """Fences with options (```` ```python exec="1" ````) are code, as on a site that runs
    markdown-exec (griffe's, mkdocstrings'); without a validator superfences reads them as
    text and the lines after them as part of it."""
    from pymdownx.superfences import fence_code_format

    return {
        "name": "*",
        "class": "highlight",
        "format": fence_code_format,
        "validator": _options_as_given,
    }


def render(text: str, snippets: Path | None = None, auto_append: Sequence[str] = ()) -> str:
    """HTML from Python-Markdown with the extensions a Material site turns on. Heading ids
    are numbered, not slugs of the (translated) heading text; ids from attr_list stay."""
    import markdown

    base = str(snippets) if snippets else tempfile.gettempdir() + "/locflow-no-snippets"
    details = [{"name": f"details-{t}", "class": t} for t in _ADMONITIONS]
    md = markdown.Markdown(
        extensions=list(EXTENSIONS),
        extension_configs={
            "toc": {"slugify": lambda value, sep: ""},
            "pymdownx.tabbed": {"alternate_style": True},
            "pymdownx.blocks.tab": {"alternate_style": True},
            "pymdownx.blocks.admonition": {"types": _ADMONITIONS},
            "pymdownx.blocks.details": {"types": details},
            "pymdownx.arithmatex": {"generic": True},
            "pymdownx.superfences": {"custom_fences": [_any_fence()]},
            "pymdownx.snippets": {
                "base_path": [base],
                "check_paths": False,
                "auto_append": list(auto_append),
            },
        },
    )
    return md.convert(text)


_BLOCK_TAGS = frozenset((
    "address", "article", "aside", "blockquote", "body", "details", "dd", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
))  # fmt: skip
_INLINE_TAGS = frozenset((
    "a", "img", "input", "label", "kbd", "mark", "ins", "del", "sup", "sub", "abbr", "span", "br",
))  # fmt: skip
_KEPT_ATTRS = ("class", "id", "href", "src", "for", "type", "name", "open", "checked", "data-tabs")
_VERBATIM = frozenset(("code", "pre", "script"))


class _Skeleton(HTMLParser):
    """Start tags as `depth<tag attrs>` and verbatim text of code, pre and math."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.events: list[str] = []
        self.stack: list[tuple[str, bool]] = []  # (tag, recorded)
        self.depth = 0
        self.raw: list[str] | None = None
        self.raw_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "hr", "img", "input"):
            self._record(tag, attrs)
            return
        if self.raw is not None:
            self.stack.append((tag, False))
            return
        classes = dict(attrs).get("class") or ""
        keep = tag in _BLOCK_TAGS or tag in _VERBATIM or tag in _INLINE_TAGS
        if tag == "span" and not classes:
            keep = False
        if keep:
            self._record(tag, attrs)
            self.depth += 1
        self.stack.append((tag, keep))
        if tag in _VERBATIM or "arithmatex" in classes or (tag == "kbd" and classes):
            self.raw, self.raw_depth = [], len(self.stack)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in ("br", "hr", "img", "input"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag not in (t for t, _ in self.stack):
            return  # a stray end tag, or a void element's
        while self.stack:
            top, recorded = self.stack.pop()
            if self.raw is not None and len(self.stack) < self.raw_depth:
                text = "".join(self.raw)
                if top == "code" and not any(t == "pre" for t, _ in self.stack):
                    text = " ".join(text.split())  # inline code: a line break shows as a space
                self.events.append(f"{self.depth}  text {text!r}")
                self.raw = None
            if recorded:
                self.depth -= 1
            if top == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.raw is not None:
            self.raw.append(data)

    def _record(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.raw is not None:
            return
        kept = " ".join(f'{k}="{v or ""}"' for k, v in attrs if k in _KEPT_ATTRS)
        self.events.append(f"{self.depth}<{tag}{' ' if kept else ''}{kept}>")


def page_skeleton(
    text: str, snippets: Path | None = None, auto_append: Sequence[str] = ()
) -> list[str]:
    """The skeleton of a page as MkDocs renders it: front matter read apart (its keys are
    the first event), the rest through `render`."""
    from mkdocs.utils.meta import get_data

    body, meta = get_data(text)
    return [f"meta {sorted(meta)}", *skeleton(render(body, snippets, auto_append))]


def skeleton(html: str) -> list[str]:
    parser = _Skeleton()
    parser.feed(html)
    parser.close()
    return parser.events


def first_difference(source: Sequence[str], target: Sequence[str], what: str = "") -> str | None:
    """The first place two event lists differ, as one readable line (None when equal)."""
    if list(source) == list(target):
        return None
    ops = difflib.SequenceMatcher(None, source, target, autojunk=False).get_opcodes()
    tag, i1, i2, j1, j2 = next(op for op in ops if op[0] != "equal")
    a = source[i1] if i1 < i2 else "(nothing)"
    b = target[j1] if j1 < j2 else "(nothing)"
    return f"{what}{tag} at #{i1}: source {_short(a)} / translation {_short(b)}"


def _short(text: str, width: int = 110) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# --- oracle 2: extension-syntax lines --------------------------------------------------------

_MARKERS = re.compile(
    r"(?P<indent>[ \t]*)(?:"
    r"(?P<adm>!!!|\?\?\?\+?)(?:[ \t]+(?P<adm_kw>[\w-]+(?:[ \t]+[\w-]+)*))?"
    r"|(?P<tab>===[+!]*)(?=[ \t])"
    r"|(?P<blk>/{3,})[ \t]*(?P<blk_kw>[\w-]*)"
    r"|(?P<snip>;?-{1,}8<-{1,})[ \t]*(?P<snip_kw>.*)"
    r"|(?:\#{1,6}[ \t]+)?(?P<api>:::)[ \t]+(?P<api_kw>\S+)"
    r"|(?P<abbr>\*\[)(?P<abbr_kw>[^\]]+)\]:"
    r"|(?P<fn>\[\^)(?P<fn_kw>[^\]]+)\]:"
    r"|(?P<jinja>\{%-?)(?P<jinja_kw>.*?-?%\})"
    r"|(?P<toc>\[TOC\])[ \t]*$"
    r"|(?P<attr>\{:)(?P<attr_kw>.*)"
    r")"
)


@dataclass(frozen=True)
class Marker:
    line: int
    """1-based line of the document."""
    indent: str
    marker: str
    keyword: str

    def key(self) -> tuple[str, str, str]:
        return (self.indent, self.marker, self.keyword)


def markers(text: str) -> list[Marker]:
    """The extension-syntax lines of a document, with what must not be translated in them
    (for `:::`, the identifier and the more-indented option lines under it; for a block of
    snippets between two bare `--8<--` lines, the file names in it)."""
    lines = text.splitlines()
    out = []
    in_snippets = False
    for n, line in enumerate(lines):
        m = _MARKERS.match(line)
        if m is None:
            continue
        kind = next(k for k in ("adm", "tab", "blk", "snip", "api", "abbr", "fn", "jinja", "toc",
                                "attr") if m[k])  # fmt: skip
        keyword = (m.groupdict().get(f"{kind}_kw") or "").strip()
        if kind == "api":
            keyword += "".join("\n" + o for o in _options(lines, n + 1, len(m["indent"])))
        if kind == "snip" and not keyword:
            if not in_snippets:
                keyword = "\n".join(_snippet_block(lines, n + 1))
            in_snippets = not in_snippets
        out.append(Marker(n + 1, m["indent"], m[kind], keyword))
    return out


def _snippet_block(lines: list[str], start: int) -> Iterator[str]:
    for line in lines[start:]:
        m = _MARKERS.match(line)
        if m is not None and m["snip"] and not m["snip_kw"].strip():
            return
        yield line.strip()


def _options(lines: list[str], start: int, indent: int) -> Iterator[str]:
    for line in lines[start:]:
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            return
        yield line.rstrip()


def marker_difference(source: str, target: str) -> str | None:
    """The first extension-syntax line the translation lost, changed or added."""
    a, b = markers(source), markers(target)
    ka, kb = [m.key() for m in a], [m.key() for m in b]
    if ka == kb:
        return None
    ops = difflib.SequenceMatcher(None, ka, kb, autojunk=False).get_opcodes()
    tag, i1, _, j1, _ = next(op for op in ops if op[0] != "equal")
    if tag == "insert":
        return f"added: line {b[j1].line} {_show(b[j1])}"
    got = f"line {b[j1].line} {_show(b[j1])}" if tag == "replace" else "nothing"
    return f"{'lost' if tag == 'delete' else 'changed'}: line {a[i1].line} {_show(a[i1])} -> {got}"


def _show(m: Marker) -> str:
    return _short(repr(f"{m.indent}{m.marker} {m.keyword}".rstrip()), 70)


# --- oracle 3: soft line breaks ---------------------------------------------------------------

_WRAPPABLE = ("paragraph", "list_item", "blockquote")


def soft_breaks(doc: object, translated: dict[str, str]) -> tuple[int, int]:
    """(soft-wrapped source blocks, those whose translation is still on several lines).

    Each block is rebuilt alone, so its translated span is where the output differs from
    the source; blocks with a hard break or whose msgid occurs twice are not counted."""
    from locflow.connectors.markdown import rebuild

    text: str = doc.text  # type: ignore[attr-defined]
    blocks = doc.blocks  # type: ignore[attr-defined]
    seen = Counter(b.segment.msgid for b in blocks)
    wrapped = kept = 0
    for block in blocks:
        msgid = block.segment.msgid
        span = text[block.start : block.end]
        if block.kind not in _WRAPPABLE or "\n" in msgid or "\n" not in span or seen[msgid] > 1:
            continue
        out = rebuild(doc, {msgid: translated[msgid]})  # type: ignore[arg-type]
        wrapped += 1
        kept += "\n" in changed_span(text, block.start, block.end, out)
    return wrapped, kept


def changed_span(source: str, start: int, end: int, out: str) -> str:
    """What `source[start:end]` became in `out`, when nothing else changed."""
    return out[start : len(out) - (len(source) - end)]
