"""connectors/po.py and po_edit.py: reading, byte-identical writing, edits, errors, .mo output."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from locflow.connectors.po import (
    StagedWrites,
    read_po,
    render_po,
    write_po_atomic,
)
from locflow.connectors.po_edit import (
    with_translation,
)
from locflow.connectors.po_model import PoError
from locflow.connectors.po_parse import parse_po
from tests.support.po_cases import FIXTURES, HAS_GETTEXT, entry, needs_gettext, replaced

VALID = sorted(p for p in FIXTURES.iterdir() if p.suffix in (".po", ".pot"))


# --- reading ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_fixture_round_trips_byte_identical(path: Path) -> None:
    assert render_po(read_po(path)) == path.read_bytes()


def test_basic_fields() -> None:
    cat = read_po(FIXTURES / "basic.po")
    assert cat.encoding == "utf-8" and cat.width == 79
    assert cat.header is not None and cat.header.fuzzy and cat.header.line == 1
    assert cat.header.segment.translator_comments.startswith("German translation of the demo.")
    assert cat.header_fields()[0] == ("Project-Id-Version", "demo 1.0")
    assert cat.plural_forms() == "nplurals=2; plural=(n != 1);"

    hello = entry(cat, "Hello %(name)s")
    assert hello.line == 19
    assert hello.forms == ("Hallo %(name)s",)
    assert hello.segment.translator_comments == "A translator comment\non two lines"
    assert hello.segment.extracted_comments == "An extracted comment"
    assert hello.segment.occurrences == (
        ("src/app.py", "10"),
        ("src/app.py", "20"),
        ("templates/base.html", ""),
    )
    assert hello.segment.flags == ("python-format",) and not hello.fuzzy

    assert entry(cat, "Open").segment.msgctxt == "menu"
    plural = entry(cat, "%(count)d file")
    assert plural.segment.msgid_plural == "%(count)d files"
    assert plural.forms == ("%(count)d Datei", "%(count)d Dateien")

    save = entry(cat, "Save the document")
    assert save.fuzzy and save.segment.previous_msgid == "Save the file"
    assert entry(cat, 'Escapes: \t tab, " quote, \\ backslash').forms == (
        'Escapes: \t Tab, " Anführung, \\ Backslash',
    )
    long = next(e for e in cat.entries if e.segment.msgid.startswith("A long message"))
    assert long.segment.msgid.endswith("more than one line.\nSecond paragraph.")
    assert entry(cat, "Untranslated").forms == ("",)

    gone = entry(cat, "Gone", obsolete=True)
    assert gone.fuzzy and gone.segment.previous_msgid == "Old gone"
    close = entry(cat, "Close", obsolete=True)
    assert close.segment.msgctxt == "menu" and close.forms == ("Schließen", "Alle schließen")
    assert [e.segment.obsolete for e in cat.entries][-2:] == [True, True]


@pytest.mark.parametrize(
    ("name", "codec", "hello"),
    [
        ("latin1.po", "iso8859-1", "Bonjour à vous, ça va ?"),
        ("koi8r.po", "koi8-r", "Привет"),
        ("cp1251.po", "cp1251", "Вітаю, ґанок"),
        ("eucjp.po", "euc_jp", "こんにちは、世界。αβγ×°"),
    ],
)
def test_non_utf8_charsets_read_and_write(name: str, codec: str, hello: str) -> None:
    path = FIXTURES / name
    assert path.read_bytes().decode(codec)  # the fixture really is in that charset
    cat = read_po(path)
    assert cat.encoding == codec
    hello_entry = entry(cat, "Hello")
    assert hello_entry.forms == (hello,)
    changed = replaced(cat, hello_entry, with_translation(hello_entry, (hello + "!",), fuzzy=False))
    data = render_po(changed)
    assert hello.encode(codec) + b'!"' in data
    assert entry(parse_po(data, name), "Hello").forms == (hello + "!",)


def test_character_outside_the_charset_is_an_error_not_a_bad_file() -> None:
    cat = read_po(FIXTURES / "latin1.po")
    hello = entry(cat, "Hello")
    changed = replaced(cat, hello, with_translation(hello, ("Привет",), fuzzy=False))
    with pytest.raises(PoError, match=r"latin1\.po:\d+: .*cannot be written in charset"):
        render_po(changed)


def test_crlf_and_bom_are_kept() -> None:
    crlf = read_po(FIXTURES / "crlf.po")
    hello = entry(crlf, "Hello")
    data = render_po(replaced(crlf, hello, with_translation(hello, ("Hi",), fuzzy=True)))
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert b'#, fuzzy\r\nmsgid "Hello"\r\nmsgstr "Hi"\r\n' in data
    bom = read_po(FIXTURES / "bom.po")
    assert render_po(bom).startswith(b"\xef\xbb\xbfmsgid")
    assert bom.header is not None and bom.header.segment.msgid == ""


def test_pot_with_charset_placeholder() -> None:
    cat = read_po(FIXTURES / "template.pot")
    assert cat.encoding == "utf-8"
    assert cat.header is not None and cat.header.fuzzy
    welcome = entry(cat, "Welcome, %s!")
    assert welcome.segment.extracted_comments == "TRANSLATORS: shown on the start page"
    assert welcome.segment.flags == ("c-format",) and welcome.forms == ("",)
    assert entry(cat, "%d file").forms == ("", "")


def test_width_detection() -> None:
    assert read_po(FIXTURES / "nowrap.po").width is None
    assert read_po(FIXTURES / "basic.po").width == 79
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron"
    body = "".join(f'msgid "{i} {words} {words[i:]}"\nmsgstr ""\n\n' for i in range(5))
    wrapped60 = (
        subprocess.run(
            ["msgcat", "-w", "60", "-"], input=body.encode(), capture_output=True, check=True
        ).stdout
        if HAS_GETTEXT
        else None
    )
    if wrapped60 is not None:
        assert parse_po(wrapped60, "w60.po").width == 60


def test_odd_but_valid_layout() -> None:
    cat = read_po(FIXTURES / "odd_layout.po")
    spaced = entry(cat, "Spaced")
    assert spaced.segment.translator_comments == (
        "a comment separated from its entry by a blank line"
    )
    two = entry(cat, "two strings on one line")
    assert two.forms == ("string on the next lineindented continuation",)
    assert two.segment.flags == ("python-format",)
    assert entry(cat, "été A").forms == ("summer A",)  # octal and hex escapes
    assert cat._tail.startswith("\n# trailing comment")


@pytest.mark.parametrize(
    ("name", "line", "message"),
    [
        ("unterminated.po", 4, "unterminated string"),
        ("msgstr_without_msgid.po", 4, "msgstr without msgid"),
        ("bad_escape.po", 4, "invalid escape sequence '\\q'"),
        ("duplicate.po", 7, "duplicate message definition (first defined at line 4)"),
        ("plural_without_msgid_plural.po", 5, "msgstr[0] without msgid_plural"),
        ("plural_out_of_order.po", 7, "msgstr[2] out of order"),
        ("missing_msgstr.po", 4, "msgid without msgstr"),
        ("garbage.po", 7, "syntax error"),
        ("undecodable.po", 5, "invalid byte sequence for charset UTF-8"),
        ("unknown_charset.po", 3, "unknown or unsupported charset 'NO-SUCH-CHARSET'"),
    ],
)
def test_malformed_file_gives_file_line_message(name: str, line: int, message: str) -> None:
    path = FIXTURES / "malformed" / name
    with pytest.raises(PoError) as info:
        read_po(path)
    text = str(info.value)
    assert text.startswith(f"{path}:{line}: ") and message in text and "\n" not in text
    assert info.value.line == line


@needs_gettext
@pytest.mark.parametrize(
    "name",
    [
        "unterminated.po",
        "msgstr_without_msgid.po",
        "bad_escape.po",
        "duplicate.po",
        "plural_without_msgid_plural.po",
        "garbage.po",
    ],
)
def test_msgfmt_rejects_the_malformed_fixtures_too(name: str) -> None:
    done = subprocess.run(
        ["msgfmt", "-o", os.devnull, str(FIXTURES / "malformed" / name)], capture_output=True
    )
    assert done.returncode != 0


def test_obsolete_duplicates_are_allowed_like_msgfmt() -> None:
    data = b'msgid "a"\nmsgstr "x"\n\n#~ msgid "a"\n#~ msgstr "y"\n'
    assert len(parse_po(data, "d.po").entries) == 2


# --- writing ------------------------------------------------------------------------------


def test_write_po_atomic_skips_identical_bytes(tmp_path: Path) -> None:
    path = tmp_path / "de.po"
    data = (FIXTURES / "basic.po").read_bytes()
    assert write_po_atomic(path, data) is True
    os.utime(path, (1_000_000, 1_000_000))
    assert write_po_atomic(path, render_po(read_po(path))) is False
    assert path.stat().st_mtime == 1_000_000
    assert write_po_atomic(path, data + b"\n") is True
    assert path.read_bytes() == data + b"\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["de.po"]  # no temp files left


def test_write_po_atomic_keeps_mode_and_writes_through_symlinks(tmp_path: Path) -> None:
    real = tmp_path / "real.po"
    real.write_bytes(b"old")
    real.chmod(0o640)
    link = tmp_path / "link.po"
    link.symlink_to(real)
    assert write_po_atomic(link, b"new") is True
    assert link.is_symlink() and real.read_bytes() == b"new"
    assert real.stat().st_mode & 0o777 == 0o640


def test_staged_writes_rename_all_or_none(tmp_path: Path) -> None:
    """A rename that fails puts back the files already renamed and names its real target.
    (The suite runs as root, which a read-only directory does not stop: a directory that
    appears where a target goes between staging and renaming makes the rename fail.)"""
    first, second, third = tmp_path / "a.po", tmp_path / "b" / "b.po", tmp_path / "c.po"
    first.write_bytes(b"old a")
    writes = StagedWrites()
    assert writes.add(first, b"new a") and writes.add(second, b"new b")
    assert writes.add(third, b"new c")
    third.mkdir()
    (third / "keep").write_bytes(b"")  # a non-empty directory: os.replace cannot remove it
    with pytest.raises(OSError) as failed:
        writes.commit()
    assert failed.value.filename == str(third) and ".tmp" not in str(failed.value)
    assert first.read_bytes() == b"old a" and not second.exists()
    assert not list(tmp_path.rglob("*.tmp"))


def test_staged_writes_undo_after_commit_and_name_the_target(tmp_path: Path) -> None:
    target = tmp_path / "fr.po"
    target.write_bytes(b"before")
    writes = StagedWrites()
    writes.add(target, b"after")
    writes.commit()
    assert target.read_bytes() == b"after"
    writes.rollback()  # what a caller does when its database commit fails afterwards
    assert target.read_bytes() == b"before"
    (tmp_path / "de").write_bytes(b"a file where a directory goes")
    with pytest.raises(OSError) as failed:
        StagedWrites().add(tmp_path / "de" / "LC_MESSAGES" / "de.po", b"x")
    assert failed.value.filename == str(tmp_path / "de" / "LC_MESSAGES" / "de.po")


def test_charset_found_in_a_one_line_header() -> None:
    data = 'msgid ""\nmsgstr "Language: fr\\nContent-Type: text/plain; charset=ISO-8859-1\\n"\n'
    cat = parse_po(data.encode("latin-1") + 'msgid "a"\nmsgstr "é"\n'.encode("latin-1"), "x.po")
    assert cat.encoding == "iso8859-1" and cat.entries[0].forms == ("é",)


def test_malformed_input_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out.po"
    with pytest.raises(PoError):
        write_po_atomic(target, render_po(read_po(FIXTURES / "malformed" / "garbage.po")))
    assert not target.exists()
