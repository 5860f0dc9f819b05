"""Markdown documents into segments: what is segmented, what is not, spans, front matter,
errors. (Rebuilding and verification: test_markdown_roundtrip.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from locflow.catalog.placeholders import mask, unmask
from locflow.connectors.markdown import (
    DOC_FLAGS,
    Document,
    MarkdownError,
    inline_flags,
    parse_markdown,
    read_markdown,
)

FIXTURES = Path(__file__).parent / "fixtures" / "markdown"


def pairs(doc: Document) -> list[tuple[str, str]]:
    return [(b.kind, b.segment.msgid) for b in doc.blocks]


def fixture(name: str, **kwargs: object) -> Document:
    return read_markdown(FIXTURES / name, **kwargs)  # type: ignore[arg-type]


# --- what becomes a segment ---------------------------------------------------------------

CASES: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("paragraph", "Hello *world*.\n", [("paragraph", "Hello *world*.")]),
    ("soft wrap joined", "one\n  two\nthree\n", [("paragraph", "one two three")]),
    ("hard break spaces", "one  \ntwo\n", [("paragraph", "one\ntwo")]),
    ("hard break backslash", "one \\\ntwo\n", [("paragraph", "one\ntwo")]),
    ("no break in code", "a `x  \ny` b\n", [("paragraph", "a `x   y` b")]),
    ("atx closed", "## Title ##\n", [("heading", "Title")]),
    ("atx escaped hash", "# C\\#\n", [("heading", "C\\#")]),
    ("setext", "Multi\nline\n===\n", [("heading", "Multi line")]),
    ("empty heading", "#\n", []),
    ("heading only code", "### `f()`\n", []),
    ("only inline code", "`pip install x`\n", []),
    ("only a URL", "https://example.com/x\n", []),
    ("only numbers", "1.2.3\n", []),
    (
        "list items",
        "- a *b*\n  - c\n1. d\n",
        [("list_item", "a *b*"), ("list_item", "c"), ("list_item", "d")],
    ),
    ("task boxes stay", "- [ ] todo\n- [x] done\n", [("list_item", "todo"), ("list_item", "done")]),
    ("quote", "> q1\n> q2\n", [("blockquote", "q1 q2")]),
    ("quote lazy", "> q1\nlazy\n", [("blockquote", "q1 lazy")]),
    ("list in quote", "> - item\n>   more\n", [("list_item", "item more")]),
    (
        "table",
        "| A | B |\n|---|---|\n| `x\\|y` | z \\| w |\n",
        [("table_cell", "A"), ("table_cell", "B"), ("table_cell", "z \\| w")],
    ),
    (
        "image alone",
        '![Alt text](a.png "A title")\n',
        [("image_alt", "Alt text"), ("link_title", "A title")],
    ),
    ("image no alt", "![](a.png)\n", []),
    ("image in text", "See ![icon](i.png) here.\n", [("paragraph", "See ![icon](i.png) here.")]),
    (
        "badges",
        "[![CI](b.svg)](https://ci)\n[![Docs](d.svg)](https://docs)\n",
        [("image_alt", "CI"), ("image_alt", "Docs")],
    ),
    ("link title nested", '[a](u "T t")\n', [("paragraph", '[a](u "T t")'), ("link_title", "T t")]),
    ("link title, no text", '[`x`](u "T t")\n', [("link_title", "T t")]),
    (
        "shortcut ref spelled out",
        "See [Docs] and [FAQ][].\n\n[docs]: /d\n[faq]: /f\n",
        [("paragraph", "See [Docs][Docs] and [FAQ][FAQ].")],
    ),
    ("undefined shortcut kept", "See [nothing].\n", [("paragraph", "See [nothing].")]),
    (
        "shortcut in code kept",
        "`[docs]` [docs]\n\n[docs]: /d\n",
        [("paragraph", "`[docs]` [docs][docs]")],
    ),
    ("reference definitions", "[x]: https://x 'Title'\n", []),
    ("fenced code", "```md\n# not a heading\n```\n~~~\ntext\n~~~\n", []),
    ("indented code", "    code here\n", []),
    ("math block", "$$\nx + y\n$$\n", []),
    ("dollars are prose", "Pay $5 or $10.\n", [("paragraph", "Pay $5 or $10.")]),
    ("html block", "<div>\nraw text\n</div>\n", []),
    ("html comment", "<!-- a note -->\n", []),
    (
        "img alt in html block",
        '<p><img src="l.png" alt="The logo"></p>\n',
        [("html_alt", "The logo")],
    ),
    ("img alt in script", "<script>\nx = '<img alt=\"no\">'\n</script>\n", []),
    (
        "inline img alt",
        'Hi <img src="i" alt="an icon"> there\n',
        [("paragraph", 'Hi <img src="i" alt="an icon"> there'), ("html_alt", "an icon")],
    ),
    ("thematic break", "***\n", []),
    ("entities", "&copy; 2024 ACME\n", [("paragraph", "&copy; 2024 ACME")]),
    ("non-ascii", "# Grüße 日本\n", [("heading", "Grüße 日本")]),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_segments(text: str, expected: list[tuple[str, str]]) -> None:
    assert pairs(parse_markdown(text, "doc.md")) == expected


def test_segment_fields() -> None:
    doc = parse_markdown("Intro.\n\n## Install it\n\n| H |\n|---|\n| cell |\n", "docs/a.md")
    para, heading, header, cell = (b.segment for b in doc.blocks)
    assert heading.msgid == "Install it"
    assert heading.msgctxt is None and heading.msgid_plural is None
    assert heading.flags == DOC_FLAGS == ("markdown",)
    assert heading.extracted_comments == "heading 2"
    assert heading.occurrences == (("docs/a.md", "3"),)
    assert dict(heading.meta) == {"kind": "heading", "line": "3", "level": "2"}
    assert para.extracted_comments == "paragraph"
    assert header.extracted_comments == "table header cell"
    assert cell.extracted_comments == "table cell"
    assert cell.occurrences == (("docs/a.md", "7"),)
    assert inline_flags() == DOC_FLAGS


def test_spans_point_at_the_source() -> None:
    for path in sorted(FIXTURES.glob("*.md")):
        doc = read_markdown(path)
        for block in doc.blocks:
            span = doc.text[block.start : block.end]
            assert 0 <= block.start < block.end <= len(doc.text), (path.name, block)
            if (
                "\n" not in span
                and block.kind not in ("front_matter",)
                and "][" not in (block.segment.msgid)
            ):
                assert span == block.segment.msgid, (path.name, span, block.segment.msgid)


def test_blocks_in_document_order() -> None:
    doc = fixture("guide.md")
    starts = [b.start for b in doc.blocks]
    assert starts == sorted(starts)
    assert [b.kind for b in doc.blocks][:3] == ["front_matter", "front_matter", "heading"]


def test_nested_title_anchor_is_verbatim() -> None:
    doc = parse_markdown('See [it](https://x.org/a "The title") now.\n', "a.md")
    para, title = doc.blocks
    assert title.kind == "link_title" and title.anchor == ('](https://x.org/a "', '")')
    before, after = title.anchor
    assert before + title.segment.msgid + after in para.segment.msgid
    assert para.start < title.start < title.end < para.end


def test_masking_hides_markup_but_not_words() -> None:
    doc = fixture("guide.md")
    block = next(b for b in doc.blocks if b.segment.msgid.startswith("See the"))
    masked = mask(block.segment.msgid, block.segment.flags, markdown=True)
    assert "./configuration.md" not in masked.text and "github.com" not in masked.text
    assert "configuration reference" in masked.text
    assert unmask(masked, masked.text) == block.segment.msgid


# --- fixtures --------------------------------------------------------------------------


def test_fixture_nested_lists() -> None:
    got = pairs(fixture("nested_lists.md"))
    assert ("list_item", "Vegetables with a long description that wraps onto a second line") in got
    assert ("list_item", "Second step\nafter a hard break") in got
    assert ("list_item", "Buy bread") in got
    assert len([k for k, _ in got if k == "list_item"]) == 14


def test_fixture_tables() -> None:
    got = pairs(fixture("tables.md"))
    assert ("table_cell", "Show what would change \\| nothing is written") in got
    assert ("table_cell", "Target locale, e.g. `fr\\|de`") in got
    assert ("link_title", "A title") in got
    assert ("table_cell", "`--locale`") not in got  # code only
    assert ("table_cell", "No outer pipes") in got and ("table_cell", "One") in got


def test_fixture_html_and_images() -> None:
    html = pairs(fixture("html.md"))
    assert html == [
        ("html_alt", "locflow logo"),
        ("paragraph", "Hidden paragraph inside the details."),
        (
            "paragraph",
            'Text with <kbd>Ctrl</kbd>+<kbd>C</kbd> and an <img src="i.png" '
            'alt="inline icon"> here.',
        ),
        ("html_alt", "inline icon"),
    ]
    images = pairs(fixture("images.md"))
    assert images[:2] == [("image_alt", "The locflow logo"), ("link_title", "Logo of the project")]
    assert ("image_alt", "Diagram of the flow") in images


def test_fixture_code_is_never_segmented() -> None:
    for name in ("fences.md", "indented_code.md", "math.md"):
        for block in fixture(name).blocks:
            assert "locflow sync" not in block.segment.msgid
            assert "mc^2" not in block.segment.msgid
            assert "def hello" not in block.segment.msgid


def test_fixture_crlf_bom_and_no_final_newline() -> None:
    crlf = fixture("crlf.md")
    assert "\r\n" in crlf.text
    assert ("paragraph", "A paragraph that wraps onto a second line\nwith a hard break.") in pairs(
        crlf
    )
    bom = fixture("bom.md")
    assert bom.text.startswith("\ufeff") and pairs(bom)[0] == ("heading", "Title after a BOM")
    last = fixture("no_trailing_newline.md").blocks[-1]
    assert last.end == len(fixture("no_trailing_newline.md").text)


# --- front matter ----------------------------------------------------------------------


def test_yaml_front_matter_values() -> None:
    doc = fixture("front_matter_yaml.md")
    assert doc.front_matter_format == "yaml"
    fm = [b for b in doc.blocks if b.kind == "front_matter"]
    assert [(b.segment.msgid, b.segment.extracted_comments) for b in fm] == [
        ('Getting "started" with locflow', "front matter: title"),
        ("A tour of the CLI: it's short", "front matter: description"),
    ]
    assert doc.text[fm[0].start : fm[0].end] == '"Getting \\"started\\" with locflow"'
    assert doc.text[fm[1].start : fm[1].end] == "'A tour of the CLI: it''s short'"


def test_toml_front_matter_values() -> None:
    doc = fixture("front_matter_toml.md")
    assert doc.front_matter_format == "toml"
    fm = [b.segment.msgid for b in doc.blocks if b.kind == "front_matter"]
    assert fm == ['Configuration "reference"', "Every key of locflow.toml"]  # not [extra].title


def test_front_matter_only_simple_strings() -> None:
    doc = fixture("front_matter_plain.md")
    assert [b.segment.msgid for b in doc.blocks if b.kind == "front_matter"] == ["Plain title"]
    text = "---\ntitle: 2024\ndescription: yes\nsummary: Short\n---\n"
    assert pairs(parse_markdown(text, "a.md")) == []  # numbers and booleans are not text
    assert pairs(parse_markdown(text, "a.md", front_matter_keys=("summary",))) == [
        ("front_matter", "Short")
    ]
    wrapped = "---\ntitle: A plain scalar\n  wrapped onto two lines\n---\n"
    assert pairs(parse_markdown(wrapped, "a.md")) == []


def test_front_matter_hides_its_lines_from_markdown() -> None:
    doc = parse_markdown("---\n# not a heading\ntitle: T\n---\n# Real\n", "a.md")
    assert pairs(doc) == [("front_matter", "T"), ("heading", "Real")]
    assert parse_markdown("# Title\n\n---\n\ntext\n", "a.md").front_matter_format is None


# --- errors ----------------------------------------------------------------------------

ERRORS = [
    ("unterminated", "---\ntitle: x\n\nBody\n", "a.md:1: unterminated YAML front matter"),
    ("unterminated toml", "+++\ntitle = 'x'\n", "a.md:1: unterminated TOML front matter"),
    ("bad yaml", "---\ntitle: x\nlist: [a, b\n---\n", "a.md:4: invalid YAML front matter"),
    ("bad yaml indent", "---\na: b\n  c: d\n---\n", "a.md:3: invalid YAML front matter"),
    ("bad toml", "+++\ntitle = 'x'\ndate = \n+++\n", "a.md:3: invalid TOML front matter"),
    ("invalid utf-8", b"# Title\n\nbad \xff byte\n", "a.md:3: invalid UTF-8"),
    ("lone surrogate", "ok\nbad \ud800\n", "a.md:2: text is not valid Unicode"),
]


@pytest.mark.parametrize(("text", "message"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_errors_name_path_and_line(text: str | bytes, message: str) -> None:
    with pytest.raises(MarkdownError) as info:
        parse_markdown(text, "a.md")
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)
    assert isinstance(info.value, ValueError)


def test_read_markdown_reads_bytes(tmp_path: Path) -> None:
    path = tmp_path / "x.md"
    path.write_bytes("# Ça\r\n\r\nTexte\r\n".encode())
    doc = read_markdown(path)
    assert doc.path == str(path) and doc.text == "# Ça\r\n\r\nTexte\r\n"
    path.write_bytes(b"ok\n\xc3(\n")
    with pytest.raises(MarkdownError, match=r"x\.md:2: invalid UTF-8"):
        read_markdown(path)
