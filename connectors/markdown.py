"""Markdown documents as translatable segments, and translated documents rebuilt from them.

    doc = parse_markdown(text, "docs/index.md")          # or read_markdown(path)
    for block in doc.blocks:                             # block.segment: a catalog Segment
        masked = mask(block.segment.msgid, block.segment.flags, markdown=True)
        ...
    out = rebuild(doc, {msgid: translation, ...})        # missing msgids keep the source
    problems = verify_structure(doc, out)                # [] when the structure holds

What is segmented: headings, paragraphs, list items and block quotes (their paragraphs),
table cells, the alt text and title of images standing alone, link and image titles, alt
text of `<img>` tags, and the front-matter values of the configured keys. What is kept as
it is: code blocks, `$$` math blocks, HTML blocks (but for `<img alt>`), link targets,
reference definitions, other front-matter keys, thematic breaks, and every byte around a
translated span. Inline code, links, autolinks, emphasis and inline HTML stay in the msgid
as Markdown source; `mask(..., markdown=True)` turns them into tokens for the engine.

Modules: markdown_source (decoding, lines, front matter), markdown_tokens (markdown-it and
exact line spans), markdown_parse (blocks and segments), markdown_rebuild (rebuild, verify).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from locflow.connectors.markdown_parse import (
    DIALECTS,
    DOC_FLAGS,
    DocBlock,
    Document,
    inline_flags,
    parse_markdown,
)
from locflow.connectors.markdown_rebuild import rebuild, verify_structure
from locflow.connectors.markdown_source import MarkdownError

__all__ = [
    "DIALECTS",
    "DOC_FLAGS",
    "DocBlock",
    "Document",
    "MarkdownError",
    "inline_flags",
    "parse_markdown",
    "read_markdown",
    "rebuild",
    "verify_structure",
]


def read_markdown(
    path: str | os.PathLike[str],
    *,
    front_matter_keys: Sequence[str] = ("title", "description"),
    dialect: str = "commonmark",
) -> Document:
    """Read a UTF-8 Markdown file (invalid bytes are a MarkdownError naming the line)."""
    data = Path(path).read_bytes()
    return parse_markdown(
        data, os.fspath(path), front_matter_keys=front_matter_keys, dialect=dialect
    )
