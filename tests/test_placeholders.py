import pytest
from hypothesis import given
from hypothesis import strategies as st

from locflow.catalog.placeholders import (
    PlaceholderMismatch,
    active_formats,
    format_signature,
    mask,
    placeholders_in,
    unmask,
)

C, PY, BRACE = ("c-format",), ("python-format",), ("python-brace-format",)

# text, flags, markdown, the originals masked (in order), the text the engine sees
MASK_CASES = [
    (
        "%s %d %5.2f %-10s %lu %1$s %%",
        C,
        False,
        ["%s", "%d", "%5.2f", "%-10s", "%lu", "%1$s", "%%"],
        "[X0X] [X1X] [X2X] [X3X] [X4X] [X5X] [X6X]",
    ),
    (
        "%*d and %.*f %zu %hhx %<PRIu64>",
        C,
        False,
        ["%*d", "%.*f", "%zu", "%hhx", "%<PRIu64>"],
        None,
    ),
    (
        "%(name)s has %(n)d files, %-5.2f%% or %s",
        PY,
        False,
        ["%(name)s", "%(n)d", "%-5.2f", "%%", "%s"],
        None,
    ),
    (
        "{name} {0} {x:.2f} {obj.attr} {a[0]!r} {} {x:{w}}",
        BRACE,
        False,
        ["{name}", "{0}", "{x:.2f}", "{obj.attr}", "{a[0]!r}", "{}", "{x:{w}}"],
        None,
    ),
    ("{{literal}} {n}", BRACE, False, ["{{", "}}", "{n}"], "[X0X]literal[X1X] [X2X]"),
    ("%s and {n}", (), False, [], "%s and {n}"),
    ("%s and {n}", ("no-c-format",), False, [], "%s and {n}"),
    ("%s and {n}", ("c-format", "no-c-format"), False, [], "%s and {n}"),
    ("%s", ("possible-c-format",), False, ["%s"], "[X0X]"),
    (
        'Click <a href="https://x.org/?a=1&b=2">here</a><br/>',
        (),
        False,
        ['<a href="https://x.org/?a=1&b=2">', "</a>", "<br/>"],
        "Click [X0X]here[X1X][X2X]",
    ),
    (
        "Tom &amp; Jerry&#160;&#x2014; <!-- note -->",
        (),
        False,
        ["&amp;", "&#160;", "&#x2014;", "<!-- note -->"],
        None,
    ),
    (
        "See https://example.com/a_(b). Or www.example.org, ftp://f.net/x!",
        (),
        False,
        ["https://example.com/a_(b)", "www.example.org", "ftp://f.net/x"],
        None,
    ),
    (
        "(mailto:me@x.org) or write to team.lead+l10n@mail.example.co.uk.",
        (),
        False,
        ["mailto:me@x.org", "team.lead+l10n@mail.example.co.uk"],
        None,
    ),
    ("one\ntwo\n\nthree", (), False, ["\n", "\n", "\n"], "one[X0X]two[X1X][X2X]three"),
    (
        "already [X0X] and [x 3 x] here",
        (),
        False,
        ["[X0X]", "[x 3 x]"],
        "already [X0X] and [X1X] here",
    ),
    ("Run `pip install x` and ``a`b``", (), True, ["`pip install x`", "``a`b``"], None),
    ("Run `pip install x`", (), False, [], "Run `pip install x`"),
    (
        'Read [the docs](https://d.org/x "Title") now',
        (),
        True,
        ["[", '](https://d.org/x "Title")'],
        "Read [X0X]the docs[X1X] now",
    ),
    (
        "![logo](img/a.png) and [ref][1] and <https://auto.link>",
        (),
        True,
        ["![", "](img/a.png)", "[", "][1]", "<https://auto.link>"],
        "[X0X]logo[X1X] and [X2X]ref[X3X] and [X4X]",
    ),
    ("[text](https://x.org)", (), False, ["https://x.org"], "[text]([X0X])"),
    ('<a href="%s">%d items</a>', C, False, ['<a href="%s">', "%d", "</a>"], None),
]


@pytest.mark.parametrize(("text", "flags", "markdown", "originals", "masked"), MASK_CASES)
def test_mask(text: str, flags, markdown: bool, originals: list[str], masked) -> None:
    m = mask(text, flags, markdown=markdown)
    assert [t.original for t in m.tokens] == originals
    assert [t.token for t in m.tokens] == [f"[X{i}X]" for i in range(len(originals))]
    assert m.token_strings == tuple(t.token for t in m.tokens)
    if masked is not None:
        assert m.text == masked
    assert unmask(m, m.text) == text


def test_mask_kinds() -> None:
    m = mask("<b>%s</b> &amp; https://x.org a@b.org\nz `c` [X0X]", C, markdown=True)
    assert [t.kind for t in m.tokens] == [
        "tag",
        "c-format",
        "tag",
        "entity",
        "url",
        "email",
        "newline",
        "md-code",
        "token",
    ]


def test_leading_and_trailing_whitespace_kept_apart() -> None:
    m = mask("\n  Hello %s \n", C)
    assert (m.leading, m.text, m.trailing) == ("\n  ", "Hello [X0X]", " \n")
    assert unmask(m, "  Bonjour [X0X]\n") == "\n  Bonjour %s \n"


def test_whitespace_only() -> None:
    m = mask(" \n ", ())
    assert (m.text, m.tokens, m.leading) == ("", (), " \n ")
    assert unmask(m, "") == " \n "


@pytest.mark.parametrize(
    "translated",
    [
        "[x1x] puis [X0X]",
        "[X 1 X] puis [ X0X ]",
        "［X1X］ puis ［X０X］",
        "\\[X1X\\] puis [Х0Х]",  # escaped brackets, Cyrillic Х
    ],
)
def test_unmask_normalises_engine_variants_and_allows_reordering(translated: str) -> None:
    m = mask("%1$s then %2$s", C)
    assert unmask(m, translated) == "%2$s puis %1$s"


def test_unmask_drops_spaces_an_engine_puts_around_line_breaks() -> None:
    m = mask("one\ntwo", ())
    assert unmask(m, "un [X0X] deux") == "un\ndeux"


@pytest.mark.parametrize(
    ("translated", "missing", "unexpected"),
    [
        ("Bonjour [X0X]", ("[X1X]",), ()),
        ("Bonjour [X0X] [X0X] [X1X]", (), ("[X0X]",)),
        ("Bonjour [X0X] [X1X] [X7X]", (), ("[X7X]",)),
        ("Bonjour", ("[X0X]", "[X1X]"), ()),
    ],
)
def test_unmask_mismatch(translated: str, missing, unexpected) -> None:
    m = mask("Hello %s, %d", C)
    with pytest.raises(PlaceholderMismatch) as info:
        unmask(m, translated)
    assert info.value.missing == missing
    assert info.value.unexpected == unexpected
    assert isinstance(info.value, ValueError)
    assert "\n" not in str(info.value)


def test_mismatch_message_names_the_original() -> None:
    with pytest.raises(PlaceholderMismatch, match=r"missing \[X0X\]='%\(n\)d'"):
        unmask(mask("%(n)d files", PY), "fichiers")


@pytest.mark.parametrize(
    ("text", "flags", "expected"),
    [
        (
            "%s %% %(x)d {y} {{",
            ("c-format", "python-format", "python-brace-format"),
            ["%s", "%%", "%(x)d", "{y}", "{{"],
        ),
        ("%s {y}", BRACE, ["{y}"]),
        ("%s {y}", ("possible-c-format",), []),
        ("<b>%s</b>", C, ["%s"]),
    ],
)
def test_placeholders_in(text: str, flags, expected: list[str]) -> None:
    assert placeholders_in(text, flags) == expected


def test_active_formats() -> None:
    assert active_formats(["c-format", "no-python-format", "python-format"]) == ("c-format",)
    assert active_formats(["possible-python-format"]) == ()
    assert active_formats(["possible-python-format"], possible=True) == ("python-format",)


def _keys(text: str, kind: str) -> list[tuple[str, str]]:
    return sorted(key for key, _ in format_signature(text, kind)[0])


@pytest.mark.parametrize(
    ("a", "b", "kind", "equal"),
    [
        ("%s %d", "%2$d %1$s", "c-format", True),
        ("%s %d", "%d %s", "c-format", False),
        ("%5d", "%i", "c-format", True),
        ("%d", "%ld", "c-format", False),
        ("%s: %m", "%s", "c-format", True),
        ("%*d", "%d %d", "c-format", True),
        ("%(a)s %(b)d", "%(b)d %(a)s", "python-format", True),
        ("%(a)s", "%(a)d", "python-format", False),
        ("{} {}", "{1} {0}", "python-brace-format", True),
        ("{}", "{1}", "python-brace-format", False),
        ("{a} {b}", "{b} {a}", "python-brace-format", True),
        ("{x:.2f}", "{x:.1f}", "python-brace-format", False),
    ],
)
def test_format_signature(a: str, b: str, kind: str, equal: bool) -> None:
    assert (_keys(a, kind) == _keys(b, kind)) is equal


@pytest.mark.parametrize(
    ("text", "kind", "stray"),
    [
        ("100%% done, %s", "c-format", []),
        ("100% %s", "c-format", ["% "]),
        ("50%", "c-format", ["%"]),
        ("%(name", "python-format", ["%("]),
        ("{ a } }", "python-brace-format", ["{ ", "} ", "}"]),
        ("{{ok}}", "python-brace-format", []),
    ],
)
def test_stray_format_characters(text: str, kind: str, stray: list[str]) -> None:
    assert format_signature(text, kind)[1] == stray


_ALPHABET = st.sampled_from(
    [
        *"ab Z%sd()[]{}<>/&;#\n\t`!:@._-X0123\\",
        "%1$s",
        "{x}",
        "<b>",
        "http://e.org/",
        "［",
        "](",
        "![",
    ]
)
_FLAGS = st.lists(
    st.sampled_from(["c-format", "python-format", "python-brace-format", "no-c-format"])
)


@given(st.lists(_ALPHABET, max_size=30).map("".join), _FLAGS, st.booleans())
def test_round_trip_is_identity(text: str, flags: list[str], markdown: bool) -> None:
    m = mask(text, flags, markdown=markdown)
    assert unmask(m, m.text) == text
    for token in m.tokens:
        assert m.text.count(token.token) == 1


# --- regressions: the Markdown helper's findings ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "flags", "markdown", "originals"),
    [
        ("use \\<array>.push", (), True, ["\\<array>"]),
        ("use \\\\`x` here", (), True, ["\\`x`"]),  # an escaped backslash, then code
        ("C:\\%s and %d", C, False, ["\\%s", "%d"]),
        ("a \\\\<b>", (), False, ["\\<b>"]),  # an escaped backslash, then a tag
    ],
)
def test_backslash_before_a_span_is_kept(text: str, flags, markdown: bool, originals) -> None:
    m = mask(text, flags, markdown=markdown)
    assert [t.original for t in m.tokens] == originals
    assert unmask(m, m.text) == text
    # the engine translates around the token; the backslash cannot get lost on the way
    assert originals[0] in unmask(m, m.text.replace("[X0X]", "x [X0X]"))


def test_escaped_backtick_opens_no_code_span() -> None:
    text = "Use `a : \\`${b}\\`` and \\`keep` this"  # as CommonMark reads it
    m = mask(text, (), markdown=True)
    # markdown-it: <code>a : \</code>${b}`<code> and \</code>keep` this
    assert [t.original for t in m.tokens] == ["`a : \\`", "` and \\`"]
    assert m.text == "Use [X0X]${b}\\`[X1X]keep` this"
    assert unmask(m, m.text) == text


def test_backslash_the_source_had_before_a_token_is_not_an_engine_escape() -> None:
    m = mask("a \\\\<b>", (), markdown=False)  # masked text is `a \[X0X]`
    assert unmask(m, "b \\[X0X]") == "b \\\\<b>"
    plain = mask("%1$s then %2$s", C)  # no backslash in the source: `\[X1X\]` is an escape
    assert unmask(plain, "\\[X1X\\] puis [X0X]") == "%2$s puis %1$s"


def test_link_text_with_brackets_is_masked() -> None:
    m = mask("See [`f([x])`](api.md#f) now", (), markdown=True)
    assert [t.original for t in m.tokens] == ["[", "`f([x])`", "](api.md#f)"]
    assert m.text == "See [X0X][X1X][X2X] now"
    assert "api.md" not in m.text


def test_linked_badge_masks_both_targets() -> None:
    text = "[![CI](https://ci.example/b.svg)](https://ci.example/job) text"
    m = mask(text, (), markdown=True)
    assert [t.original for t in m.tokens] == [
        "[",
        "![",
        "](https://ci.example/b.svg)",
        "](https://ci.example/job)",
    ]
    assert m.text == "[X0X][X1X]CI[X2X][X3X] text"
    assert unmask(m, m.text) == text


def test_url_stops_at_a_markdown_link_boundary() -> None:
    text = "[![CI](https://ci.example/b.svg)](https://ci.example/job)"
    m = mask(text, (), markdown=False)
    assert [t.original for t in m.tokens] == [
        "https://ci.example/b.svg",
        "https://ci.example/job",
    ]


def test_reference_style_badge_masks_its_label() -> None:
    m = mask("[![A][img]][link] text", (), markdown=True)
    assert [t.original for t in m.tokens] == ["[", "![", "][img]", "][link]"]
    assert m.text == "[X0X][X1X]A[X2X][X3X] text"
    assert "link" not in m.text


# --- reStructuredText, as Sphinx's gettext builder leaves it in msgids -----------------------

RST_CASES = [
    (
        "Read :doc:`usage`, or :ref:`Installing Notes <install>` now.",
        [":doc:`usage`", ":ref:`", " <install>`"],
        "Read [X0X], or [X1X]Installing Notes[X2X] now.",
    ),
    (
        "From the `project website <https://example.org/n>`_ run ``notes --init``:",
        ["`", " <https://example.org/n>`_", "``notes --init``"],
        "From the [X0X]project website[X1X] run [X2X]:",
    ),
    (
        "Call :py:func:`the parser <json.loads>` or :func:`json.dumps`.",
        [":py:func:`", " <json.loads>`", ":func:`json.dumps`"],
        "Call [X0X]the parser[X1X] or [X2X].",
    ),
    (
        "See `Python`_, `anon <https://a.org>`__, [#]_, [1]_, |project| and `x`:term:.",
        ["`Python`_", "`", " <https://a.org>`__", "[#]_", "[1]_", "|project|", "`x`:term:"],
        None,
    ),
    (
        "Press :kbd:`Ctrl+N`; :math:`a<b>` and :samp:`print <x>` stay whole.",
        [":kbd:`Ctrl+N`", ":math:`a<b>`", ":samp:`print <x>`"],
        None,
    ),
    ("Yes|No|Cancel, a | b, snake_case_words and `quoted` stay text", [], None),
]


@pytest.mark.parametrize(("text", "originals", "masked"), RST_CASES)
def test_rst_markup_is_masked_in_every_text(text: str, originals: list[str], masked) -> None:
    m = mask(text, ())
    assert [t.original for t in m.tokens] == originals
    if masked is not None:
        assert m.text == masked
    assert unmask(m, m.text) == text
    assert {t.kind for t in m.tokens} <= {"rst-role", "rst-ref", "rst-literal"}


def test_rst_target_keeps_the_space_before_it() -> None:
    m = mask("Go to :ref:`Setup <setup>`.", ())
    assert unmask(m, "Allez à [X0X]Configuration[X1X].") == (
        "Allez à :ref:`Configuration <setup>`."
    )
