"""Plural .po entries with format flags, and the `range:` cases on which msgfmt -c and our
placeholders check must agree (shared by test_checks_flags and test_export_msgfmt)."""

from __future__ import annotations

import re
import subprocess

PO_HEADER = """msgid ""
msgstr ""
"Language: {locale}\\n"
"Plural-Forms: {plural_forms}\\n"
"Content-Type: text/plain; charset=UTF-8\\n"

"""
PLURAL_FORMS = {
    "de": "nplurals=2; plural=(n != 1);",
    "ru": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
    "(n%100<10 || n%100>=20) ? 1 : 2);",
    "ja": "nplurals=1; plural=0;",
}


def po_text(locale: str, flags: str, forms: tuple[str, ...]) -> str:
    msgstrs = "".join(f'msgstr[{i}] "{form}"\n' for i, form in enumerate(forms))
    return (
        PO_HEADER.format(locale=locale, plural_forms=PLURAL_FORMS[locale])
        + f'#, {flags}\nmsgid "One file"\nmsgid_plural "%d files"\n{msgstrs}'
    )


# locale, flags, forms: msgfmt -c and our placeholders check must agree (accept or reject)
MSGFMT_RANGE_CASES = [
    ("de", "c-format, range: 1..1", ("Eine Datei", "Dateien")),
    ("de", "c-format, range: 1..1", ("Eine Datei", "%d Dateien")),
    ("de", "c-format, range: 0..1", ("Eine Datei", "Keine Dateien")),
    ("de", "c-format, range: 0..2", ("Eine Datei", "Dateien")),
    ("de", "c-format, range: 2..5", ("Eine Datei", "Dateien")),
    ("de", "c-format, range: 2..5", ("Eine Datei", "%d Dateien")),
    ("de", "c-format, range: 2..5", ("%d Datei", "%d Dateien")),
    ("de", "c-format, range: 2..2", ("Eine Datei", "Zwei Dateien")),
    ("de", "c-format, range: 0..100000", ("Eine Datei", "Dateien")),
    ("de", "c-format", ("Eine Datei", "Dateien")),
    ("de", "c-format, range: 5..2", ("Eine Datei", "Dateien")),  # ignored by msgfmt
    ("de", "c-format, range: 5..2", ("Eine Datei", "%d Dateien")),
    ("de", "c-format, range: 1..1", ("Eine Datei %s", "Dateien")),  # wrong type: still wrong
    ("de", "c-format, range: 1..1", ("Eine Datei", "%d %d Dateien")),  # extra: still wrong
    ("ru", "c-format, range: 1..4", ("Один файл", "%d файла", "файлов")),
    ("ru", "c-format, range: 1..4", ("Один файл", "файла", "%d файлов")),
    ("ru", "c-format, range: 0..1", ("Один файл", "Несколько файлов", "Нет файлов")),
    ("ru", "c-format, range: 21..21", ("Двадцать один файл", "%d файла", "%d файлов")),
    ("ru", "c-format, range: 1..21", ("Файл", "%d файла", "%d файлов")),
    ("ja", "c-format, range: 1..1", ("ファイル",)),  # one msgstr: msgfmt is always strict
    ("ja", "c-format, range: 1..1", ("%d 個のファイル",)),
]


def msgfmt_counts(msgfmt: str, path: object) -> tuple[int, int, int]:
    """(translated, fuzzy, untranslated) as `msgfmt --statistics` counts the file."""
    said = subprocess.run(
        [msgfmt, "--statistics", "-o", "/dev/null", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stderr

    def count(word: str) -> int:
        m = re.search(rf"(\d+) {word}", said)
        return int(m[1]) if m else 0

    return count("translated"), count("fuzzy"), count("untranslated")
