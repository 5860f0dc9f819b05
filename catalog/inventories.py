"""What a text carries that a translation must carry too, as `catalog.checks` compares it:
HTML tags, the Markdown inline inventory (emphasis, links, images, code spans, hard breaks),
and the length a reader sees (with how long text in a language runs).
"""

from __future__ import annotations

import functools
import re
import unicodedata

from markdown_it import MarkdownIt

from locflow.catalog.placeholders import mask

_ATTR = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")
TRANSLATABLE_ATTRS = frozenset(
    {
        "alt",
        "title",
        "placeholder",
        "label",
        "summary",
        "abbr",
        "value",
        "lang",
        "xml:lang",
        "dir",
        "aria-label",
        "aria-description",
        "aria-placeholder",
        "aria-roledescription",
        "aria-valuetext",
    }
)
"""Attributes a translation may change (text shown to users, or its language and direction);
every other attribute (class, id, href, src, type, data-…) must come back as it was."""


def tag_key(tag: str) -> str:
    """A tag as compared: lower-case name, and its untranslatable attributes in name order
    (quotes, case of names and spacing do not matter; values do)."""
    if tag.startswith("<!--"):
        return "<!---->"
    m = re.match(r"<(/?)([^\s/>]+)", tag)
    if m is None:
        return tag
    attrs = []
    for a in _ATTR.finditer(tag[m.end() : -1].rstrip("/")):
        name = a.group(1).lower()
        if name in TRANSLATABLE_ATTRS:
            continue
        value = a.group(2)
        if value is not None and value[:1] in ("'", '"'):
            value = value[1:-1]
        attrs.append(name if value is None else f'{name}="{value}"')
    shown = "".join(" " + a for a in sorted(attrs))
    return f"<{m.group(1)}{m.group(2).lower()}{shown}{'/' if tag.endswith('/>') else ''}>"


@functools.cache
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("strikethrough", ignoreInvalid=True)


_SIMPLE = {"strong_open": "strong", "em_open": "em", "s_open": "s", "hardbreak": "hardbreak"}


def markdown_items(text: str) -> list[str]:
    """The Markdown inline inventory of `text`, in order: `strong`, `em`, `s`, `link(href)`,
    `image(src)`, ``code(`content`)`` and `hardbreak` (an image's alt text is not walked:
    it is shown as plain text)."""
    items: list[str] = []
    for block in _markdown().parseInline(text):
        for token in block.children or ():
            if token.type in _SIMPLE:
                items.append(_SIMPLE[token.type])
            elif token.type == "link_open":
                items.append(f"link({token.attrGet('href')})")
            elif token.type == "image":
                items.append(f"image({token.attrGet('src')})")
            elif token.type == "code_inline":
                items.append(f"code(`{token.content}`)")
    return items


_TOKEN = re.compile(r"\[X\d+X\]")


def visible_length(text: str, flags: tuple[str, ...]) -> int:
    """Characters a reader sees: placeholders and markup masked out (Markdown's too, for a
    `markdown` segment), runs of whitespace counted as one space."""
    masked = mask(text, flags, markdown="markdown" in flags).text
    return len(" ".join(_TOKEN.sub(" ", masked).split()))


_EXPANSION = {"zh": 0.4, "yue": 0.4, "ja": 0.5, "ko": 0.5}
"""Length of text in a language relative to English-like text (1 for the rest, Thai included).
Medians on Django's and Sphinx's catalogues: zh 0.34-0.40, ja 0.60, ko 0.55; 0.5 for ja and
ko spares their terse labels ("Table of Contents" -> "目次")."""


def expansion(locale: str, text: str) -> float:
    """The locale's factor when `text` is written in its script (has wide letters, such as Han,
    kana or Hangul): a Latin pseudo-translation or a bare product name reads as English-like."""
    factor = _EXPANSION.get(re.split(r"[_@.:-]", locale, maxsplit=1)[0].lower(), 1.0)
    wide = any(ch.isalpha() and unicodedata.east_asian_width(ch) in "WF" for ch in text)
    return factor if wide else 1.0
