"""A template that moved on, merged as GNU `msgmerge --previous` merges it: a small replica
of the real cases (tests/test_real_catalogues.py runs Django's catalogues in the slow tier).

- Minimal diffs: an entry whose msgstr did not change keeps its msgid and msgstr lines byte
  for byte (here wrapped by Babel at width 76), even when its references or flags move.
- Carrying: a singular that became plural goes into every form as `#, fuzzy` with `#| msgid`;
  a reworded msgid goes in as fuzzy with the old msgid; an obsolete entry whose message is
  back is revived; all as msgmerge writes them.
- Header: Last-Translator, Language-Team, PO-Revision-Date and X-Generator kept up, only when
  an entry changed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from locflow import __version__
from locflow.connectors.po import read_po
from locflow.connectors.po_model import PoEntry
from locflow.connectors.po_wrap import wrap_string
from locflow.db import repo
from locflow.db.models import SegmentRow
from locflow.db.states import State
from tests.support.env import IN_CI
from tests.support.helpers import NOW, config_for, export, sync
from tests.support.real_data import untouched_text_changed

HEADER = """\
msgid ""
msgstr ""
"Project-Id-Version: replica 1.0\\n"
"POT-Creation-Date: 2026-11-01 12:00+0000\\n"
"PO-Revision-Date: {revision}\\n"
"Last-Translator: {translator}\\n"
"Language-Team: {team}\\n"
"Language: {language}\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=utf-8\\n"
"Content-Transfer-Encoding: 8bit\\n"
"Plural-Forms: nplurals=2; plural=(n > 1);\\n"
"Generated-By: Babel 2.19.0\\n"

"""

LONG = "Fields marked with an asterisk are required; check them before you save the form."
LONG_FR = (
    "Les champs marqués d’un astérisque sont obligatoires ; vérifiez-les avant"
    " d’enregistrer le formulaire."
)

# The older release's French catalogue, as Babel writes it (width 76).
OLD_FR = HEADER.format(
    revision="2026-10-01 10:00+0200",
    translator="Marie <marie@example.org>",
    team="French <fr@example.org>",
    language="fr",
) + (
    "#: app/views.py:10\n"
    'msgid "Save"\n'
    'msgstr "Enregistrer"\n'
    "\n"
    "#: app/forms.py:20\n"
    'msgid ""\n'
    '"Fields marked with an asterisk are required; check them before you save "\n'
    '"the form."\n'
    'msgstr ""\n'
    '"Les champs marqués d’un astérisque sont obligatoires ; vérifiez-les avant"\n'
    '" d’enregistrer le formulaire."\n'
    "\n"
    "#: app/forms.py:31\n"
    'msgid "Please correct the error below."\n'
    'msgstr "Corrigez l’erreur ci-dessous."\n'
    "\n"
    "#: app/forms.py:32\n"
    'msgid "Please correct the errors below."\n'
    'msgstr "Corrigez les erreurs ci-dessous."\n'
    "\n"
    "#: app/views.py:40\n"
    'msgid "Delete the selected items"\n'
    'msgstr "Supprimer les éléments sélectionnés"\n'
    "\n"
    '#~ msgid "Welcome"\n'
    '#~ msgstr "Bienvenue"\n'
)

OLD_POT = HEADER.format(
    revision="YEAR-MO-DA HO:MI+ZONE",
    translator="FULL NAME <EMAIL@ADDRESS>",
    team="LANGUAGE <LL@li.org>",
    language="",
) + "".join(
    f'#: {ref}\nmsgid {msgid}\nmsgstr ""\n\n'
    for ref, msgid in (
        ("app/views.py:10", '"Save"'),
        ("app/forms.py:20", f'"{LONG}"'),
        ("app/forms.py:31", '"Please correct the error below."'),
        ("app/forms.py:32", '"Please correct the errors below."'),
        ("app/views.py:40", '"Delete the selected items"'),
    )
)

# The newer release's template: references moved, a flag added, a singular became plural,
# a msgid reworded, a new string.
NEW_POT = HEADER.format(
    revision="YEAR-MO-DA HO:MI+ZONE",
    translator="FULL NAME <EMAIL@ADDRESS>",
    team="LANGUAGE <LL@li.org>",
    language="",
) + (
    "#: app/views.py:12 app/views.py:30\n"
    'msgid "Save"\n'
    'msgstr ""\n'
    "\n"
    "#: app/forms.py:24\n"
    "#, python-format\n"
    f'msgid "{LONG}"\n'
    'msgstr ""\n'
    "\n"
    "#: app/forms.py:35\n"
    'msgid "Please correct the error below."\n'
    'msgid_plural "Please correct the errors below."\n'
    'msgstr[0] ""\n'
    'msgstr[1] ""\n'
    "\n"
    "#: app/views.py:44\n"
    'msgid "Delete the selected items?"\n'
    'msgstr ""\n'
    "\n"
    "#: app/views.py:50\n"
    'msgid "Welcome"\n'
    'msgstr ""\n'
)

TOML = """\
[project]
name = "replica"
source_locale = "en"
locales = ["fr"]

[[catalogs]]
template = "messages.pot"
path = "locale/{locale}/LC_MESSAGES/messages.po"

[engine]
name = "pseudo"

[export]
machine = "omit"
mo = false
"""


@pytest.fixture(scope="module")
def msgmerge() -> str:
    found = shutil.which("msgmerge")
    if found is None:
        if IN_CI:
            pytest.fail("CI requires GNU gettext (msgmerge)")
        pytest.skip("GNU gettext's msgmerge is not installed")
    return found


def replica(root: Path, template: str, catalogue: str = OLD_FR) -> Path:
    (root / "locflow.toml").write_text(TOML)
    (root / "messages.pot").write_text(template, encoding="utf-8")
    fr = root / "locale" / "fr" / "LC_MESSAGES" / "messages.po"
    fr.parent.mkdir(parents=True, exist_ok=True)
    fr.write_text(catalogue, encoding="utf-8")
    return fr


def merged_by_msgmerge(exe: str, old: str, template: str, tmp: Path) -> Path:
    (tmp / "def.po").write_text(old, encoding="utf-8")
    (tmp / "ref.pot").write_text(template, encoding="utf-8")
    out = tmp / "msgmerge.po"
    subprocess.run(
        [exe, "-q", "--previous", "-o", out, tmp / "def.po", tmp / "ref.pot"], check=True
    )
    return out


def block(entry: PoEntry) -> str:
    """An entry's text from its flags on (references are wrapped alike by both tools)."""
    assert entry.raw is not None
    lines = entry.raw.splitlines()
    return "\n".join(line for line in lines if not line.startswith("#:"))


def live(path: Path) -> dict[tuple[str | None, str, str | None], PoEntry]:
    return {e.segment.key: e for e in read_po(path).entries if not e.segment.obsolete}


def test_babel_wrapped_msgstr_is_kept_byte_for_byte_when_only_notes_move(tmp_path, Session, db_url):
    fr = replica(tmp_path, NEW_POT)
    before = fr.read_bytes()
    # the test can fail: GNU's width-79 wrapping of this msgstr differs from Babel's
    gnu = wrap_string("", "msgstr", LONG_FR, 79)
    assert "\n".join(gnu) not in before.decode()
    config = config_for(tmp_path, db_url)
    sync(Session, config)
    export(Session, config)
    after = fr.read_bytes()
    assert untouched_text_changed(before, after, "fr") == []
    text = after.decode()
    assert '#: app/views.py:12 app/views.py:30\nmsgid "Save"\nmsgstr "Enregistrer"\n' in text
    assert (
        '#: app/forms.py:24\n#, python-format\nmsgid ""\n'
        '"Fields marked with an asterisk are required; check them before you save "\n'
        '"the form."\nmsgstr ""\n'
        '"Les champs marqués d’un astérisque sont obligatoires ; vérifiez-les avant"\n'
        '" d’enregistrer le formulaire."\n'
    ) in text
    # the kept entries changed only their `#:` and `#,` lines
    removed = set(before.decode().splitlines()) - set(text.splitlines())
    assert {line for line in removed if line.startswith("#:")} >= {
        "#: app/views.py:10",
        "#: app/forms.py:20",
    }
    assert not any("Enregistrer" in line or "astérisque" in line for line in removed)


def test_first_sync_carries_what_msgmerge_carries(tmp_path, Session, db_url, msgmerge):
    fr = replica(tmp_path, NEW_POT)
    theirs = live(merged_by_msgmerge(msgmerge, OLD_FR, NEW_POT, tmp_path))
    config = config_for(tmp_path, db_url)
    report = sync(Session, config)
    assert report.carried == 2  # the singular turned plural, the reworded msgid
    export(Session, config)
    ours = live(fr)
    assert ours.keys() == theirs.keys()
    for key, entry in theirs.items():
        mine = ours[key]
        assert (mine.forms, mine.fuzzy, mine.segment.previous_msgid) == (
            entry.forms,
            entry.fuzzy,
            entry.segment.previous_msgid,
        ), key
    plural = ours[(None, "Please correct the error below.", "Please correct the errors below.")]
    assert block(plural) == (
        "#, fuzzy\n"
        '#| msgid "Please correct the error below."\n'
        'msgid "Please correct the error below."\n'
        'msgid_plural "Please correct the errors below."\n'
        'msgstr[0] "Corrigez l’erreur ci-dessous."\n'
        'msgstr[1] "Corrigez l’erreur ci-dessous."'
    )
    assert block(plural) == block(theirs[plural.segment.key])
    reworded = ours[(None, "Delete the selected items?", None)]
    assert block(reworded) == block(theirs[reworded.segment.key])
    assert ours[(None, "Welcome", None)].forms == ("Bienvenue",)
    # the carried text is a suggestion for the reviewer, never sent to an engine again
    with Session() as s:
        row = s.scalars(select(SegmentRow).where(SegmentRow.msgid_plural.is_not(None))).one()
        (version,) = repo.versions(s, row.id, "fr")
        assert (version.state, version.origin, version.previous_msgid) == (
            State.NEEDS_REVIEW,
            "human",
            "Please correct the error below.",
        )
        assert version.forms == ["Corrigez l’erreur ci-dessous."] * 2
    # msgmerge drops the entry it carried; the one nothing took goes obsolete
    obsolete = [e.segment.msgid for e in read_po(fr).entries if e.segment.obsolete]
    assert obsolete == ["Please correct the errors below."]


def test_template_reworded_after_a_sync_is_carried_as_fuzzy(tmp_path, Session, db_url):
    fr = replica(tmp_path, OLD_POT)
    config = config_for(tmp_path, db_url)
    sync(Session, config)
    export(Session, config)
    assert fr.read_bytes() == OLD_FR.encode()  # nothing changed yet: byte-identical
    (tmp_path / "messages.pot").write_text(NEW_POT, encoding="utf-8")
    report = sync(Session, config)
    assert report.linked == 2
    export(Session, config)
    ours = live(fr)
    plural = ours[(None, "Please correct the error below.", "Please correct the errors below.")]
    assert plural.fuzzy and plural.segment.previous_msgid == "Please correct the error below."
    assert plural.forms == ("Corrigez l’erreur ci-dessous.",) * 2
    reworded = ours[(None, "Delete the selected items?", None)]
    assert reworded.fuzzy and reworded.segment.previous_msgid == "Delete the selected items"
    assert not ours[(None, "Save", None)].fuzzy


def header(path: Path) -> dict[str, str]:
    return dict(read_po(path).header_fields())


def test_header_is_kept_up_only_when_an_entry_changes(tmp_path, Session, db_url):
    placeholder = OLD_FR.replace("French <fr@example.org>", "LANGUAGE <LL@li.org>")
    fr = replica(tmp_path, OLD_POT, placeholder)
    config = config_for(tmp_path, db_url)
    sync(Session, config)
    export(Session, config)
    assert fr.read_bytes() == placeholder.encode()  # no entry changed: no header change
    _approve_save(Session, "Sauvegarder", origin="human", author="Jeanne <jeanne@example.org>")
    export(Session, config)
    fields = header(fr)
    assert fields["PO-Revision-Date"] == NOW.strftime("%Y-%m-%d %H:%M%z")
    assert fields["Last-Translator"] == "Jeanne <jeanne@example.org>"
    assert fields["Language-Team"] == "French"  # was the template's placeholder
    assert fields["X-Generator"] == f"locflow {__version__}"
    assert fields["Generated-By"] == "Babel 2.19.0"  # other fields are left alone
    again = fr.read_bytes()
    export(Session, config)
    assert fr.read_bytes() == again


def test_machine_output_alone_leaves_the_translator_and_team_named_in_the_file(
    tmp_path, Session, db_url
):
    fr = replica(tmp_path, OLD_POT)
    config = config_for(tmp_path, db_url)
    sync(Session, config)
    _approve_save(Session, "Sauver", origin="engine", author="pseudo")
    export(Session, config)
    fields = header(fr)
    assert fields["Last-Translator"] == "Marie <marie@example.org>"
    assert fields["Language-Team"] == "French <fr@example.org>"
    assert fields["PO-Revision-Date"] == NOW.strftime("%Y-%m-%d %H:%M%z")


def test_moved_references_alone_leave_translator_and_team(tmp_path, Session, db_url):
    placeholders = OLD_FR.replace("Marie <marie@example.org>", "FULL NAME <EMAIL@ADDRESS>")
    fr = replica(tmp_path, OLD_POT.replace("app/views.py:10", "app/views.py:11"), placeholders)
    config = config_for(tmp_path, db_url)
    sync(Session, config)
    export(Session, config)
    fields = header(fr)
    assert fields["Last-Translator"] == "FULL NAME <EMAIL@ADDRESS>"
    assert fields["Language-Team"] == "French <fr@example.org>"
    assert fields["PO-Revision-Date"] == NOW.strftime("%Y-%m-%d %H:%M%z")
    assert fields["X-Generator"] == f"locflow {__version__}"
    assert "#: app/views.py:11\n" in fr.read_text(encoding="utf-8")


def _approve_save(Session, text: str, *, origin: str, author: str) -> None:
    """An approved fr version of "Save", as a reviewer (origin human) or an engine writes it."""
    with Session() as s, s.begin():
        row = s.scalars(select(SegmentRow).where(SegmentRow.msgid == "Save")).one()
        repo.add_version(
            s,
            repo.NewVersion(
                segment_id=row.id,
                locale="fr",
                forms=(text,),
                state=State.APPROVED,
                origin=origin,
                source_hash=row.source_hash,
                author=author,
            ),
        )


def test_a_new_catalogue_of_a_large_template_keeps_its_order(tmp_path: Path, Session, db_url):
    """Every entry of a new catalogue follows the one before it: 3,000 of them (Django's
    docs' ref.pot has over 10,000) once exceeded Python's recursion limit on export."""
    project = tmp_path / "big"
    (project / "locale").mkdir(parents=True)
    msgids = [f"Message number {i}" for i in range(3000)]
    pot = HEADER.format(revision="YEAR-MO-DA HO:MI+ZONE", translator="", team="", language="")
    pot += "".join(f'msgid "{m}"\nmsgstr ""\n\n' for m in msgids)
    (project / "locale" / "big.pot").write_text(pot, encoding="utf-8")
    (project / "locflow.toml").write_text(
        '[project]\nname = "big"\nlocales = ["fr"]\n\n[[catalogs]]\n'
        'template = "locale/big.pot"\npath = "locale/{locale}/LC_MESSAGES/big.po"\n\n'
        '[engine]\nname = "pseudo"\n',
        encoding="utf-8",
    )
    config = config_for(project, db_url)
    sync(Session, config)
    (result,) = export(Session, config)
    assert result.written and result.total == 3000
    written = read_po(project / result.path)
    assert [e.segment.msgid for e in written.entries if e.segment.msgid] == msgids
