"""Line structure of translated Markdown (issue 14): a wrapped paragraph is re-wrapped to its
source's width, one sentence per line stays so, a one-line paragraph stays one line, hard
breaks survive with the source's marker, and no soft break ever starts another block or
becomes a hard break. The msgid is unchanged: only the rebuilt text is laid out."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from locflow.connectors.markdown import parse_markdown, rebuild, verify_structure
from locflow.connectors.markdown_wrap import (
    LINE_STARTS,
    Shape,
    ends_sentence,
    hard_break,
    layout,
    source_shape,
    unsafe_start,
)


def rendered(source: str, translations: dict[str, str]) -> list[str]:
    """The rebuilt document's lines (line breaks as written), checked by verify_structure."""
    doc = parse_markdown(source, "t.md")
    msgids = {b.segment.msgid for b in doc.blocks}
    assert set(translations) <= msgids, f"not msgids of the source: {set(translations) - msgids}"
    out = rebuild(doc, translations)
    assert verify_structure(doc, out) == []
    return out.splitlines(keepends=False) if "\r" not in out else out.split("\r\n")


WRAPPED = "aaaa bbbb cccc\ndddd eeee\n"  # 14 columns, one soft break, no sentence end
LONG = "one two three four five six seven eight"


# --- the msgid does not change ----------------------------------------------------------


def test_msgid_still_joins_soft_breaks_with_one_space() -> None:
    assert [b.segment.msgid for b in parse_markdown(WRAPPED, "t.md").blocks] == [
        "aaaa bbbb cccc dddd eeee"
    ]


# --- width -----------------------------------------------------------------------------


def test_wrapped_paragraph_is_rewrapped_to_its_longest_source_line() -> None:
    lines = rendered(WRAPPED, {"aaaa bbbb cccc dddd eeee": LONG})
    assert lines == ["one two three", "four five six", "seven eight"]


@pytest.mark.parametrize(
    ("source", "msgid", "expected"),
    [
        (
            "> aaaa bbbb cc\n> dddd\n",
            "aaaa bbbb cc dddd",
            ["> one two", "> three four", "> five six"],
        ),
        (
            "- aaaa bbbb cc\n  dddd\n",
            "aaaa bbbb cc dddd",
            ["- one two", "  three four", "  five six"],
        ),
        (
            "10. aaaa bbbb\n    cc\n",
            "aaaa bbbb cc",
            ["10. one two", "    three", "    four five", "    six"],
        ),
        (
            "> lazy one two\ncontinued\n",
            "lazy one two continued",
            ["> one two", "> three four", "> five six"],
        ),
        (
            "- x\n\n  > aaaa bbbb\n  > cc\n",
            "aaaa bbbb cc",
            ["- x", "", "  > one two", "  > three", "  > four five", "  > six"],
        ),
    ],
    ids=["quote", "list item", "ordered item", "lazy quote line", "quote in a list"],
)
def test_width_counts_the_container_prefix(source: str, msgid: str, expected: list[str]) -> None:
    assert rendered(source, {msgid: "one two three four five six"}) == expected


def test_a_word_longer_than_the_width_stays_whole() -> None:
    lines = rendered(WRAPPED, {"aaaa bbbb cccc dddd eeee": "one supercalifragilistic two"})
    assert lines == ["one", "supercalifragilistic", "two"]


def test_text_without_spaces_is_not_broken() -> None:
    cjk = "这是一个很长的中文句子没有空格所以它不应该被断开"
    assert rendered(WRAPPED, {"aaaa bbbb cccc dddd eeee": cjk}) == [cjk]


def test_no_break_inside_a_code_span() -> None:
    source = "aaaa bbbb cccc\n`two three\nfour` d\n"
    lines = rendered(source, {"aaaa bbbb cccc `two three four` d": "one `two three four` five"})
    assert lines == ["one", "`two three four`", "five"]


def test_no_break_inside_a_link_destination_and_its_title_is_still_translated() -> None:
    source = 'aaaa bbbb cccc\n[d](x.md "a b c")\n'
    translations = {
        'aaaa bbbb cccc [d](x.md "a b c")': 'one two [three](x.md "a b c") four',
        "a b c": "x y z",
    }
    assert rendered(source, translations) == ["one two", '[three](x.md "x y z")', "four"]


def test_crlf_source_keeps_crlf() -> None:
    doc = parse_markdown(WRAPPED.replace("\n", "\r\n"), "t.md")
    out = rebuild(doc, {"aaaa bbbb cccc dddd eeee": LONG})
    assert out == "one two three\r\nfour five six\r\nseven eight\r\n"
    assert verify_structure(doc, out) == []


# --- one line, sentences ----------------------------------------------------------------


def test_one_line_paragraph_stays_one_line() -> None:
    assert rendered("A short line.\n", {"A short line.": LONG}) == [LONG]


def test_setext_heading_stays_one_line() -> None:
    assert rendered("aaaa\nbbbb\n====\n", {"aaaa bbbb": LONG}) == [LONG, "===="]


@pytest.mark.parametrize(
    ("source", "msgid", "translation", "expected"),
    [
        (
            "First one.\nSecond one!\nThird?\nLast\n",
            "First one. Second one! Third? Last",
            "Premier. Deuxième ! Troisième ? Fin",
            ["Premier.", "Deuxième !", "Troisième ?", "Fin"],
        ),
        (
            'He said "stop."\nThen (he left.)\nEnd: here\n',
            'He said "stop." Then (he left.) End: here',
            "Il dit « stop. » Puis (il part.) Fin : ici",
            ["Il dit « stop. »", "Puis (il part.)", "Fin : ici"],
        ),
        (
            "Ein Satz.\nNoch einer.\n",
            "Ein Satz. Noch einer.",
            "Siehe z. B. die Seite. Und dann mehr Text als die Quelle hatte.",
            ["Siehe z. B. die Seite.", "Und dann mehr Text als die Quelle hatte."],
        ),
        (
            "一句话。\n第二句。\n",
            "一句话。 第二句。",
            "One sentence. Another one.",
            ["One sentence.", "Another one."],
        ),
        (
            "See [`a.b`][a.b].\nThen more.\n\n[a.b]: /x\n",
            "See [`a.b`][a.b]. Then more.",
            "Voir [`a.b`][a.b]. Puis plus. Et encore.",
            ["Voir [`a.b`][a.b].", "Puis plus.", "Et encore.", "", "[a.b]: /x"],
        ),
    ],
    ids=[
        "punctuation",
        "closing quotes and brackets",
        "lowercase after a period",
        "cjk source",
        "dotted link before the period",
    ],
)
def test_one_sentence_per_line_stays_so(
    source: str, msgid: str, translation: str, expected: list[str]
) -> None:
    assert rendered(source, {msgid: translation}) == expected


def test_a_line_not_ending_a_sentence_means_width_wrapping() -> None:
    source = "One sentence.\nwrapped here and\nthere.\n"
    lines = rendered(source, {"One sentence. wrapped here and there.": LONG})
    assert lines == ["one two three", "four five six", "seven eight"]


# --- hard breaks -------------------------------------------------------------------------


@pytest.mark.parametrize(("marker", "written"), [("\\", "\\"), ("  ", "  ")])
def test_hard_breaks_survive_with_the_source_marker(marker: str, written: str) -> None:
    source = f"aaaa bbbb{marker}\ncccc dddd\neeee\n"
    lines = rendered(source, {"aaaa bbbb\ncccc dddd eeee": "three four five six\none two"})
    assert lines == ["three", "four five", f"six{written}", "one two"]


def test_hard_breaks_only_source_is_not_wrapped() -> None:
    source = "aa\\\nbb\n"
    assert rendered(source, {"aa\nbb": "one two three\nfour five six"}) == [
        "one two three\\",
        "four five six",
    ]


@pytest.mark.parametrize(
    ("source", "msgid", "expected"),
    [
        ("a\\ \\\nb\n", "a\\\nb", ["x\\ \\", "y"]),
        ("a\\   \nb\n", "a\\\nb", ["x\\   ", "y"]),
        ("- a\\ \\\n  b\n", "a\\\nb", ["- x\\ \\", "  y"]),
        ("> a\\ \\\n> b\n", "a\\\nb", ["> x\\ \\", "> y"]),
        ("a \\\\\\\nb\n", "a \\\\\nb", ["x \\\\\\", "y"]),
    ],
    ids=["backslash marker", "spaces marker", "list item", "block quote", "escaped backslash"],
)
def test_line_ending_in_a_backslash_keeps_its_hard_break(
    source: str, msgid: str, expected: list[str]
) -> None:
    """The bug: `\\!\\ \\` at a line's end (pymdown-extensions' escapeall.md) lost the
    escaped space from the msgid, and `\\!\\` + `\\` came back as an escaped backslash:
    the page was refused with `hard line break missing`."""
    translation = msgid.replace("a", "x").replace("b", "y")
    assert rendered(source, {msgid: translation}) == expected


def test_hard_break_marker_after_backslashes() -> None:
    assert hard_break("a\\", "\\") == "a\\ \\"
    assert hard_break("a\\\\", "\\") == "a\\\\\\"
    assert hard_break("a\\", "  ") == "a\\   "
    assert hard_break("", "  ") == "\\"


# --- no soft break starts another block or becomes a hard one ---------------------------

DANGERS = [
    "#",
    "#1",
    ">",
    "-",
    "+",
    "*",
    "1.",
    "2)",
    "=",
    "---",
    "***",
    "___",
    "|",
    "|-|",
    ":-:",
    "```",
    "~~~",
    "<div>",
    "$$",
    "!!!",
    "???",
    "===",
    "///",
    ":::",
    "--8<--",
    "*[",
    "[^1]:",
    "[x]:",
    ":",
]


@pytest.mark.parametrize("danger", DANGERS)
def test_no_line_starts_a_block(danger: str) -> None:
    source = f"aaaa bbbb cccc\nd {danger} e\n"  # the source holds the same markup
    lines = rendered(source, {f"aaaa bbbb cccc d {danger} e": f"one two three {danger} x"})
    assert lines == ["one two", f"three {danger} x"]


def test_every_line_start_rule_is_exercised() -> None:
    names = {unsafe_start(f"{d} x") for d in DANGERS}
    assert names == set(LINE_STARTS)


def test_html_comment_is_neither_broken_nor_put_first() -> None:
    source = "aaaa bbbb cccc\nd <!-- c --> e\n"
    lines = rendered(source, {"aaaa bbbb cccc d <!-- c --> e": "one two three <!-- c --> x"})
    assert lines == ["one two", "three <!-- c -->", "x"]


def test_no_line_ends_in_a_backslash() -> None:
    lines = rendered(WRAPPED, {"aaaa bbbb cccc dddd eeee": "one two thre\\ four five"})
    assert lines == ["one two", "thre\\ four", "five"]
    assert not any(line.endswith("\\") for line in lines)


INLINE = ["`a b`", "[l m](u.md)", '[t](u "ti tle")', '<span class="a b">', "</span>", "&amp;"]
WORDS = [
    "word",
    "a",
    "longerword",
    "x.",
    "Yes.",
    "\\",
    "\\\\",
    *(d for d in DANGERS if d not in ("<div>", "```")),  # markup of their own
]


@settings(max_examples=150, deadline=None)
@given(
    container=st.sampled_from([("", ""), ("> ", "> "), ("- ", "  "), ("1. ", "   ")]),
    sentences=st.booleans(),
    markup=st.lists(st.sampled_from(INLINE), max_size=4),
    words=st.lists(st.sampled_from(WORDS), min_size=1, max_size=30),
    order=st.randoms(use_true_random=False),
)
def test_random_translations_keep_the_structure(
    container: tuple[str, str],
    sentences: bool,
    markup: list[str],
    words: list[str],
    order: object,
) -> None:
    """Whatever words a translation is made of, the wrapped lines start no block, end in no
    backslash, and the rebuilt page has the source's structure."""
    first, rest = container
    head = "Aaaa bbbb." if sentences else "aaaa bbbb cccc"
    source = f"{first}{head}\n{rest}Dddd {' '.join(markup)}\n"
    tokens = [*markup, *words]
    order.shuffle(tokens)  # type: ignore[attr-defined]
    translation = " ".join(tokens)
    assume(unsafe_start(translation) is None and not translation.endswith("\\"))
    doc = parse_markdown(source, "t.md")
    msgid = doc.blocks[0].segment.msgid
    out = rebuild(doc, {msgid: translation})
    assert verify_structure(doc, out) == []
    lines = out.splitlines()
    assert not any(line.endswith("\\") for line in lines)
    assert not any(unsafe_start(line[len(rest) :]) for line in lines[1:])


def test_backslash_ending_the_paragraph_stays_last_and_literal() -> None:
    source = "aaaa bbbb cccc\ndddd \\\n\nnext\n"
    lines = rendered(source, {"aaaa bbbb cccc dddd \\": "one two three four five \\"})
    assert lines == ["one two three", "four five \\", "", "next"]


# --- the pure pieces ---------------------------------------------------------------------


def test_source_shape() -> None:
    assert source_shape("aaaa bbbb\ncc", 0) == Shape(True, False, 9)
    assert source_shape("One.\nTwo!\nThree", 0) == Shape(True, True, 5)
    assert source_shape("one line", 0) == Shape(False, False, 8)
    assert source_shape("a\\\nb", 1) == Shape(False, False, 1)  # markers do not count
    assert source_shape("> a b c\n> d", 0).width == 7


@pytest.mark.parametrize(
    ("text", "ends"),
    [
        ("Done.", True),
        ('it "ends."', True),
        ("(see above.)", True),
        ("好。", True),
        ("Note:", True),
        ("not yet", False),
        ("a.b", False),
    ],
)
def test_ends_sentence(text: str, ends: bool) -> None:
    assert ends_sentence(text) is ends


def test_layout_without_a_wrapped_source_is_one_line() -> None:
    assert layout(LONG, Shape(False, False, 5), 0) == [LONG]


# --- real pages --------------------------------------------------------------------------


@pytest.mark.slow
def test_real_pages_keep_their_line_structure(tmp_path: Path) -> None:
    from tests.support.line_structure import extracted, measure

    c = measure(extracted(tmp_path))
    assert c.pages > 100
    assert c.refused == []
    assert c.wrapped > 1000 and c.still_wrapped >= 0.95 * c.wrapped, c.unwrapped[:20]
    assert c.one_line > 1000 and c.still_one_line == c.one_line
    assert c.sentences > 50 and c.still_sentences >= 0.95 * c.sentences


def test_wide_characters_count_two_columns() -> None:
    source = "中文中文中文中文\n中文\n"  # 16 columns, 8 characters
    lines = rendered(source, {"中文中文中文中文 中文": "one two three four five six"})
    assert lines == ["one two three", "four five six"]
