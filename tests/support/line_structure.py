"""Line structure of pseudo-translated real Markdown pages (issue 14).

Every paragraph, list item and block quote of Python-Markdown's docs and
pymdown-extensions' docs is pseudo-translated as the pipeline does it (masked, the pseudo
engine's text transform, unmasked) and rebuilt; counted: wrapped source paragraphs whose
translation is still wrapped, one-line paragraphs that stay one line, paragraphs written one
sentence per line that keep it (leaving out paragraphs that hold block syntax the parser
left in them), and pages `verify_structure` refuses.

`.venv/bin/python -m tests.support.line_structure` prints the numbers.
"""

from __future__ import annotations

import re
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from locflow.catalog.placeholders import mask, unmask
from locflow.connectors.engines.pseudo import pseudo_localise
from locflow.connectors.markdown import Document, parse_markdown, rebuild, verify_structure
from locflow.connectors.markdown_wrap import ends_sentence, source_shape, unsafe_start

PAGES = (
    ("markdown", "3.11.4", "docs"),
    ("pymdown_extensions", "13.1.2", "docs/src/markdown"),
)
PARAGRAPHS = ("paragraph", "list_item", "blockquote")
_EOL = re.compile(r"\r\n|\r|\n")


def pseudo_translate(msgid: str, flags: tuple[str, ...]) -> str:
    """What pipeline/translate.py sends and gets back from the pseudo engine."""
    masked = mask(msgid, flags, markdown=True)
    return unmask(masked, pseudo_localise(masked.text))


@dataclass
class Counts:
    pages: int = 0
    wrapped: int = 0
    still_wrapped: int = 0
    one_line: int = 0
    still_one_line: int = 0
    sentences: int = 0
    still_sentences: int = 0
    refused: list[str] = field(default_factory=list)
    """verify_structure's problems, one per refused page."""
    unparsed: int = 0
    """Wrapped paragraphs holding a line of block syntax the parser left in them (MkDocs
    `///` closers…): no re-wrapping can put such a line back on its own."""
    unwrapped: list[str] = field(default_factory=list)
    """The wrapped sources whose translation came out as one line (for reading)."""

    def percent(self, part: int, whole: int) -> float:
        return 100.0 * part / whole if whole else 100.0


def _lines(text: str, start: int, end: int) -> list[str]:
    """The full lines [start, end) touches (the first from its line start)."""
    first = max(text.rfind("\n", 0, start), text.rfind("\r", 0, start)) + 1
    m = _EOL.search(text, end)
    return _EOL.split(text[first : m.start() if m else len(text)])


def measure_page(doc: Document, counts: Counts) -> None:
    translations = {
        b.segment.msgid: pseudo_translate(b.segment.msgid, b.segment.flags) for b in doc.blocks
    }
    out = rebuild(doc, translations)
    problems = verify_structure(doc, out)
    if problems:
        counts.refused.append(problems[0])
    counts.pages += 1
    uses = Counter(b.segment.msgid for b in doc.blocks)
    for block in doc.blocks:
        msgid = block.segment.msgid
        if block.kind not in PARAGRAPHS or uses[msgid] > 1:
            continue  # a text used twice would be rendered twice: no span to compare
        alone = rebuild(doc, {msgid: translations[msgid]})
        grown = len(alone) - len(doc.text)
        source = _lines(doc.text, block.start, block.end)
        rendered = _lines(alone, block.start, block.end + grown)
        shape = source_shape("\n".join(source), msgid.count("\n"))
        soft = len(rendered) - 1 - translations[msgid].count("\n")
        if not shape.wrapped:
            counts.one_line += len(source) == 1
            counts.still_one_line += len(source) == 1 and len(rendered) == 1
            continue
        counts.wrapped += 1
        counts.still_wrapped += soft > 0
        if soft == 0:
            counts.unwrapped.append(f"{doc.path}:{block.segment.occurrences[0][1]}")
        unparsed = any(unsafe_start(ln.lstrip(" \t>")) for ln in source[1:])
        counts.unparsed += unparsed
        if shape.sentences and not unparsed:
            counts.sentences += 1
            ends = [ln for ln in rendered[:-1] if not ln.endswith(("\\", "  "))]
            counts.still_sentences += soft > 0 and all(ends_sentence(ln) for ln in ends)


def pages(root: Path) -> Iterator[Path]:
    yield from sorted(root.rglob("*.md"))


def measure(roots: list[Path]) -> Counts:
    counts = Counts()
    for root in roots:
        for path in pages(root):
            doc = parse_markdown(
                path.read_bytes(), str(path.relative_to(root.parent)), dialect="mkdocs"
            )
            measure_page(doc, counts)
    return counts


def extracted(dest: Path) -> list[Path]:
    """The docs of both sdists below `dest` (skips or fails as `sdist()` does)."""
    from tests.support.real_data import extract, sdist

    return [extract(sdist(name, version), under, dest / name) for name, version, under in PAGES]


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        c = measure(extracted(Path(tmp)))
    print(f"{c.pages} pages (Python-Markdown 3.11.4 docs, pymdown-extensions 13.1.2 docs)")
    print(
        f"wrapped source paragraphs still wrapped: {c.still_wrapped}/{c.wrapped} "
        f"({c.percent(c.still_wrapped, c.wrapped):.1f} %)"
    )
    print(f"  of them holding a line of block syntax the parser left in: {c.unparsed}")
    print(
        f"one-line paragraphs still one line: {c.still_one_line}/{c.one_line} "
        f"({c.percent(c.still_one_line, c.one_line):.1f} %)"
    )
    print(
        f"one-sentence-per-line paragraphs (without those) kept so: "
        f"{c.still_sentences}/{c.sentences} ({c.percent(c.still_sentences, c.sentences):.1f} %)"
    )
    print(f"pages refused by verify_structure: {len(c.refused)}")
    for line in c.refused[:10]:
        print("   ", line)
    for line in c.unwrapped[:10]:
        print("    one line now:", line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
