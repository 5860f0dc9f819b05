"""One decision per block for a translated document, as export makes one per catalogue entry.

A document goes out only when it keeps its source's structure (`verify_structure`). When the
whole translation does not, each translated block is tried alone against the source; a
block whose translation breaks the structure by itself (a model that dropped inline code or a
link, added a list, lost a marker line) goes out in the source language, and each such block
is reported with its source line. The page is written with every other block translated.
When the page still fails once those blocks are left out, it is not written, as before, and
every problem of the whole translation is reported (none is called "left in the source
language", since nothing is written). Pure: documents in, text and reasons out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from locflow.connectors.markdown import Document, rebuild, verify_structure

LEFT_IN_SOURCE = "block left in the source language"


@dataclass(frozen=True)
class FittedDoc:
    text: str
    """The document as it would be written."""
    translations: dict[str, str]
    """The translations that went into it (by msgid)."""
    problems: tuple[str, ...]
    """What still breaks the structure: the document is not written."""
    demoted: tuple[str, ...]
    """`path:line: what: block left in the source language`, one per problem of each block
    whose translation was left out (the line is the block's source line)."""


def fit_document(doc: Document, translations: Mapping[str, str]) -> FittedDoc:
    rendered = rebuild(doc, translations)
    problems = verify_structure(doc, rendered)
    if not problems:
        return FittedDoc(rendered, dict(translations), (), ())
    kept = dict(translations)
    demoted: list[str] = []
    lines = _source_lines(doc)
    for msgid, text in translations.items():
        alone = verify_structure(doc, rebuild(doc, {msgid: text}))
        if alone:
            del kept[msgid]
            line = lines.get(msgid, 1)
            demoted += [f"{doc.path}:{line}: {_what(p)}: {LEFT_IN_SOURCE}" for p in alone]
    fitted = rebuild(doc, kept)
    if len(kept) == len(translations) or verify_structure(doc, fitted):
        return FittedDoc(rendered, dict(translations), tuple(problems), ())  # not written
    return FittedDoc(fitted, kept, (), tuple(demoted))


def _source_lines(doc: Document) -> dict[str, int]:
    """The first source line of each msgid's block."""
    lines: dict[str, int] = {}
    for block in doc.blocks:
        lines.setdefault(block.segment.msgid, doc.text.count("\n", 0, block.start) + 1)
    return lines


_WHERE = re.compile(r"^.*?:\d+: ")
_SOURCE_LINE = re.compile(r"; source line\)$")


def _what(problem: str) -> str:
    """A structure problem without its `path:line: ` (the block's line replaces it)."""
    return _SOURCE_LINE.sub(")", _WHERE.sub("", problem, count=1))
