"""What review screens show, table-driven: highlighted pieces, word diffs, provenance,
writing direction, plural labels, and the queue filters from a query string."""

from __future__ import annotations

from datetime import datetime

import pytest

from locflow.catalog.plurals import plural_info
from locflow.catalog.segment import Segment
from locflow.db.states import State
from locflow.glossaries import Glossary, Term
from locflow.review.present import (
    GlossaryView,
    Piece,
    diff_text,
    form_labels,
    highlight,
    is_rtl,
    placeholder_spans,
    provenance,
    target_term_spans,
    word_diff,
)
from locflow.review.views import Filters


@pytest.mark.parametrize(
    ("text", "flags", "expected"),
    [
        ("Hello %s!", ("c-format",), [("Hello ", ""), ("%s", "c-format"), ("!", "")]),
        ("Hello %s!", (), [("Hello %s!", "")]),
        ("{n} <b>x</b>", ("python-brace-format",), [
            ("{n}", "python-brace-format"), (" ", ""), ("<b>", "tag"), ("x", ""), ("</b>", "tag"),
        ]),
        ("a\nb", (), [("a", ""), ("\n", "newline"), ("b", "")]),
        ("  pad ", (), [("  ", "whitespace"), ("pad", ""), (" ", "whitespace")]),
        ("see https://x.org.", (), [("see ", ""), ("https://x.org", "url"), (".", "")]),
        ("<script>alert(1)</script>", (), [
            ("<script>", "tag"), ("alert(1)", ""), ("</script>", "tag"),
        ]),
    ],
)  # fmt: skip
def test_highlight_marks_what_masking_protects(text, flags, expected):
    pieces = highlight(text, flags)
    assert [(p.text, p.kind) for p in pieces] == expected
    assert "".join(p.text for p in pieces) == text


def test_placeholder_spans_are_offsets_into_the_text():
    text = "  %(n)d items in {x}\n"
    spans = placeholder_spans(text, ("python-format",))
    assert [(text[b:e], k) for b, e, k in spans] == [
        ("  ", "whitespace"),
        ("%(n)d", "python-format"),
        ("\n", "whitespace"),
    ]


def test_terms_are_highlighted_unless_a_placeholder_is_there():
    pieces = highlight("Open {file}", ("python-brace-format",), [(0, 4, "t"), (5, 11, "t2")])
    assert pieces == [
        Piece("Open", "term", "t"),
        Piece(" "),
        Piece("{file}", "python-brace-format", "python-brace-format"),
    ]


def test_glossary_view_matches_source_terms_and_accepted_targets():
    glossary = Glossary(
        "g",
        (
            Term.create("notebook", {"fr": ["carnet"]}, forbidden={"fr": "cahier"}),
            Term.create("GitHub", do_not_translate=True, case_sensitive=True),
        ),
    )
    view = GlossaryView(glossary, "en")
    spans = view.source_spans("Two notebooks on GitHub", (), "fr")
    assert [(b, e) for b, e, _ in spans] == [(4, 13), (17, 23)]
    assert spans[0][2] == "notebook → carnet (not: cahier)"
    assert spans[1][2] == "GitHub: keep as is"
    expectations = view.expectations(Segment(msgid="Two notebooks on GitHub"), "fr")
    found = target_term_spans("Deux carnets sur GitHub", expectations)
    assert sorted((b, e) for b, e, _ in found) == [(5, 11), (17, 23)]
    assert GlossaryView(None, "en").source_spans("notebook", (), "fr") == []


@pytest.mark.parametrize(
    ("old", "new", "shown"),
    [
        ("Ouvrir le fichier", "Ouvrir un fichier", "Ouvrir [-le-]{+un+} fichier"),
        ("", "Neu", "{+Neu+}"),
        ("Alt", "", "[-Alt-]"),
        ("a, b", "a; b", "a[-,-]{+;+} b"),
        ("same", "same", "same"),
    ],
)
def test_word_diff(old, new, shown):
    assert diff_text(word_diff(old, new)) == shown


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (("engine", "qwen_mt", "qwen_mt", "qwen-mt-flash"), "engine qwen_mt (qwen-mt-flash), "),
        (("human", "alice", "", ""), "alice, "),
        (("human", "alice", "pseudo", "p1"), "alice (from engine pseudo, p1), "),
        (("tm", "memory", "", ""), "translation memory, "),
    ],
)
def test_provenance_names_engine_and_model_or_the_person(args, shown):
    assert provenance(*args, datetime(2026, 11, 29, 12, 5)) == shown + "2026-11-29 12:05 UTC"


@pytest.mark.parametrize(
    ("locale", "rtl"),
    [("ar", True), ("he", True), ("fa", True), ("ur", True), ("fr", False), ("ru", False)],
)
def test_rtl(locale, rtl):
    assert is_rtl(locale) is rtl


def test_form_labels_show_category_and_numbers():
    labels = form_labels(plural_info("ru"), 3, True)
    assert labels[0].startswith("msgstr[0] · one · n = 1, 21, 31")
    assert labels[2].startswith("msgstr[2] · many · n = 0, 5, 6")
    assert form_labels(plural_info("ru"), 1, False) == ["msgstr"]
    assert form_labels(plural_info("ja"), 2, True)[1] == "msgstr[1] · beyond nplurals=1"


def test_filters_from_a_query_string_are_validated():
    f = Filters.parse({"state": "stale", "issue": "placeholders", "q": "x", "page": "3"})
    assert f.queue("fr").states == (State.STALE,)
    assert f.queue("fr").issue == "placeholders" and f.queue("fr").search == "x"
    assert f.query() == "state=stale&issue=placeholders&q=x&page=3"
    assert f.query(page="") == "state=stale&issue=placeholders&q=x"
    junk = Filters.parse({"state": "DROP TABLE", "issue": "<b>", "page": "-4"})
    assert (junk.state, junk.issue, junk.page) == ("pending", "", 1)
    assert Filters.parse({"state": "all"}).queue("fr").states == ()
    assert Filters().query() == ""
