"""reST references in Sphinx msgids reach the engine as tokens, so the link survives.

Named and anonymous hyperlink references (bare `name_` or backquoted), substitution,
footnote and citation references are masked whole; a role's or an embedded URI's target is
masked and its title stays translatable. Prose that only looks like a reference
(`snake_case_words`, `__init__`, an escaped `name\\_`) stays text. Fast tests check each form
against our table and against docutils' own parser; the slow tests build real Sphinx docs
(Click 8.1.7's, Flask 3.0.3's and a page with every form) in French and ask Sphinx whether any
reference became inconsistent.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from docutils import nodes
from docutils.frontend import get_default_settings
from docutils.parsers.rst import Parser
from docutils.utils import new_document

from locflow.catalog.markup import rst_spans
from locflow.catalog.placeholders import mask, unmask
from locflow.catalog.rst_breaks import rewrap_like_source
from locflow.connectors.engines.pseudo import pseudo_localise
from tests.support.sphinx_real import click_docs, flask_docs, forms_docs, localise, sphinx_build

# text, the originals masked (in order), the text the engine sees (None: not checked)
REFERENCE_CASES = [
    ("The click-contrib_ organization", ["click-contrib_"], "The [X0X] organization"),
    ("See Python_.", ["Python_"], "See [X0X]."),
    ("docs.python-org_, a+b_ and std:lib_", ["docs.python-org_", "a+b_", "std:lib_"], None),
    ("file_name_ and café_ link", ["file_name_", "café_"], "[X0X] and [X1X] link"),
    ("(click-contrib_), 'quoted_' and -dash_", ["click-contrib_", "quoted_", "dash_"], None),
    ("Read `a phrase`_ now", ["`a phrase`_"], "Read [X0X] now"),
    ("Anonymous pypi__ link", ["pypi__"], "Anonymous [X0X] link"),
    ("The `package index`__ link", ["`package index`__"], "The [X0X] link"),
    ("|project| and |project|_ and |logo|__", ["|project|", "|project|_", "|logo|__"], None),
    (
        "Notes [#note]_, [#]_, [*]_, [1]_ and [CIT2002]_.",
        ["[#note]_", "[#]_", "[*]_", "[1]_", "[CIT2002]_"],
        "Notes [X0X], [X1X], [X2X], [X3X] and [X4X].",
    ),
    ("Go to :ref:`Setup <setup>` now", [":ref:`", " <setup>`"], "Go to [X0X]Setup[X1X] now"),
    (
        "Use :term:`a term <glossary term>` or :term:`glossary term`",
        [":term:`", " <glossary term>`", ":term:`glossary term`"],
        "Use [X0X]a term[X1X] or [X2X]",
    ),
    (
        "The `Python site <https://www.python.org/>`_ and `docs <https://d.org/>`__",
        ["`", " <https://www.python.org/>`_", "`", " <https://d.org/>`__"],
        "The [X0X]Python site[X1X] and [X2X]docs[X3X]",
    ),
    # a role right after an inline literal, as Django's docs write defaults
    (
        "Default: ``'``:class:`django.forms.renderers.Jinja2`\\ ``'`` or ``x=``:func:`f`.",
        ["``'``", ":class:`django.forms.renderers.Jinja2`", "``'``", "``x=``", ":func:`f`"],
        "Default: [X0X][X1X]\\ [X2X] or [X3X][X4X].",
    ),
    # an embedded alias names another target: Sphinx compares its whole text
    ("See `an alias <click-contrib_>`_ here", ["`an alias <click-contrib_>`_"], None),
    ("A URI `ending <https://x.org/a\\_>`_", ["`", " <https://x.org/a\\_>`_"], None),
]


@pytest.mark.parametrize(("text", "originals", "masked"), REFERENCE_CASES)
def test_each_reference_form_is_masked(text: str, originals: list[str], masked) -> None:
    m = mask(text, ())
    assert [t.original for t in m.tokens] == originals
    if masked is not None:
        assert m.text == masked
    assert {t.kind for t in m.tokens} <= {"rst-ref", "rst-role", "rst-literal"}
    assert unmask(m, m.text) == text


PROSE_CASES = [
    "snake_case_words stay words",
    "a_b_c, x_(1) and name_of_thing.",
    "call __init__ or __main__ here",
    "an escaped name\\_ is text",
    "a double __ underscore, a lone _ and _private",
    "ends with x_y",
    "name___ has three",
    "a *foo_* b, ~x_ and C++_",
]


@pytest.mark.parametrize("text", PROSE_CASES)
def test_prose_that_only_looks_like_a_reference_stays_text(text: str) -> None:
    assert [k for _, _, k in rst_spans(text) if k == "rst-ref"] == []


def test_markdown_strong_emphasis_is_no_anonymous_reference() -> None:
    text = "This extension is in __maintenance mode__ for now."
    assert mask(text, (), markdown=True).tokens == ()
    # the same text as reST: `mode__` is an anonymous reference (docutils agrees below)
    assert [t.original for t in mask(text, ()).tokens] == ["mode__"]


def _docutils_references(text: str) -> list[str]:
    """The raw text of every reference docutils' own parser finds in `text` (one paragraph)."""
    settings = get_default_settings(Parser)
    settings.report_level = 5
    document = new_document("<case>", settings)
    Parser().parse(text, document)
    kinds = (
        nodes.reference,
        nodes.footnote_reference,
        nodes.citation_reference,
        nodes.substitution_reference,
    )
    return [
        node.rawsource
        for node in document.findall(lambda n: isinstance(n, kinds))
        if not isinstance(node.parent, nodes.reference)  # |name|_: the substitution inside
    ]


# `title <uri>`_ with a URI (not an alias `<name_>`): only the target part is masked
_EMBEDDED_URI = re.compile(r"`.*?(?P<target>\s*<[^<>]*(?:[^_<>]|\\_)>`__?)", re.DOTALL)


def _masked_part(raw: str) -> str:
    m = _EMBEDDED_URI.fullmatch(raw)
    return m["target"] if m else raw


@pytest.mark.parametrize(
    "text",
    [c[0] for c in REFERENCE_CASES]
    + PROSE_CASES
    + ["x alpha_ beta__; `g d`_, end.", "This extension is in __maintenance mode__ for now."],
)
def test_masked_references_are_the_ones_docutils_finds(text: str) -> None:
    """Every reference docutils parses is masked, and nothing else is masked as one (Sphinx
    roles are unknown to plain docutils: they are `rst-role` tokens, not references)."""
    ours = [t.original for t in mask(text, ()).tokens if t.kind == "rst-ref" and t.original != "`"]
    assert ours == [_masked_part(raw) for raw in _docutils_references(text)]


def test_pseudo_translation_keeps_every_reference() -> None:
    text = "The click-contrib_ group, pypi__, |project|_ and [#note]_ see `docs <https://d.org>`_."
    m = mask(text, ())
    out = unmask(m, pseudo_localise(m.text))
    for kept in ("click-contrib_", "pypi__", "|project|_", "[#note]_", " <https://d.org>`_"):
        assert kept in out
    assert "docs" not in out and "group" not in out  # the prose and the link text translated


# --- Sphinx as the oracle -----------------------------------------------------------------


@pytest.mark.slow
def test_click_docs_translate_without_inconsistent_references(tmp_path: Path) -> None:
    docs = click_docs(tmp_path)
    out = localise(docs, f"sqlite:///{tmp_path / 'locflow.db'}")
    assert out.pot_files >= 20 and out.segments >= 1000 and out.translated == out.segments
    assert out.lines() == []
    contrib = (docs / "_build/html/fr/contrib.html").read_text(encoding="utf-8")
    assert 'href="https://github.com/click-contrib/">click-contrib</a>' in contrib


@pytest.mark.slow
def test_every_reference_form_survives_a_sphinx_translation(tmp_path: Path) -> None:
    docs = forms_docs(tmp_path / "forms")
    out = localise(docs, f"sqlite:///{tmp_path / 'locflow.db'}")
    assert out.warnings == ""  # no inconsistent reference, no unknown target
    page = (docs / "_build/html/fr/index.html").read_text(encoding="utf-8")
    for href, text in [
        ("https://github.com/click-contrib/", "click-contrib"),
        ("https://pypi.org/", "pypi"),
        ("https://example.org/phrase", "a phrase"),
        ("https://example.org/project", "Click"),
        ("https://www.python.org/", "ţĥé Þýţĥöñ šíţé"),  # an embedded URI's title: translated
    ]:
        assert f'href="{href}">{text}</a>' in page
    assert '<span class="std std-ref">ţĥé ƒíŕšţ šéçţíöñ</span>' in page
    assert "šñáķé_çášé_ŵöŕðš" in page and "ţŕáíļíñĝ_ûñðéŕšçöŕé" in page  # prose translated


@pytest.mark.slow
def test_flask_docs_translate_without_inconsistent_references(tmp_path: Path) -> None:
    """Flask 3.0.3's docs (2,689 segments) wrap some phrase references over two lines; the
    export writes them as the source does (see the next test for why it must)."""
    out = localise(flask_docs(tmp_path), f"sqlite:///{tmp_path / 'locflow.db'}")
    assert out.segments >= 2000 and out.translated == out.segments
    assert out.lines() == []
    page = (tmp_path / "docs/_build/html/fr/tutorial/index.html").read_text(encoding="utf-8")
    assert re.search(r">official\s+tutorial</a>", page)  # the link, its line break kept


@pytest.mark.slow
def test_a_verbatim_reference_of_a_wrapped_phrase_warns_in_sphinx_itself(tmp_path: Path) -> None:
    """No locflow here: a hand-written msgstr that keeps the msgid's reference as it is is
    warned about, since Sphinx compares it with the source's raw text: why locflow's export
    writes a wrapped reference with the source's line break (catalog.rst_breaks)."""
    (tmp_path / "conf.py").write_text('project = "x"\nlocale_dirs = ["locale/"]\n')
    (tmp_path / "index.rst").write_text(
        "Title\n=====\n\nSee the `official\ntutorial`_ now.\n\n"
        ".. _official tutorial: https://example.org/\n"
    )
    sphinx_build(tmp_path, "-b", "gettext", ".", "_build/gettext")
    assert (
        'msgid "See the `official tutorial`_ now."'
        in (tmp_path / "_build/gettext/index.pot").read_text()
    )
    po = tmp_path / "locale/fr/LC_MESSAGES/index.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "See the `official tutorial`_ now."\n'
        'msgstr "Voir le `official tutorial`_ maintenant."\n'
    )
    subprocess.run(["msgfmt", "-o", str(po.with_suffix(".mo")), str(po)], check=True)
    warnings = sphinx_build(tmp_path, "-b", "html", "-D", "language=fr", ".", "_build/html")
    assert "inconsistent references in translated message" in warnings
    assert (
        'href="https://example.org/">official tutorial</a>'
        in (tmp_path / "_build/html/index.html").read_text()
    )


SOURCE = """\
Read the `official
   tutorial`_ and run :option:`check
--deploy` before `Django's
docs <https://docs.djangoproject.com/>`_.
"""


def test_a_wrapped_reference_is_written_with_the_sources_line_break() -> None:
    msgid = (
        "Read the `official tutorial`_ and run :option:`check --deploy` before "
        "`Django's docs <https://docs.djangoproject.com/>`_."
    )
    msgstr = (
        "Lisez le `official tutorial`_ et lancez :option:`check --deploy` avant "
        "`la doc de Django <https://docs.djangoproject.com/>`_."
    )
    out = rewrap_like_source(msgstr, msgid, SOURCE)
    assert out == (
        "Lisez le `official\ntutorial`_ et lancez :option:`check\n--deploy` avant "
        "`la doc de Django <https://docs.djangoproject.com/>`_."
    )  # indentation dropped, as docutils drops it; a translated title is left alone
    assert rewrap_like_source(msgstr, msgid, "no such text here") == msgstr
    assert rewrap_like_source(msgstr.replace("`official tutorial`_", "x"), msgid, SOURCE) == (
        "Lisez le x et lancez :option:`check\n--deploy` avant "
        "`la doc de Django <https://docs.djangoproject.com/>`_."
    )
