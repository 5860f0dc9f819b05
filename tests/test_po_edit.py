"""connectors/po_edit.py: changing entries and catalogues touches only their lines, and
new ones are written as GNU gettext writes them."""

from __future__ import annotations

import gettext
import io
import os
import subprocess
from dataclasses import replace
from pathlib import Path

from locflow.catalog.segment import Segment
from locflow.connectors.po import (
    read_po,
    render_po,
    write_mo,
)
from locflow.connectors.po_edit import (
    as_obsolete,
    new_catalog,
    new_entry,
    with_entries,
    with_header_fields,
    with_translation,
)
from locflow.connectors.po_parse import parse_po
from tests.support.po_cases import FIXTURES, entry, needs_gettext, replaced

# --- edits --------------------------------------------------------------------------------


def test_with_translation_same_object_when_unchanged() -> None:
    cat = read_po(FIXTURES / "basic.po")
    for e in cat.entries:
        assert with_translation(e, e.forms, fuzzy=e.fuzzy) is e


def test_with_translation_changes_only_msgstr_lines() -> None:
    cat = read_po(FIXTURES / "basic.po")
    hello = entry(cat, "Hello %(name)s")
    new = with_translation(hello, ("Servus %(name)s",), fuzzy=False)
    assert new.raw is None and new.line == hello.line
    out = render_po(replaced(cat, hello, new)).decode()
    assert out == (FIXTURES / "basic.po").read_text().replace(
        'msgstr "Hallo %(name)s"', 'msgstr "Servus %(name)s"'
    )


def test_with_translation_fuzzy_and_previous() -> None:
    cat = read_po(FIXTURES / "basic.po")
    hello = entry(cat, "Hello %(name)s")
    prev = Segment(msgid="Hi %(name)s")
    fuzzy = with_translation(hello, ("Hallo %(name)s",), fuzzy=True, previous=prev)
    text = render_po(replaced(cat, hello, fuzzy)).decode()
    assert (
        '#: templates/base.html\n#, fuzzy, python-format\n#| msgid "Hi %(name)s"\n'
        'msgid "Hello %(name)s"\nmsgstr "Hallo %(name)s"\n'
    ) in text
    back = with_translation(fuzzy, ("Hallo %(name)s",), fuzzy=False)
    assert render_po(replaced(cat, hello, back)) == (FIXTURES / "basic.po").read_bytes()

    save = entry(cat, "Save the document")  # fuzzy with #|; accepting removes both lines
    done = with_translation(save, ("Dokument speichern",), fuzzy=False)
    assert done.segment.previous_msgid is None and not done.fuzzy
    text = render_po(replaced(cat, save, done)).decode()
    assert 'msgid "Save the document"\nmsgstr "Dokument speichern"\n' in text
    assert "Save the file" not in text


def test_fuzzy_is_never_written_on_an_empty_translation() -> None:
    cat = read_po(FIXTURES / "basic.po")
    untranslated = entry(cat, "Untranslated")
    assert with_translation(untranslated, ("",), fuzzy=True) is untranslated


def test_with_translation_plural_and_obsolete_and_wrapping() -> None:
    cat = read_po(FIXTURES / "basic.po")
    plural = entry(cat, "%(count)d file")
    new = with_translation(plural, ("eine Datei", "%(count)d Dateien", "viele"), fuzzy=False)
    close = entry(cat, "Close", obsolete=True)
    new_close = with_translation(close, ("Zu", "Alle zu"), fuzzy=False)
    long = next(e for e in cat.entries if e.segment.msgid.startswith("A long message"))
    new_long = with_translation(
        long,
        (
            "Ein sehr langer Satz, der bei neunundsiebzig Spalten "
            "umbrochen werden muss, damit er in die Datei passt.",
        ),
        fuzzy=False,
    )
    out = with_entries(
        cat,
        [
            {id(plural): new, id(close): new_close, id(long): new_long}.get(id(e), e)
            for e in cat.entries
        ],
    )
    text = render_po(out).decode()
    assert 'msgstr[0] "eine Datei"\nmsgstr[1] "%(count)d Dateien"\nmsgstr[2] "viele"\n' in text
    assert '#~ msgid_plural "Close all"\n#~ msgstr[0] "Zu"\n#~ msgstr[1] "Alle zu"' in text
    assert (
        'msgstr ""\n"Ein sehr langer Satz, der bei neunundsiebzig Spalten umbrochen werden '
        'muss, "\n"damit er in die Datei passt."\n'
    ) in text
    again = parse_po(render_po(out), "x.po")
    assert [e.forms for e in again.entries] == [e.forms for e in out.entries]


def test_new_entry_renders_like_gettext() -> None:
    cat = read_po(FIXTURES / "basic.po")
    seg = Segment(
        msgid="New %s",
        msgctxt="ctx",
        flags=("c-format",),
        extracted_comments="note",
        translator_comments="tc",
        occurrences=(("a.c", "1"), ("b.c", "")),
    )
    out = render_po(
        with_entries(
            cat, [*cat.entries[:2], new_entry(seg, ("Neu %s",), fuzzy=True), *cat.entries[2:]]
        )
    ).decode()
    assert (
        '\n\n# tc\n#. note\n#: a.c:1 b.c\n#, fuzzy, c-format\nmsgctxt "ctx"\n'
        'msgid "New %s"\nmsgstr "Neu %s"\n\n#: src/app.py:40\n'
    ) in out


@needs_gettext
def test_as_obsolete_matches_msgmerge(tmp_path: Path) -> None:
    cat = read_po(FIXTURES / "basic.po")
    hello = entry(cat, "Hello %(name)s")
    others = [e for e in cat.entries if e is not hello]
    ours = with_entries(
        cat,
        [
            *[e for e in others if not e.segment.obsolete],
            as_obsolete(hello),
            *[e for e in others if e.segment.obsolete],
        ],
    )
    pot = tmp_path / "t.pot"
    pot.write_bytes(
        render_po(
            with_entries(
                cat,
                [
                    new_entry(e.segment, ("",) * len(e.forms), fuzzy=False)
                    for e in others
                    if not e.segment.obsolete
                ],
            )
        )
    )
    merged = subprocess.run(
        ["msgmerge", "-q", "--previous", "-o", "-", str(FIXTURES / "basic.po"), str(pot)],
        capture_output=True,
        check=True,
    ).stdout.decode()
    expected = merged[merged.index("# A translator comment") : merged.index("#, fuzzy\n#~|")]
    ours_text = render_po(ours).decode()
    assert expected in ours_text
    assert as_obsolete(as_obsolete(hello)) == as_obsolete(hello)


def test_with_header_fields_keeps_order_comments_and_other_lines() -> None:
    path = FIXTURES / "basic.po"
    cat = read_po(path)
    out = with_header_fields(
        cat,
        {
            "PO-Revision-Date": "2026-02-02 10:00+0000",
            "Language-Team": None,
            "X-Generator": "locflow",
        },
        fuzzy=False,
    )
    assert out.header_fields()[3] == ("PO-Revision-Date", "2026-02-02 10:00+0000")
    assert out.header_fields()[-1] == ("X-Generator", "locflow")
    assert "Language-Team" not in dict(out.header_fields())
    expected = (
        path.read_text()
        .replace("#, fuzzy\nmsgid", "msgid")
        .replace("2026-01-02 12:00+0000", "2026-02-02 10:00+0000")
        .replace('"Language-Team: German <de@example.org>\\n"\n', "")
        .replace('plural=(n != 1);\\n"\n', 'plural=(n != 1);\\n"\n"X-Generator: locflow\\n"\n', 1)
    )
    assert render_po(out).decode() == expected
    assert with_header_fields(out, {"X-Generator": "locflow"}) is out


def test_with_header_fields_on_a_catalogue_without_header() -> None:
    cat = parse_po(b'msgid "a"\nmsgstr "b"\n', "h.po")
    assert cat.header is None
    out = with_header_fields(cat, {"Content-Type": "text/plain; charset=UTF-8"})
    assert render_po(out) == (
        b'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\nmsgid "a"\nmsgstr "b"\n'
    )


@needs_gettext
def test_new_catalog_is_what_msgcat_writes(tmp_path: Path) -> None:
    cat = new_catalog(
        "new.po",
        [
            ("Project-Id-Version", "demo"),
            ("Language", "fr"),
            ("MIME-Version", "1.0"),
            ("Content-Type", "text/plain; charset=UTF-8"),
            ("Content-Transfer-Encoding", "8bit"),
            ("Plural-Forms", "nplurals=2; plural=(n > 1);"),
        ],
        header_comment="French translations\nCopyright (C) 2026",
    )
    cat = with_entries(
        cat,
        [new_entry(Segment(msgid="One", msgid_plural="Many"), ("Un", "Plusieurs"), fuzzy=False)],
    )
    data = render_po(cat)
    path = tmp_path / "fr.po"
    path.write_bytes(data)
    assert subprocess.run(["msgcat", str(path)], capture_output=True, check=True).stdout == data
    subprocess.run(["msgfmt", "-c", "-o", os.devnull, str(path)], check=True)
    assert read_po(path).plural_forms() == "nplurals=2; plural=(n > 1);"


def test_write_mo_is_loadable_and_deterministic() -> None:
    cat = read_po(FIXTURES / "basic.po")
    mo = write_mo(cat)
    assert mo == write_mo(read_po(FIXTURES / "basic.po"))
    tr = gettext.GNUTranslations(io.BytesIO(mo))
    assert tr.gettext("Hello %(name)s") == "Hallo %(name)s"
    assert tr.pgettext("menu", "Open") == "Öffnen"
    assert tr.ngettext("%(count)d file", "%(count)d files", 5) == "%(count)d Dateien"
    assert tr.gettext("Save the document") == "Save the document"  # fuzzy: left out
    assert tr.gettext("Gone") == "Gone"  # obsolete: left out
    assert tr.info()["language"] == "de"


def test_write_mo_non_utf8() -> None:
    tr = gettext.GNUTranslations(io.BytesIO(write_mo(read_po(FIXTURES / "koi8r.po"))))
    assert tr.gettext("Hello") == "Привет"


def test_with_notes_renders_only_the_notes_that_changed() -> None:
    from locflow.connectors.po_edit import with_notes

    cat = read_po(FIXTURES / "basic.po")
    hello = entry(cat, "Hello %(name)s")
    assert with_notes(hello, hello.segment) is hello
    moved = Segment(
        msgid=hello.segment.msgid,
        flags=hello.segment.flags,
        extracted_comments="Shown on the home page",
        occurrences=(("templates/home.html", "3"),),
    )
    out = render_po(replaced(cat, hello, with_notes(hello, moved))).decode()
    before = (FIXTURES / "basic.po").read_text()
    assert out == before.replace(
        "#. An extracted comment\n#: src/app.py:10 src/app.py:20\n#: templates/base.html\n",
        "#. Shown on the home page\n#: templates/home.html:3\n",
    )
    only_refs = replace(moved, extracted_comments=hello.segment.extracted_comments)
    out = render_po(replaced(cat, hello, with_notes(hello, only_refs))).decode()
    assert out == before.replace(
        "#: src/app.py:10 src/app.py:20\n#: templates/base.html\n",
        "#: templates/home.html:3\n",
    )
