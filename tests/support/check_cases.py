"""Check-table cases shared by test_checks and test_checks_quality: each row a check id, a
segment, translated forms, a target locale and whether the check should fire."""

from __future__ import annotations

from pathlib import Path

from locflow.catalog.checks import CHECKS, CheckContext, Issue
from locflow.catalog.plurals import plural_info
from locflow.catalog.segment import Segment

ROOT = Path(__file__).resolve().parents[2]
C, PY, MD = ("c-format",), ("python-format",), ("markdown",)
LONG = "Remove the selected files from the project"  # 42 visible characters
Entries = list[tuple[Segment, tuple[str, ...], CheckContext]]


def seg(msgid: str, plural: str | None = None, flags: tuple[str, ...] = ()) -> Segment:
    return Segment(msgid=msgid, msgid_plural=plural, flags=flags)


def context(target: str, source: str = "en", header: str | None = None) -> CheckContext:
    return CheckContext(
        source_locale=source, target_locale=target, plural=plural_info(target, header)
    )


def issue_of(
    check: str, segment: Segment, forms: tuple[str, ...], ctx: CheckContext
) -> Issue | None:
    return CHECKS[check][0](segment, forms, ctx)


FILES = seg("One file", "%d files", C)

# check id, segment, translated forms, target locale, should the check fire?
CASES = [
    # length: English-like targets
    ("length", seg(LONG), ("Supprimer les fichiers sélectionnés du projet",), "fr", False),
    ("length", seg(LONG), ("Supprimer",), "fr", True),
    ("length", seg(LONG), (" ".join(["Supprimer les fichiers sélectionnés"] * 4),), "fr", True),
    ("length", seg("Delete"), ("Effacer définitivement",), "fr", False),  # 6 chars: ×3.7 ok
    ("length", seg("Delete"), ("Effacer définitivement et sans retour",), "fr", True),
    ("length", seg("Save"), ("Enregistrer le document",), "fr", False),  # < 5 chars: skipped
    ("length", seg("Humanize"), ("Rendre lisible",), "fr", False),
    # placeholders and markup do not count as text
    ("length", seg("Delete %(name)s?", flags=PY), ("Supprimer %(name)s ?",), "fr", False),
    ("length", seg("%(count)d items in %(dir)s", flags=PY), ("%(count)d",), "fr", True),
    ("length", seg("<b>Warning</b>: disk full"), ("<b>Attention</b> : disque plein",), "fr", False),
    # CJK targets are compact; a Latin pseudo-translation of them is not scaled
    ("length", seg(LONG), ("選択したファイルを削除",), "ja", False),
    (
        "length",
        seg(LONG),
        ("プロジェクトから選択したファイルをすべて完全に削除します。",),
        "ja",
        False,
    ),
    (
        "length",
        seg(LONG),
        ("プロジェクトから選択したファイルをすべて完全に削除します。" * 3,),
        "ja",
        True,
    ),
    ("length", seg(LONG), ("删除",), "zh_CN", True),
    ("length", seg(LONG), ("从项目中删除所选文件",), "zh_CN", False),
    (
        "length",
        seg(LONG),
        ("[Ŕéɱöṽé ţĥé šéļéçţéð ƒíļéš ƒŕöɱ ţĥé þŕöĵéçţ ļöŕéɱ íþšûɱ ðöļ]",),
        "ja",
        False,
    ),
    # plural: a form may mirror msgid or msgid_plural
    ("length", FILES, ("Eine Datei", "%d Dateien"), "de", False),
    ("length", seg("One file was removed", "%d files were removed", C), ("%d",), "ja", True),
    (
        "length",
        seg("One file was removed", "%d files were removed", C),
        ("%d 個削除",),
        "ja",
        False,
    ),
    # max_length (Weblate's flag; gettext-style spacing too)
    ("max_length", seg("Save", flags=("max-length:10",)), ("Enregistrer",), "fr", True),
    ("max_length", seg("Save", flags=("max-length:11",)), ("Enregistrer",), "fr", False),
    ("max_length", seg("Save", flags=("max-length: 10",)), ("Enregistrer",), "fr", True),
    ("max_length", seg("Save", flags=("max-length:x",)), ("Sauver",), "fr", True),
    ("max_length", seg("Save"), ("Enregistrer " * 20,), "fr", False),
    (
        "max_length",
        seg("A file", "Files", ("max-length:8",)),
        ("Un fichier", "Fichiers"),
        "fr",
        True,
    ),
    # markdown (only for segments flagged "markdown")
    ("markdown", seg("**Bold** and *em*", flags=MD), ("**Gras** et *ital*",), "fr", False),
    ("markdown", seg("**Bold** and *em*", flags=MD), ("__Gras__ et _ital_",), "fr", False),
    ("markdown", seg("**Bold** and *em*", flags=MD), ("Gras et *ital*",), "fr", True),
    ("markdown", seg("**Bold** and *em*", flags=MD), ("**Gras** et ital",), "fr", True),
    ("markdown", seg("**Bold** and *em*"), ("Gras et ital",), "fr", False),
    (
        "markdown",
        seg("See [docs](https://x.org)", flags=MD),
        ("Voir [doc](https://x.org)",),
        "fr",
        False,
    ),
    (
        "markdown",
        seg("See [docs](https://x.org)", flags=MD),
        ("Voir [doc](https://y.org)",),
        "fr",
        True,
    ),
    ("markdown", seg("See [docs](https://x.org)", flags=MD), ("Voir la doc",), "fr", True),
    ("markdown", seg("Run `f()` now", flags=MD), ("Lancez `f()`",), "fr", False),
    ("markdown", seg("Run `f()` now", flags=MD), ("Lancez `g()`",), "fr", True),
    ("markdown", seg("Run `f()` now", flags=MD), ("Lancez f()",), "fr", True),
    ("markdown", seg("![Logo](a.png) here", flags=MD), ("![Le logo](a.png) ici",), "fr", False),
    ("markdown", seg("![Logo](a.png) here", flags=MD), ("![Le logo](b.png) ici",), "fr", True),
    ("markdown", seg("~~old~~ new", flags=MD), ("~~ancien~~ nouveau",), "fr", False),
    ("markdown", seg("~~old~~ new", flags=MD), ("ancien nouveau",), "fr", True),
    ("markdown", seg("line\\\nbreak", flags=MD), ("ligne\\\ncoupée",), "fr", False),
    ("markdown", seg("line\\\nbreak", flags=MD), ("ligne coupée",), "fr", True),
    (
        "markdown",
        seg("One *new* file", "%d *new* files", (*C, *MD)),
        ("Ein *neuer* Datei", "%d *neue* Dateien"),
        "de",
        False,
    ),
    (
        "markdown",
        seg("One *new* file", "%d *new* files", (*C, *MD)),
        ("Ein *neuer* Datei", "%d neue Dateien"),
        "de",
        True,
    ),
    # range: a malformed flag
    (
        "range",
        seg("One file", "%d files", (*C, "range: 0..10")),
        ("Datei", "%d Dateien"),
        "de",
        False,
    ),
    (
        "range",
        seg("One file", "%d files", (*C, "range:0..10")),
        ("Datei", "%d Dateien"),
        "de",
        False,
    ),
    (
        "range",
        seg("One file", "%d files", (*C, "range: 5..2")),
        ("Datei", "%d Dateien"),
        "de",
        True,
    ),
    ("range", seg("One file", "%d files", (*C, "range: 1-5")), ("Datei", "%d Dateien"), "de", True),
    (
        "range",
        seg("One file", "%d files", (*C, "range: -1..5")),
        ("Datei", "%d Dateien"),
        "de",
        True,
    ),
    ("range", seg("One file", "%d files", (*C, "range:")), ("Datei", "%d Dateien"), "de", True),
    # placeholders with a range: a form at most one n in the range selects may omit %d
    (
        "placeholders",
        seg("One file", "%d files", (*C, "range: 1..1")),
        ("Datei", "Dateien"),
        "de",
        False,
    ),
    (
        "placeholders",
        seg("One file", "%d files", (*C, "range:0..1")),
        ("Datei", "Keine"),
        "de",
        False,
    ),
    (
        "placeholders",
        seg("One file", "%d files", (*C, "range: 0..2")),
        ("Datei", "Dateien"),
        "de",
        True,
    ),
    (
        "placeholders",
        seg("One file", "%d files", (*C, "range: 2..5")),
        ("Datei", "Dateien"),
        "de",
        True,
    ),
    (
        "placeholders",
        seg("One file", "%d files", (*C, "range: 5..2")),
        ("Datei", "Dateien"),
        "de",
        True,
    ),
    ("placeholders", seg("One file", "%d files", (*C, "range: 1..1")), ("ファイル",), "ja", True),
    (
        "placeholders",
        seg("One file", "%d files", (*C, "range: 1..4")),
        ("Один файл", "%d файла", "файлов"),
        "ru",
        False,
    ),
    (
        "placeholders",
        seg("One file", "%d files", (*C, "range: 1..4")),
        ("Один файл", "файла", "%d файлов"),
        "ru",
        True,
    ),
]
