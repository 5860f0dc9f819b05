"""connectors/po_wrap.py and po_linebreak.py: new and changed entries are written exactly as
GNU msgcat writes them."""

from __future__ import annotations

import difflib
import random
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from locflow.catalog.segment import Segment
from locflow.connectors import po_linebreak, po_wrap
from locflow.connectors.po import render_po
from locflow.connectors.po_edit import new_catalog, new_entry, with_entries
from locflow.connectors.po_model import PoCatalog, PoEntry
from locflow.connectors.po_parse import parse_po

needs_msgcat = pytest.mark.skipif(shutil.which("msgcat") is None, reason="GNU msgcat missing")

WORDS = [
    "a",
    "an",
    "the",
    "of",
    "file",
    "files",
    "translation",
    "catalogue",
    "message",
    "settings",
    "database",
    "ok",
    "extraordinarily-long-hyphenated-compound-word-that-cannot-fit",
    "well-known",
    "https://docs.djangoproject.com/en/dev/ref/settings/#std-setting-DEBUG",
    "path/to/some/file.txt",
    "e.g.",
    "i.e.,",
    "(parenthesised)",
    "[bracketed]",
    "{braced}",
    "<b>bold</b>",
    "100%",
    "$5",
    "3.14",
    "1,000",
    "-5",
    "x86_64",
    "user@example.org",
    "C:\\Windows\\System32",
    "naïve",
    "café",
    "Größe",
    "Ελληνικά",
    "русский",
    "العربية",
    "עברית",
    "हिन्दी",
    "ಕನ್ನಡ",
    "ไทย",
    "日本語のテキスト",
    "中文文本，标点。",
    "한국어",
    "텍스트",
    "「引用」",
    "emoji🙂",
    "%s",
    "%d",
    "%5.2f",
    "%1$s",
    "%%",
    "%lu",
    "%",
    "d",
    "%(name)s",
    "%(two",
    "words)s",
    "{0}",
    "{name}",
    "{obj.attr[0]}",
    "{:>10}",
    'quote"',
    "back\\slash",
    "tab\there",
    "bell\x07",
    "form\x0c",
    "vt\x0b",
    "cr\r",
]
_FLAG_ORDER = ("fuzzy", "c-format", "python-format", "python-brace-format", "no-wrap")


def text(rnd: random.Random, short: bool = False) -> str:
    n = rnd.choice((0, 1, 2, 3)) if short else rnd.choice((1, 3, 8, 15, 30, 60))
    out = []
    for _ in range(n):
        word = rnd.choice(WORDS)
        sep = rnd.choice((" ", " ", " ", " ", "  ", "\n", "\t", "", "-", " / "))
        out.append(word + sep)
    s = "".join(out)
    if rnd.random() < 0.2:
        s = " " + s
    if rnd.random() < 0.3:
        s = s.rstrip() + "\n"
    return s


def flags(rnd: random.Random, translated: bool) -> tuple[str, ...]:
    chosen = [f for f in _FLAG_ORDER[1:4] if rnd.random() < 0.2]
    if translated and rnd.random() < 0.3:
        chosen.insert(0, "fuzzy")
    if rnd.random() < 0.05:
        chosen.append("no-wrap")
    return tuple(chosen)


def generated_entries(seed: int, count: int) -> Iterator[PoEntry]:
    rnd = random.Random(seed)
    obsolete = []
    for i in range(count):
        plural = rnd.random() < 0.2
        forms = tuple(text(rnd) if rnd.random() < 0.8 else "" for _ in range(3 if plural else 1))
        fl = flags(rnd, bool(forms[0]))
        seg = Segment(
            msgid=f"{i} {text(rnd)}",
            msgctxt=text(rnd, short=True) if rnd.random() < 0.2 else None,
            msgid_plural=text(rnd) if plural else None,
            flags=fl,
            translator_comments=text(rnd, short=True).replace("\t", " ").strip()
            if rnd.random() < 0.2
            else "",
            extracted_comments=text(rnd, short=True).replace("\t", " ").strip()
            if rnd.random() < 0.2
            else "",
            occurrences=tuple(
                (
                    f"src/{'deep/' * rnd.randint(0, 6)}mod{i}_{k}.py",
                    str(rnd.randint(1, 9999)) if rnd.random() < 0.9 else "",
                )
                for k in range(rnd.choice((0, 0, 1, 2, 5)))
            ),
        )
        previous = None
        if "fuzzy" in fl and rnd.random() < 0.6:
            previous = Segment(
                msgid=text(rnd), msgctxt=seg.msgctxt, msgid_plural=text(rnd) if plural else None
            )
        made = new_entry(seg, forms, fuzzy="fuzzy" in fl, previous=previous)
        if rnd.random() < 0.1 and forms[0]:
            obsolete.append(
                new_entry(
                    Segment(**{**made.segment.__dict__, "obsolete": True}),
                    forms,
                    fuzzy="fuzzy" in fl,
                    previous=previous,
                )
            )
        else:
            yield made
    yield from obsolete


HEADER = [
    ("Project-Id-Version", "demo"),
    ("Language", "xx"),
    ("MIME-Version", "1.0"),
    ("Content-Type", "text/plain; charset=UTF-8"),
    ("Content-Transfer-Encoding", "8bit"),
    ("Plural-Forms", "nplurals=3; plural=(n==1 ? 0 : n==2 ? 1 : 2);"),
    (
        "X-Long",
        "a header value long enough to be wrapped by GNU gettext at its width "
        "of seventy-nine columns",
    ),
]


def msgcat(data: bytes, width: int | None, tmp_path: Path) -> bytes:
    path = tmp_path / "in.po"
    path.write_bytes(data)
    args = ["--no-wrap"] if width is None else ["-w", str(width)]
    return subprocess.run(["msgcat", *args, str(path)], capture_output=True, check=True).stdout


def assert_same(ours: bytes, theirs: bytes, encoding: str = "utf-8") -> None:
    if ours != theirs:
        diff = difflib.unified_diff(
            ours.decode(encoding).splitlines(),
            theirs.decode(encoding).splitlines(),
            "ours",
            "msgcat",
            lineterm="",
            n=4,
        )
        pytest.fail("\n".join(list(diff)[:60]))


@needs_msgcat
@pytest.mark.parametrize("width", [79, 60, 40, None])
def test_generated_entries_match_msgcat(width: int | None, tmp_path: Path) -> None:
    cat = with_entries(
        new_catalog("gen.po", HEADER, "Generated\ncatalogue", width=width),
        list(generated_entries(seed=width or 0, count=400)),
    )
    ours = render_po(cat)
    assert_same(ours, msgcat(ours, width, tmp_path))


@needs_msgcat
@pytest.mark.parametrize("width", [79, 30])
def test_cjk_charset_counts_ambiguous_characters_as_wide(width: int, tmp_path: Path) -> None:
    """In EUC-JP, gettext counts Greek, Cyrillic, ×, ° ... as two columns."""
    head = "Content-Type: text/plain; charset=EUC-JP\nPlural-Forms: nplurals=1; plural=0;\n"
    header = new_entry(Segment(msgid=""), (head,), fuzzy=False)
    rnd = random.Random(width)
    words = [
        "日本語",
        "の",
        "テキスト、",
        "です。",
        "αβγδ",
        "×°",
        "Привет",
        "○",
        "abc",
        "long-word",
        "(括弧)",
        "「引用」",
    ]
    entries = [
        new_entry(
            Segment(msgid=f"m{i}"),
            (" ".join(rnd.choice(words) for _ in range(rnd.randint(1, 40))),),
            fuzzy=False,
        )
        for i in range(150)
    ]
    cat = PoCatalog("ja.po", "euc_jp", header, tuple(entries), width, _charset="EUC-JP")
    ours = render_po(cat)
    assert_same(ours, msgcat(ours, width, tmp_path), "euc-jp")


@needs_msgcat
def test_unchanged_lines_survive_msgcat_reformatting(tmp_path: Path) -> None:
    """What msgcat writes, we parse and render back unchanged (idempotence on its output)."""
    cat = with_entries(new_catalog("gen.po", HEADER), list(generated_entries(7, 200)))
    theirs = msgcat(render_po(cat), 79, tmp_path)
    assert render_po(parse_po(theirs, "theirs.po")) == theirs


@pytest.mark.parametrize(
    ("kind", "value", "spans"),
    [
        ("c", "%s and %5.2f and %1$s", [(0, 1), (7, 11)]),  # numbered after unnumbered: stop
        ("c", "100% done", [(3, 5)]),  # "% d" is a directive with the space flag
        ("c", "50%% off", [(2, 3)]),
        ("c", "%lu %zd %<PRIu64>", [(0, 2), (4, 6), (8, 16)]),
        ("c", "%s then %1$s", [(0, 1)]),  # numbered and unnumbered mixed
        ("c", "%lf %hs %-the %b %s", [(0, 2), (4, 6), (8, 12)]),  # any run of sizes; no %b
        ("c", "bad %y then %s", []),  # gettext stops at the first invalid directive
        ("python", "%(name)s and %(two words)s", [(0, 7), (13, 25)]),
        ("python", "% d and %-5.2f", [(0, 2), (8, 13)]),
        ("python", "%(a)s %s", [(0, 4)]),  # named and unnamed mixed: invalid from there on
        ("python-brace", "{0} {name} {obj.attr[0]} {:>10} {__x__}", [(0, 2), (4, 9), (32, 38)]),
    ],
)
def test_format_directive_spans(kind: str, value: str, spans: list[tuple[int, int]]) -> None:
    fn = po_wrap._FORMATS[kind]
    assert fn(value, False) == spans


def test_format_kind_follows_gettext_order() -> None:
    assert po_wrap.format_kind(("python-format", "c-format")) == "c"
    assert po_wrap.format_kind(("no-c-format", "python-brace-format")) == "python-brace"
    assert po_wrap.format_kind(("possible-python-format",)) == "python"
    assert po_wrap.format_kind(("fuzzy",)) is None


def test_escape_and_wrap_basics() -> None:
    assert po_wrap.escape('a\tb\n"c"\\d\a\b\f\v\r\x01') == 'a\\tb\\n\\"c\\"\\\\d\\a\\b\\f\\v\\r\x01'
    assert po_wrap.wrap_string("", "msgid", "", 79) == ['msgid ""']
    assert po_wrap.wrap_string("", "msgid", "one\n", 79) == ['msgid "one\\n"']
    assert po_wrap.wrap_string("", "msgid", "one\ntwo", 79) == ['msgid ""', '"one\\n"', '"two"']
    assert po_wrap.wrap_string("#~ ", "msgstr", "x " * 50, None) == [f'#~ msgstr "{"x " * 50}"']
    assert po_wrap.wrap_string("#| ", "msgid", "word " * 20, 40) == [
        '#| msgid ""',
        '#| "word word word word word word word "',
        '#| "word word word word word word word "',
        '#| "word word word word word word "',
    ]


def test_pure_python_breaker_agrees_on_ordinary_text() -> None:
    """Without libunistring the fallback must still wrap ordinary prose like gettext."""
    if po_linebreak._unistring() is None:
        pytest.skip("libunistring not available to compare with")
    rnd = random.Random(3)
    vocab = [
        "the",
        "quick",
        "brown",
        "fox",
        "jumps",
        "over",
        "a",
        "lazy",
        "dog,",
        "well-known",
        "e.g.",
        "path/to/file",
        "(note)",
        "naïve",
        "café",
        "100%",
        "$5",
        "'quoted'",
        '"double"',
        "done!",
        "really?",
        "x86_64",
    ]
    for _ in range(500):
        value = " ".join(rnd.choice(vocab) for _ in range(rnd.randint(5, 60)))
        esc = po_wrap.escape(value)
        for width in (30, 57, 77):
            args = (esc, width, 0, None, "UTF-8")
            assert po_linebreak.python_breaks(*args) == po_linebreak.unistring_breaks(*args), value


@needs_msgcat
def test_pure_python_breaker_on_generated_catalogue(tmp_path: Path) -> None:
    if po_linebreak._unistring() is None:
        pytest.skip("libunistring not available")
    cat = with_entries(new_catalog("gen.po", HEADER), list(generated_entries(11, 300)))
    expected = render_po(cat)
    po_linebreak.set_breaker(po_linebreak.python_breaks)
    try:
        fallback = render_po(cat)
    finally:
        po_linebreak.set_breaker(None)
    same = sum(
        a == b for a, b in zip(expected.split(b"\n\n"), fallback.split(b"\n\n"), strict=True)
    )
    assert same / len(expected.split(b"\n\n")) > 0.95
