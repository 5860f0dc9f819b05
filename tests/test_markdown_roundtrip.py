"""Rebuilding translated Markdown and verifying its structure: byte-identical without
translations, structure kept with a pseudo-translation (fixtures, this repo's README, the
Markdown files installed in the virtualenv, generated documents), and every kind of damage
a translation can do is caught by verify_structure."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from locflow.catalog.placeholders import TOKEN_LIKE, mask, unmask
from locflow.connectors.markdown import (
    Document,
    MarkdownError,
    parse_markdown,
    read_markdown,
    rebuild,
    verify_structure,
)
from locflow.connectors.markdown_tokens import parse_tokens

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "markdown"
ACCENTS = str.maketrans("aeiouAEIOUcnCN", "áéíóúÁÉÍÓÚçñÇÑ")


def pseudo(text: str) -> str:
    """Upper-case and accent the words, leave `[X0X]` tokens and Markdown syntax alone."""
    out, pos = [], 0
    for m in TOKEN_LIKE.finditer(text):
        out += [text[pos : m.start()].upper().translate(ACCENTS), m.group()]
        pos = m.end()
    return "".join(out) + text[pos:].upper().translate(ACCENTS)


def pseudo_translations(doc: Document) -> dict[str, str]:
    out = {}
    for block in doc.blocks:
        masked = mask(block.segment.msgid, block.segment.flags, markdown=True)
        out[block.segment.msgid] = unmask(masked, pseudo(masked.text))
    return out


def code_blocks(text: str) -> list[str]:
    parsed = parse_tokens(text, "x.md")
    kinds = ("fence", "code_block", "math_block")
    return [parsed.raw(*t.map) for t in parsed.tokens if t.type in kinds and t.map]


def check_roundtrip(doc: Document) -> str:
    assert rebuild(doc, {}) == doc.text
    out = rebuild(doc, pseudo_translations(doc))
    assert verify_structure(doc, out) == []
    assert code_blocks(out) == code_blocks(doc.text)
    return out


# --- fixtures --------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.md")), ids=lambda p: p.name)
def test_fixture_roundtrip(path: Path) -> None:
    doc = read_markdown(path)
    assert doc.blocks, "every fixture has something to translate"
    out = check_roundtrip(doc)
    assert out != doc.text
    identity = {b.segment.msgid: b.segment.msgid for b in doc.blocks}
    assert verify_structure(doc, rebuild(doc, identity)) == []
    again = parse_markdown(out, doc.path)  # a translated doc can be segmented again
    assert len(again.blocks) == len(doc.blocks)


def test_crlf_and_bom_survive() -> None:
    doc = read_markdown(FIXTURES / "crlf.md")
    out = rebuild(doc, pseudo_translations(doc))
    assert "\n" not in out.replace("\r\n", "")
    assert "SÉÇÓÑD LÍÑÉ  \r\nWÍTH" in out  # the source's hard-break style and CRLF
    bom = read_markdown(FIXTURES / "bom.md")
    assert rebuild(bom, pseudo_translations(bom)).startswith("\ufeff# TÍTLÉ")


def test_untranslated_blocks_keep_their_bytes() -> None:
    doc = read_markdown(FIXTURES / "guide.md")
    out = rebuild(doc, {"Run it": "Lancez-le"})
    assert out == doc.text.replace("## Run it\n", "## Lancez-le\n")


# --- rendering of each kind ------------------------------------------------------------

RENDER = [
    ("soft wrap at the source width", "one\ntwo\n", {"one two": "un deux"}, "un\ndeux\n"),
    ("hard break kept", "one  \ntwo\n", {"one\ntwo": "un\ndeux"}, "un  \ndeux\n"),
    ("backslash break", "a\\\nb\n", {"a\nb": "x\ny"}, "x\\\ny\n"),
    ("list continuation", "- one\\\n  two\n", {"one\ntwo": "un\ndeux"}, "- un\\\n  deux\n"),
    (
        "quote continuation",
        "> - one  \n>   two\n",
        {"one\ntwo": "un\ndeux"},
        "> - un  \n>   deux\n",
    ),
    ("ordered continuation", "10. a\\\n    b\n", {"a\nb": "x\ny"}, "10. x\\\n    y\n"),
    ("crlf break", "a\\\r\nb\r\n", {"a\nb": "x\ny"}, "x\\\r\ny\r\n"),
    ("no setext by accident", "- a\\\n  b\n", {"a\nb": "x\n==="}, "- x\\\n  \\===\n"),
    ("no definition by accident", "[a]:\n", {"[a]:": "[x]: y"}, "\\[x]: y\n"),
    ("atx single line", "## Title ##\n", {"Title": "Le\ntitre #"}, "## Le titre \\# ##\n"),
    ("setext rewritten", "A\nB\n---\n", {"A B": "C D"}, "C D\n---\n"),
    (
        "table pipes escaped",
        "| A |\n|---|\n| x |\n",
        {"x": "a | b\nc"},
        "| A |\n|---|\n| a \\| b c |\n",
    ),
    ("link title escaped", '[a](u "T t")\n', {"T t": 'Le "t"'}, '[a](u "Le \\"t\\"")\n'),
    ("link title in parens", "[a](u (T t))\n", {"T t": "x (y)"}, "[a](u (x \\(y\\)))\n"),
    (
        "title inside translated text",
        '[a](u "T t") b\n',
        {'[a](u "T t") b': '[A](u "T t") B', "T t": "Tt"},
        '[A](u "Tt") B\n',
    ),
    (
        "alt and title alone",
        '![Alt a](p.png "T t")\n',
        {"Alt a": "Texte", "T t": "Titre"},
        '![Texte](p.png "Titre")\n',
    ),
    (
        "html alt quoted",
        '<img src="p" alt="The logo">\n',
        {"The logo": 'Le "logo"'},
        '<img src="p" alt="Le &quot;logo&quot;">\n',
    ),
    (
        "inline alt in code untouched",
        'Hi <img alt="a b"> `<img alt="a b">`\n',
        {
            'Hi <img alt="a b"> `<img alt="a b">`': 'Salut <img alt="a b"> `<img alt="a b">`',
            "a b": "x y",
        },
        'Salut <img alt="x y"> `<img alt="a b">`\n',
    ),
    (
        "shortcut reference",
        "See [Docs].\n\n[docs]: /d\n",
        {"See [Docs][Docs].": "Voir [la doc][Docs]."},
        "Voir [la doc][Docs].\n\n[docs]: /d\n",
    ),
    ("blank translation ignored", "Keep me.\n", {"Keep me.": "  \n"}, "Keep me.\n"),
    ("no final newline", "Last", {"Last": "Dernier"}, "Dernier"),
]


@pytest.mark.parametrize(
    ("text", "translations", "expected"), [r[1:] for r in RENDER], ids=[r[0] for r in RENDER]
)
def test_render(text: str, translations: dict[str, str], expected: str) -> None:
    doc = parse_markdown(text, "a.md")
    assert rebuild(doc, translations) == expected
    assert verify_structure(doc, expected) == []


def test_blank_line_in_translation_is_a_break_not_a_new_paragraph() -> None:
    doc = parse_markdown("- a\\\n  b\n", "a.md")
    out = rebuild(doc, {"a\nb": "x\n\ny"})
    assert out == "- x\\\n  \\\n  y\n"
    assert verify_structure(doc, out) == ["a.md:1: unexpected hard line break (1x)"]


FRONT = [
    ("yaml plain stays plain", "---\ntitle: Hello\n---\n", "Bonjour", "title: Bonjour\n"),
    ("yaml plain gets quotes", "---\ntitle: Hello\n---\n", "Note: #1", "title: 'Note: #1'\n"),
    ("yaml plain keeps comment", "---\ntitle: Hi  # c\n---\n", "Salut", "title: Salut  # c\n"),
    ("yaml plain, not a bool", "---\ntitle: Hello\n---\n", "yes", "title: 'yes'\n"),
    ("yaml single", "---\ntitle: 'It''s'\n---\n", "C'est", "title: 'C''est'\n"),
    ("yaml double", '---\ntitle: "A \\"b\\""\n---\n', 'Un "b"\\', 'title: "Un \\"b\\"\\\\"\n'),
    ("yaml newline", "---\ntitle: 'Hi'\n---\n", "a\nb", 'title: "a\\nb"\n'),
    ("toml basic", '+++\ntitle = "Hi"\n+++\n', 'Dis "x"', 'title = "Dis \\"x\\""\n'),
    ("toml literal", "+++\ntitle = 'Hi'\n+++\n", "Salut", "title = 'Salut'\n"),
    ("toml literal to basic", "+++\ntitle = 'Hi'\n+++\n", "C'est", 'title = "C\'est"\n'),
]


@pytest.mark.parametrize(
    ("text", "value", "line"), [f[1:] for f in FRONT], ids=[f[0] for f in FRONT]
)
def test_front_matter_rebuild(text: str, value: str, line: str) -> None:
    doc = parse_markdown(text, "a.md")
    (block,) = doc.blocks
    out = rebuild(doc, {block.segment.msgid: value})
    assert out.splitlines(keepends=True)[1] == line
    assert verify_structure(doc, out) == []
    (again,) = parse_markdown(out, "a.md").blocks
    assert again.segment.msgid == value.strip()


# --- verify_structure catches damage -----------------------------------------------------

SOURCE = """---
title: Guide
weight: 3
---

# Install

Run `pip install locflow` and read [the docs](https://example.com/docs).

![Logo](logo.png)

| Key | Value |
|-----|-------|
| a   | b     |

```sh
locflow sync
```

<div>raw</div>

- one
- two
"""

DAMAGE = [
    (
        "drops a link",
        "Run `pip install locflow` and read the docs.",
        "link target 'https://example.com/docs' missing",
    ),
    (
        "changes a URL",
        "Run `pip install locflow` and read [the docs](https://evil.example).",
        "unexpected link target 'https://evil.example'",
    ),
    (
        "changes inline code",
        "Run `pip install other` and read [the docs](https://example.com/docs).",
        "inline code 'pip install locflow' missing",
    ),
    (
        "breaks a code fence",
        "Run it:\n```\nand read [the docs](https://example.com/docs).",
        "is fence, not paragraph",
    ),
    (
        "adds a heading marker",
        "# Run `pip install locflow` and read [the docs](https://example.com/docs).",
        "is heading level 1, not paragraph",
    ),
    (
        "adds a list marker",
        "- Run `pip install locflow` and read [the docs](https://example.com/docs).",
        "is bullet list, not paragraph",
    ),
    (
        "splits the paragraph",
        "Run `pip install locflow`.\n\nRead [the docs](https://example.com/docs).",
        "unexpected hard line break (2x)",  # a blank line cannot end the paragraph
    ),
]


@pytest.mark.parametrize(("bad", "problem"), [d[1:] for d in DAMAGE], ids=[d[0] for d in DAMAGE])
def test_verify_catches(bad: str, problem: str) -> None:
    doc = parse_markdown(SOURCE, "guide.md")
    para = next(b for b in doc.blocks if b.segment.msgid.startswith("Run"))
    out = rebuild(doc, {para.segment.msgid: bad})
    problems = verify_structure(doc, out)
    assert any(problem in p for p in problems), problems
    assert all(p.startswith("guide.md:") and p.split(":")[1].isdigit() for p in problems)
    assert all("\n" not in p for p in problems)


EDITS = [
    ("heading level", "# Install\n", "## Install\n", "heading level 2, not heading level 1"),
    ("image source", "![Logo](logo.png)", "![Logo](other.png)", "image 'logo.png' missing"),
    ("table row dropped", "| a   | b     |\n", "", "block"),
    ("table cell added", "| a   | b     |\n", "| a   | b     | c |\n", "row has 3 cells, not 2"),
    ("table cell dropped", "| a   | b     |\n", "| a   |\n", "guide.md:14: table row has 1"),
    ("code changed", "locflow sync\n", "locflow sink\n", "code block changed"),
    ("fence info changed", "```sh\n", "```bash\n", "code block changed"),
    ("html block changed", "<div>raw</div>", "<div>brut</div>", "HTML block changed"),
    ("front matter key", "weight: 3\n", "poids: 3\n", "front matter keys are"),
    (
        "front matter value",
        "weight: 3\n",
        "weight: 4\n",
        "guide.md:3: front matter value of 'weight'",
    ),
    ("front matter broken", "weight: 3\n", "weight: [3\n", "invalid YAML front matter"),
    ("front matter gone", "---\ntitle: Guide\nweight: 3\n---\n", "", "front matter is NO"),
    ("list item added", "- two\n", "- two\n- three\n", "block"),
]


@pytest.mark.parametrize(
    ("old", "new", "problem"), [e[1:] for e in EDITS], ids=[e[0] for e in EDITS]
)
def test_verify_catches_edits(old: str, new: str, problem: str | None) -> None:
    assert old in SOURCE
    doc = parse_markdown(SOURCE, "guide.md")
    problems = verify_structure(doc, SOURCE.replace(old, new, 1))
    assert problems
    if problem is not None:
        assert any(problem in p for p in problems), problems


def test_verify_accepts_translated_values() -> None:
    doc = parse_markdown(SOURCE, "guide.md")
    assert verify_structure(doc, SOURCE) == []
    assert verify_structure(doc, SOURCE.replace("title: Guide", "title: Anleitung")) == []
    assert verify_structure(doc, SOURCE.replace("# Install", "# Installation")) == []


# --- corpora ---------------------------------------------------------------------------


CORPUS_PACKAGES = ("prefect", "openai", "mdit_py_plugins", "django")
"""Direct dependencies that ship Markdown: a real-world corpus that does not depend on what
else happens to be installed."""


def installed_markdown() -> list[Path]:
    site = Path(sysconfig.get_paths()["purelib"])
    return sorted(p for pkg in CORPUS_PACKAGES for p in (site / pkg).rglob("*.md") if p.is_file())


def test_corpus_readme_and_installed_docs() -> None:
    paths = [ROOT / "README.md", *sorted(ROOT.glob("examples/**/*.md")), *installed_markdown()]
    blocks = 0
    for path in paths:
        doc = read_markdown(path)
        blocks += len(doc.blocks)
        check_roundtrip(doc)
    assert len(paths) >= 10 and blocks >= 200  # the corpus is real, not empty


LINES = [
    "Some text",
    "more *text* here",
    "`code  ",
    "b` end",
    "# Head",
    "Head ##",
    "===",
    "---",
    "- item",
    "  - sub",
    "1. one",
    "   cont",
    "> quote",
    "> - ql",
    ">",
    "",
    "",
    "",
    "| a | b |",
    "|---|---|",
    "| c \\| d | e |",
    "```",
    "~~~ py",
    "    indented",
    "\tTab text",
    "<div>",
    "</div>",
    "<!-- c -->",
    "[ref]: /url 'T'",
    "see [ref] and [x][]",
    '![img](i.png "t")',
    "hard  ",
    "back\\",
    "$$",
    "x^2",
    "* star",
    "[ ] task",
    '<img alt="a b" src=x>',
    "text <b>bold</b>",
    "&copy; ent",
    "a  \\",
    "  lazy",
    "***",
    "10) ten",
    ">> nested  ",
    "> > deep\\",
    "-\tTabbed",
    "<a",
    'href="x">link</a>',
    '[t](u "multi',
    'line")',
    "# Trail #",
    "  ===",
    "\\",
    "- | x | y |",
    "  |---|---|",
    "\u00a0nbsp\u00a0",
    "[lbl]",
    "[lbl]: /l",
    "[ref2]:",
]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(LINES), min_size=1, max_size=14),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
)
# found by hypothesis in CI: wrapping `=== Some text` after a hard break left `===` alone
@example(lines=["- item", "\\", "===", "Some text"], eol="\n", final=False)
def test_generated_documents(lines: list[str], eol: str, final: bool) -> None:
    text = eol.join(lines) + (eol if final else "")
    try:
        doc = parse_markdown(text, "gen.md")
    except MarkdownError:  # `---` or `+++` first: front matter, unterminated
        assume(False)
        return
    assert rebuild(doc, {}) == text
    identity = {b.segment.msgid: b.segment.msgid for b in doc.blocks}
    assert verify_structure(doc, rebuild(doc, identity)) == []
    assert verify_structure(doc, rebuild(doc, pseudo_translations(doc))) == []
