"""One decision per block (pipeline.docs_fit): a block whose translation breaks the page's
structure by itself goes out in the source language, named with its source line; the others
go out translated and the page keeps its structure. The broken translations are the kinds a
small local model gave on griffe's docs (inline code and links dropped) and a few more."""

from __future__ import annotations

from locflow.connectors.markdown import parse_markdown, rebuild, verify_structure
from locflow.pipeline.docs_fit import LEFT_IN_SOURCE, fit_document

PAGE = """\
# Loading

Use `griffe.load` to load a package, as the [guide](guide.md) says.

!!! note "Stubs"
    Griffe reads `.pyi` files too.

Plain prose with nothing special.

Plain prose with nothing special.

- one item
- another item
"""


def doc():
    return parse_markdown(PAGE.encode(), "docs/loading.md", dialect="mkdocs")


GOOD = {
    "Loading": "Chargement",
    "Stubs": "Ébauches",
    "Plain prose with nothing special.": "De la prose, rien de spécial.",
    "one item": "un élément",
    "another item": "un autre élément",
}


def test_clean_translations_go_out_as_they_are():
    fitted = fit_document(doc(), GOOD)
    assert fitted.problems == () and fitted.demoted == ()
    assert fitted.text == rebuild(doc(), GOOD) and fitted.translations == GOOD


def test_each_broken_block_is_left_in_the_source_language_with_its_line():
    broken = {
        **GOOD,
        # inline code and the link dropped
        "Use `griffe.load` to load a package, as the [guide](guide.md) says.": (
            "Utilisez griffe.load pour charger un paquet, comme le dit le guide."
        ),
        # a list made up inside the admonition's body
        "Griffe reads `.pyi` files too.": "Griffe lit :\n\n- les fichiers `.pyi`\n- aussi",
    }
    fitted = fit_document(doc(), broken)
    assert fitted.problems == ()
    assert verify_structure(doc(), fitted.text) == []
    lines = {line.split(": ", 1)[0] for line in fitted.demoted}
    assert lines == {"docs/loading.md:3", "docs/loading.md:6"}
    assert all(line.endswith(LEFT_IN_SOURCE) for line in fitted.demoted)
    assert any("inline code 'griffe.load' missing (1x)" in line for line in fitted.demoted)
    assert any("link target 'guide.md' missing" in line for line in fitted.demoted)
    assert "Use `griffe.load` to load a package" in fitted.text  # the source's own text
    assert "    Griffe reads `.pyi` files too." in fitted.text
    assert "# Chargement" in fitted.text and '!!! note "Ébauches"' in fitted.text
    assert set(fitted.translations) == set(GOOD)


def test_a_text_used_twice_is_left_in_the_source_language_in_both_places():
    broken = {**GOOD, "Plain prose with nothing special.": "De la prose, `sans code`."}
    fitted = fit_document(doc(), broken)
    assert [line.split(": ", 1)[0] for line in fitted.demoted] == ["docs/loading.md:8"]
    assert fitted.text.count("Plain prose with nothing special.") == 2
