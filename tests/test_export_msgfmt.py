"""Export decides per entry for text GNU `msgfmt -c --check-format` would reject (issue 12,
"one export decision, made per entry"): an entry locflow writes or changes that would fail
(a format directive lost or renamed, a line break dropped, a wrong number of plural forms),
an overridden approval included, is written `#, fuzzy` or keeps its previous text, and is
reported; the other entries and catalogues are written as usual. Imported human text that
locflow did not write is reported, never rewritten. Every written file goes through the
real msgfmt.
"""

from __future__ import annotations

import gettext
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from locflow.catalog.check_msgfmt import msgfmt_problem
from locflow.catalog.plurals import plural_info
from locflow.connectors.po import read_po
from locflow.connectors.po_parse import parse_po
from locflow.db import repo
from locflow.db.models import SegmentRow
from locflow.db.states import State
from locflow.review import actions
from locflow.review.users import add_user, get_user
from tests.support.env import run_cli
from tests.support.helpers import config_for, export, sync, translate
from tests.support.msgfmt_cases import MSGFMT_RANGE_CASES, PLURAL_FORMS, po_text

LOCALES = ("fr", "ru", "ar", "de")
DELETED = "Deleted %d of %d notes"
SIGNED_IN = "Signed in as {user}"
CANNOT_OPEN = "%s: cannot open file: %s\n"
SELECTED = "One note selected"
SAVE = "Save changes?"


def po_path(project: Path, locale: str) -> Path:
    return project / "locale" / locale / "LC_MESSAGES" / "messages.po"


def run_msgfmt(msgfmt: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [msgfmt, "-c", "--check-format", "-o", "/dev/null", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )


# --- the pure check agrees with the real msgfmt -----------------------------------------------

HEADERS = {
    "fr": "nplurals=2; plural=(n > 1);",
    "de": "nplurals=2; plural=(n != 1);",
    "ru": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
    "(n%100<10 || n%100>=20) ? 1 : 2);",
}

# locale, flags, msgid, msgid_plural, forms
CASES = [
    ("fr", "c-format", DELETED, None, ("Supprimé %d notes",)),
    ("fr", "c-format", DELETED, None, ("%d notes sur %d supprimées",)),
    ("fr", "c-format", DELETED, None, ("%2$d notes, %1$d supprimées",)),
    ("fr", "c-format", DELETED, None, ("Supprimé %s sur %d",)),
    ("fr", "c-format", DELETED, None, ("",)),
    ("fr", "possible-c-format", DELETED, None, ("Supprimé %d notes",)),
    ("fr", "c-format", "100%", None, ("%d pour cent",)),  # msgid no format: msgfmt lets it be
    ("fr", "c-format, no-c-format", DELETED, None, ("Supprimé",)),
    ("fr", "python-brace-format", SIGNED_IN, None, ("Connecté : {usr}",)),
    ("fr", "python-brace-format", SIGNED_IN, None, ("Connecté : {user}",)),
    ("fr", "python-brace-format", SIGNED_IN, None, ("Connecté : {user} {x}",)),
    ("fr", "python-format", "%(n)s of %(m)s", None, ("%(m)s",)),
    ("fr", "python-format", "%(n)s of %(m)s", None, ("%(m)s de %(n)s",)),
    ("fr", "python-format", "%s and %s", None, ("%s",)),
    ("fr", "c-format", CANNOT_OPEN, None, ("%s : impossible d'ouvrir : %s",)),
    ("fr", "c-format", CANNOT_OPEN, None, ("%s : impossible d'ouvrir : %s\n",)),
    ("fr", "", "\nIntro", None, ("Intro",)),
    ("fr", "", "\nIntro", None, ("\nIntro",)),
    ("fr", "c-format", SELECTED, "%d notes selected", ("Une note", "%d notes")),
    ("fr", "c-format", SELECTED, "%d notes selected", ("%d note", "%d notes")),
    ("fr", "c-format", SELECTED, "%d notes selected", ("%d note", "")),
    ("fr", "", "One\n", "Many\n", ("Un\n", "")),
    ("fr", "", "One", "Many", ("Un", "")),
    ("fr", "", "One\n", "Many", ("Un\n", "Plusieurs")),
    ("fr", "c-format", SELECTED, "%d notes selected", ("%d note", "%d notes", "%d notes")),
    ("fr", "c-format", SELECTED, "%d notes selected", ("%d note",)),
    ("fr", "c-format", SELECTED, "%d notes selected", ("",)),
    ("de", "c-format", SELECTED, "%d notes selected", ("Eine Notiz", "%d Notizen")),
    ("de", "c-format, range: 1..1", "One file", "%d files", ("Eine Datei", "Dateien")),
    ("de", "c-format, range:1..1", "One file", "%d files", ("Eine Datei", "Dateien")),
    ("ru", "c-format", "%d file", "%d files", ("%d файл", "%d файла", "%d файлов")),
    ("ru", "c-format", "%d file", "%d files", ("Один файл", "%d файла", "%d файлов")),
]


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def case_po(locale: str, flags: str, msgid: str, plural: str | None, forms: tuple[str, ...]):
    head = (
        f'msgid ""\nmsgstr ""\n"Language: {locale}\\n"\n"Plural-Forms: {HEADERS[locale]}\\n"\n'
        '"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
    )
    entry = f"#, {flags}\n" if flags else ""
    entry += f"msgid {_quote(msgid)}\n"
    if plural is None:
        entry += f"msgstr {_quote(forms[0])}\n"
    else:
        entry += f"msgid_plural {_quote(plural)}\n"
        entry += "".join(f"msgstr[{i}] {_quote(f)}\n" for i, f in enumerate(forms))
    return head + entry


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[4]!r}" for c in CASES])
def test_the_pure_check_agrees_with_msgfmt(case, tmp_path: Path, msgfmt: str) -> None:
    text = case_po(*case)
    path = tmp_path / "case.po"
    path.write_text(text, encoding="utf-8")
    catalog = parse_po(text.encode(), "case.po")
    (entry,) = catalog.entries
    plural = plural_info(case[0], HEADERS[case[0]])
    ours = msgfmt_problem(entry.segment, tuple(entry.forms), plural)
    theirs = run_msgfmt(msgfmt, path)
    assert (ours is None) == (theirs.returncode == 0), (ours, theirs.stderr)


@pytest.mark.parametrize("case", [*MSGFMT_RANGE_CASES, ("de", "c-format, range:1..1", ("E", "D"))])
def test_the_pure_check_agrees_with_msgfmt_on_range(case, tmp_path: Path, msgfmt: str) -> None:
    """The `range:` cases of the quality check, including the unspaced flag msgfmt ignores."""
    text = po_text(*case)
    path = tmp_path / "range.po"
    path.write_text(text, encoding="utf-8")
    (entry,) = parse_po(text.encode(), "range.po").entries
    plural = plural_info(case[0], PLURAL_FORMS[case[0]])
    ours = msgfmt_problem(entry.segment, tuple(entry.forms), plural)
    assert (ours is None) == (run_msgfmt(msgfmt, path).returncode == 0), ours


def test_the_cases_hold_both_answers(tmp_path: Path, msgfmt: str) -> None:
    verdicts = []
    for i, case in enumerate(CASES):
        path = tmp_path / f"{i}.po"
        path.write_text(case_po(*case), encoding="utf-8")
        verdicts.append(run_msgfmt(msgfmt, path).returncode == 0)
    assert 10 <= sum(verdicts) <= len(verdicts) - 10


# --- export ------------------------------------------------------------------------------------


def _row(s, msgid: str) -> SegmentRow:
    row = s.scalar(
        select(SegmentRow).where(SegmentRow.msgid == msgid, SegmentRow.msgctxt.is_(None))
    )
    assert row is not None
    return row


def _current(s, msgid: str, locale: str) -> int:
    row = _row(s, msgid)
    return repo.current_versions(s, [row.id], locale)[row.id][0].id


def _reviewer(s):
    if get_user(s, "rita") is None:
        add_user(s, "rita", "correct horse", role="lead", locales=list(LOCALES))
    return get_user(s, "rita")


def _edit(Session, msgid: str, locale: str, forms: tuple[str, ...], *, override: bool) -> None:
    with Session() as s, s.begin():
        vid = _current(s, msgid, locale)
        done = actions.edit(s, _reviewer(s), vid, forms, override=override, comment="on purpose")
        assert done.state == State.APPROVED


def _entries(project: Path, locale: str):
    return {e.segment.msgid: e for e in read_po(po_path(project, locale)).entries}


def _approve_broken_versions(Session) -> None:
    """Machine output with a renamed field, approved with override; an approved plural made
    for another Plural-Forms (fr has 3 forms in CLDR 46)."""
    with Session() as s, s.begin():
        row = _row(s, SIGNED_IN)
        vid = repo.add_version(
            s,
            repo.NewVersion(
                segment_id=row.id, locale="fr", forms=("Connecté : {usr}",),
                state=State.NEEDS_REVIEW, origin="engine", source_hash=row.source_hash,
                engine="pseudo", issues=({"check": "placeholders", "severity": "error",
                                          "message": "unexpected {usr}; missing {user}"},),
            ),
        )  # fmt: skip
        with pytest.raises(actions.NeedsOverride):
            actions.approve(s, _reviewer(s), vid)
        actions.approve(s, _reviewer(s), vid, override=True, comment="on purpose")
        row = _row(s, SELECTED)
        repo.add_version(
            s,
            repo.NewVersion(
                segment_id=row.id, locale="fr", forms=("%d note", "%d notes"),
                state=State.APPROVED, origin="human", source_hash=row.source_hash, author="old",
            ),
        )  # fmt: skip


def test_entries_msgfmt_would_reject_are_written_fuzzy_and_every_file_passes_msgfmt(
    demo_project, Session, db_url, msgfmt
):
    config = config_for(demo_project, db_url)
    sync(Session, config)
    translate(Session, config)
    _edit(Session, DELETED, "fr", ("Supprimé %d notes",), override=True)
    _edit(Session, CANNOT_OPEN, "fr", ("%s : impossible d'ouvrir : %s",), override=True)
    _edit(Session, SAVE, "fr", ("Enregistrer ?",), override=False)  # clean: written as is
    _approve_broken_versions(Session)
    files = {f.locale: f for f in export(Session, config)}

    assert {loc for loc, f in files.items() if f.written} == set(LOCALES)
    for locale in LOCALES:  # the real msgfmt accepts every catalogue written
        done = run_msgfmt(msgfmt, po_path(demo_project, locale))
        assert done.returncode == 0, done.stderr
    fr = _entries(demo_project, "fr")
    for msgid, forms in [
        (DELETED, ("Supprimé %d notes",)),
        (CANNOT_OPEN, ("%s : impossible d'ouvrir : %s",)),
        (SIGNED_IN, ("Connecté : {usr}",)),
        (SELECTED, ("%d note", "%d notes")),
    ]:
        assert fr[msgid].fuzzy and tuple(fr[msgid].forms) == forms, msgid
    assert not fr[SAVE].fuzzy and fr[SAVE].forms == ("Enregistrer ?",)
    with po_path(demo_project, "fr").with_suffix(".mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)  # fuzzy entries stay out of the .mo
    assert compiled.gettext(SAVE) == "Enregistrer ?" and compiled.gettext(DELETED) == DELETED
    demoted = files["fr"].demoted
    assert len(demoted) == 4 and all(
        "written as fuzzy: msgfmt -c would reject" in d for d in demoted
    )
    said = "\n".join(demoted)
    for msgid in (DELETED, CANNOT_OPEN, SIGNED_IN, SELECTED):
        assert repr(msgid) in said
    assert "2 plural forms where the header's nplurals is 3" in said
    assert "missing %d" in said and "{usr}" in said and "end with '\\n'" in said
    assert files["fr"].fuzzy >= 4 and not files["fr"].flagged
    assert all(not files[loc].demoted for loc in ("ru", "ar", "de"))
    # the next export has nothing to rebuild, and still tells what it decided (exit 5 again)
    again = {f.locale: f for f in export(Session, config)}
    assert not again["fr"].written and again["fr"].demoted == demoted


def test_a_rejected_change_keeps_the_previous_clean_text(demo_project, Session, db_url, msgfmt):
    config = config_for(demo_project, db_url)
    sync(Session, config)
    translate(Session, config)
    _edit(Session, SIGNED_IN, "fr", ("Connecté : {user}",), override=False)
    export(Session, config)
    assert _entries(demo_project, "fr")[SIGNED_IN].forms == ("Connecté : {user}",)
    _edit(Session, SIGNED_IN, "fr", ("Connecté : {usr}",), override=True)
    (fr,) = [f for f in export(Session, config) if f.locale == "fr"]
    entry = _entries(demo_project, "fr")[SIGNED_IN]
    assert entry.forms == ("Connecté : {user}",) and not entry.fuzzy
    assert fr.demoted == (
        f"{SIGNED_IN!r} kept its previous text: msgfmt -c would reject it: "
        "msgstr python-brace-format: missing {user}; unexpected {usr}",
    )
    assert run_msgfmt(msgfmt, po_path(demo_project, "fr")).returncode == 0


HUMAN_FR = """\
msgid ""
msgstr ""
"Language: fr\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Content-Transfer-Encoding: 8bit\\n"
"Plural-Forms: nplurals=2; plural=(n > 1);\\n"

#: app/editor.c:41
#, c-format
msgid "Deleted %d of %d notes"
msgstr "Supprimé %d notes"

#: app/notes.py:14
msgid "Save changes?"
msgstr "Enregistrer les modifications ?"
"""


def test_imported_human_text_is_reported_and_never_rewritten(demo_project, Session, db_url, msgfmt):
    fr_path = po_path(demo_project, "fr")
    fr_path.parent.mkdir(parents=True)
    fr_path.write_text(HUMAN_FR, encoding="utf-8")
    config = config_for(demo_project, db_url)
    sync(Session, config)
    translate(Session, config)
    files = {f.locale: f for f in export(Session, config)}
    fr = _entries(demo_project, "fr")
    assert fr[DELETED].forms == ("Supprimé %d notes",) and not fr[DELETED].fuzzy
    assert fr[SAVE].forms == ("Enregistrer les modifications ?",)
    assert not files["fr"].demoted
    (flagged,) = files["fr"].flagged
    assert flagged.startswith(f"{DELETED!r} left as it is (text locflow did not write)")
    assert "missing %d" in flagged
    complaint = run_msgfmt(msgfmt, fr_path)  # the human entry, and nothing else, is refused
    errors = [ln for ln in complaint.stderr.splitlines() if "warning:" not in ln]
    assert complaint.returncode == 1 and len(errors) == 2, complaint.stderr
    assert "number of format specifications" in errors[0]
    for locale in ("ru", "ar", "de"):
        assert run_msgfmt(msgfmt, po_path(demo_project, locale)).returncode == 0


def test_cli_export_dry_run_reports_flagged_entries(demo_project, tmp_path):
    """sync and a dry-run export need no Prefect."""
    cli_env = {"LOCFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    fr_path = po_path(demo_project, "fr")
    fr_path.parent.mkdir(parents=True)
    fr_path.write_text(HUMAN_FR, encoding="utf-8")
    assert run_cli("sync", cwd=demo_project, env=cli_env).returncode == 0
    done = run_cli("export", "--dry-run", "-l", "fr", cwd=demo_project, env=cli_env)
    assert done.returncode == 0, done.stderr
    assert (
        f"locale/fr/LC_MESSAGES/messages.po: {DELETED!r} left as it is (text locflow did not "
        "write), though msgfmt -c would reject it" in done.stdout
    )


def test_under_the_omit_policy_an_entry_msgfmt_would_reject_is_left_out(
    demo_project, Session, db_url, msgfmt
):
    toml = demo_project / "locflow.toml"
    toml.write_text(toml.read_text().replace('machine = "fuzzy"', 'machine = "omit"'))
    config = config_for(demo_project, db_url)
    assert config.export.machine == "omit"
    sync(Session, config)
    translate(Session, config)
    _edit(Session, DELETED, "fr", ("Supprimé %d notes",), override=True)
    _edit(Session, SAVE, "fr", ("Enregistrer ?",), override=False)
    (fr,) = [f for f in export(Session, config) if f.locale == "fr"]
    entries = _entries(demo_project, "fr")
    assert not any(entries[DELETED].forms) and not entries[DELETED].fuzzy  # left out
    assert entries[SAVE].forms == ("Enregistrer ?",)
    assert len(fr.demoted) == 1
    assert fr.demoted[0].startswith(f"{DELETED!r} omitted: msgfmt -c would reject it: ")
    assert run_msgfmt(msgfmt, po_path(demo_project, "fr")).returncode == 0
