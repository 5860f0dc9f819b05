"""The mkdocs dialect: MkDocs Material / pymdown-extensions syntax survives a translation.

Each case is a page as MkDocs sites write it, pseudo-translated the way the pipeline does
(mask, pseudo engine, unmask): marker lines come back at the same indentation with the same
keywords, titles and bodies are translated, protected syntax comes back byte for byte, and
`verify_structure` finds nothing. The measured failures of issue 14 (a CommonMark reading)
are shown next to them.
"""

from __future__ import annotations

import re

import pytest

from locflow.catalog.placeholders import mask, unmask
from locflow.connectors.engines.pseudo import MARKDOWN_BRACKETS, pseudo_localise
from locflow.connectors.markdown import Document, parse_markdown, rebuild, verify_structure


def pseudo(doc: Document) -> str:
    out = {}
    for block in doc.blocks:
        masked = mask(block.segment.msgid, block.segment.flags, markdown=True)
        out[block.segment.msgid] = unmask(
            masked, pseudo_localise(masked.text, (), MARKDOWN_BRACKETS)
        )
    return rebuild(doc, out)


def translated(text: str, dialect: str = "mkdocs") -> tuple[Document, str]:
    doc = parse_markdown(text, "docs/page.md", dialect=dialect)
    assert rebuild(doc, {}) == text
    out = pseudo(doc)
    assert verify_structure(doc, out) == []
    return doc, out


def msgids(doc: Document) -> dict[str, str]:
    return {b.segment.msgid: b.kind for b in doc.blocks}


ADMONITION = """!!! note "Remember"
    Admonition content that must
    stay indented.

    Second paragraph.
"""


def test_an_admonition_keeps_its_keyword_and_indentation_and_translates_title_and_body():
    doc, out = translated(ADMONITION)
    assert msgids(doc) == {
        "Remember": "admonition_title",
        "Admonition content that must stay indented.": "paragraph",
        "Second paragraph.": "paragraph",
    }
    lines = out.splitlines()
    assert lines[0].startswith('!!! note "⟦Ŕéɱéɱƀéŕ') and lines[0].endswith('⟧"')
    assert all(ln.startswith("    ") and ln[4] != " " for ln in lines[1:] if ln)
    assert lines[1].startswith("    ⟦Áðɱöñíţíöñ") and not lines[2].startswith("    ⟦")
    # CommonMark reads the same page as one paragraph whose keyword is prose
    commonmark = parse_markdown(ADMONITION, "docs/page.md")
    assert any(b.segment.msgid.startswith("!!! note") for b in commonmark.blocks)


@pytest.mark.parametrize(
    "marker", ["!!! warning", "??? warning", "???+ warning", '!!! warning ""', "!!! tip inline end"]
)
def test_an_untitled_admonition_or_details_stays_untitled_and_the_body_after_a_blank_is_prose(
    marker,
):
    doc, out = translated(f"{marker}\n\n    Body after a blank line.\n")
    assert out.splitlines()[0] == marker
    assert msgids(doc) == {"Body after a blank line.": "paragraph"}
    assert out.splitlines()[2].startswith("    ⟦ßöðý")


def test_details_keep_the_plus_and_nest():
    page = '???+ note "Open"\n\n    ??? danger "Nested"\n        Inner text.\n'
    doc, out = translated(page)
    assert [b.kind for b in doc.blocks] == ["details_title", "details_title", "paragraph"]
    assert out.splitlines()[0].startswith('???+ note "⟦')
    assert out.splitlines()[2].startswith('    ??? danger "⟦')
    assert out.splitlines()[3].startswith("        ⟦Íñ")


def test_a_details_title_that_is_a_heading_keeps_its_hashes():
    doc, out = translated('??? note "### Headers in Title"\n    Body.\n')
    assert "Headers in Title" in msgids(doc)
    assert out.startswith('??? note "### ⟦')


def test_content_tabs_translate_their_labels_and_nest_their_bodies():
    page = (
        '=== "Tab 1"\n    Markdown **content** in tab 1.\n\n=== "Tab 2"\n\n    Content in tab 2.\n'
    )
    doc, out = translated(page)
    assert [b.kind for b in doc.blocks] == ["tab_label", "paragraph", "tab_label", "paragraph"]
    assert re.findall(r'^=== "⟦Ţáƀ [12]', out, re.M) == ['=== "⟦Ţáƀ 1', '=== "⟦Ţáƀ 2']
    assert "    ⟦Ṁáŕķðöŵñ **çöñţéñţ** íñ ţáƀ 1." in out
    assert "\n    ⟦Çöñţéñţ íñ ţáƀ 2." in out  # was an untranslated indented code block


def test_a_block_keeps_type_options_and_closing_and_translates_title_and_body():
    page = "/// question | How do I?\n    attrs: {class: q}\n\nHow do I …\n///\n"
    doc, out = translated(page)
    assert msgids(doc) == {"How do I?": "block_title", "How do I …": "paragraph"}
    lines = out.splitlines()
    assert lines[0].startswith("/// question | ⟦Ĥöŵ")
    assert lines[1] == "    attrs: {class: q}" and lines[-1] == "///"
    assert lines[3].startswith("⟦Ĥöŵ ðö Í")


def test_an_untitled_block_and_an_html_block_keep_their_header_line():
    doc, out = translated("/// question\nHow do I …\n///\n\n/// html | div.grid\nInside.\n///\n")
    assert out.splitlines()[0] == "/// question"
    assert "/// html | div.grid" in out.splitlines()
    assert msgids(doc) == {"How do I …": "paragraph", "Inside.": "paragraph"}


def test_attr_lists_stay_where_python_markdown_reads_them():
    page = "## Install { #install .big }\n\n[Start](start.md){ .md-button }\n\nText\n{: .note }\n"
    doc, out = translated(page)
    assert re.match(r"## ⟦Íñšţáļļ [^⟧]*⟧ \{ #install \.big \}\n", out)
    assert "[Šţáŕţ](start.md){ .md-button }" in out
    assert out.endswith("ļö⟧\n{: .note }\n")
    assert all("{" not in m for m in msgids(doc) if not m.startswith("["))


def test_footnotes_snippets_emoji_and_keys_are_kept_and_footnote_text_translated():
    page = (
        "Press ++ctrl+alt+del++ :material-check: now[^1].\n\n"
        '--8<-- "includes/abbreviations.md"\n\n'
        "[^1]: The footnote text\n    continues here.\n"
    )
    doc, out = translated(page)
    assert "++ctrl+alt+del++ :material-check:" in out and "[^1]." in out
    assert '\n--8<-- "includes/abbreviations.md"\n' in out
    assert "\n[^1]: ⟦Ţĥé ƒööţñöţé" in out
    assert msgids(doc)["The footnote text continues here."] == "footnote"


def test_abbreviations_definition_lists_and_critic_markup_keep_their_markers():
    page = (
        "Term\n:   Definition text.\n\n"
        "Text {++added++} and {~~old~>new~~}.\n\n"
        "*[HTML]: Hyper Text Markup Language\n"
    )
    doc, out = translated(page)
    assert msgids(doc)["Hyper Text Markup Language"] == "abbreviation"
    assert msgids(doc)["Term"] == "definition_term"
    assert msgids(doc)["Definition text."] == "definition"
    assert "\n:   ⟦Ðéƒíñíţíöñ" in out and "\n*[HTML]: ⟦Ĥýþéŕ" in out
    assert "{++áððéð++}" in out and "{~~öļð~>ñéŵ~~}" in out


def test_jinja_mkdocstrings_math_toc_and_md_in_html_are_protected():
    page = (
        "[TOC]\n\n"
        "{% if config.extra.beta %}\n"
        "Use {{ config.site_name }} with $e^{i\\pi}$ and \\(x\\), costs $5 and $10.\n"
        "{% endif %}\n\n"
        "::: package.module\n    options:\n      show_source: false\n\n"
        "$$\na^2 + b^2\n$$\n\n"
        '<div class="grid" markdown>\nInside **grid**.\n</div>\n'
    )
    doc, out = translated(page)
    assert "[TOC]" not in msgids(doc)
    for kept in (
        "[TOC]\n\n{% if config.extra.beta %}\n",
        "{{ config.site_name }}",
        "$e^{i\\pi}$",
        "\\(x\\)",
        "::: package.module\n    options:\n      show_source: false\n",
        "$$\na^2 + b^2\n$$\n",
        '<div class="grid" markdown>\n⟦Íñšíðé **ĝŕíð**.',
    ):
        assert kept in out
    assert "çöšţš $5 áñð $10" in out  # prices are prose, not math


def test_autorefs_keep_their_target_and_translate_their_text():
    _, out = translated("See [the class][package.module.Class] for details.\n")
    assert "[ţĥé çļášš][package.module.Class]" in out


def test_inline_marks_and_code_annotations_survive():
    page = (
        "A ==marked== ^^inserted^^ ~~deleted~~ H~2~O x^2^ text.\n\n"
        "- [x] Done item\n\n"
        "```python\nx = 1  # (1)!\n```\n\n"
        "1.  The annotation text.\n"
    )
    _, out = translated(page)
    assert "==ɱáŕķéð== ^^íñšéŕţéð^^ ~~ðéļéţéð~~ Ĥ~2~Ö ẋ^2^" in out
    assert "- [x] ⟦Ðöñé" in out and "x = 1  # (1)!" in out
    assert "1.  ⟦Ţĥé áññöţáţíöñ" in out


@pytest.mark.parametrize(
    ("page", "bad", "problem"),
    [
        (ADMONITION, lambda t: t.replace("!!! note", "!!! ñöţé"), "block 1 is"),
        (ADMONITION, lambda t: t.replace("!!! note", "  !!! note"), "block 1 is"),
        (ADMONITION, lambda t: t.replace("\n    ", "\n"), "block"),
        ('=== "A"\n    Body.\n', lambda t: t.replace("=== ", "==="), "block 1 is"),
        ("/// note\nBody.\n///\n", lambda t: t.replace("\n///", "\n// /"), "block"),
        ("Press ++ctrl++ now.\n", lambda t: t.replace("++ctrl++", "ctrl"), "MkDocs syntax"),
        ("A ==mark== here.\n", lambda t: t.replace("==", ""), "MkDocs syntax"),
        ("::: pkg.mod\n    options: {}\n", lambda t: t.replace("pkg", "ƥķĝ"), "`::: ƥķĝ.mod`"),
    ],
)
def test_the_structure_check_names_a_broken_marker_line(page, bad, problem):
    doc = parse_markdown(page, "docs/page.md", dialect="mkdocs")
    problems = verify_structure(doc, bad(pseudo(doc)))
    assert problems and problem in problems[0]
    assert re.match(r"docs/page\.md:\d+: ", problems[0])


def test_a_doc_block_reaches_the_pseudo_engine_framed_without_link_brackets():
    import asyncio

    from locflow.connectors.engines.base import Request
    from locflow.connectors.engines.pseudo import PseudoEngine

    engine = PseudoEngine()
    doc = Request("a", "See [X0X]this[X1X].", "en", "fr", markup="markdown")
    po = Request("b", "See [X0X]this[X1X].", "en", "fr")
    first, second = asyncio.run(engine.translate([doc, po]))
    assert first.text is not None and first.text.startswith("⟦") and first.text.endswith("⟧")
    assert second.text is not None and second.text.startswith("[") and second.text.endswith("]")
