"""sync -> plan -> translate -> store -> export as plain functions, on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess

import pytest
from sqlalchemy import func, select

from locflow.connectors.po import read_po
from locflow.connectors.po_model import PoError
from locflow.db import catalog_repo, repo
from locflow.db.models import SegmentRow, Translation
from locflow.db.states import State
from locflow.pipeline.export import ExportConflict
from locflow.pipeline.plan import plan_locale, plural_for
from tests.support.helpers import config_for, export, sync, translate

EXPECTED_NPLURALS = {"fr": 3, "ru": 3, "ar": 6, "de": 2}  # Babel 2.19: CLDR 46 French "many"


def counts(Session):
    with Session() as s:
        return (
            s.scalar(select(func.count()).select_from(SegmentRow)),
            s.scalar(select(func.count()).select_from(Translation)),
        )


def po_path(project, locale):
    return project / "locale" / locale / "LC_MESSAGES" / "messages.po"


def test_full_run_produces_valid_catalogues_with_every_plural_form(
    demo_project, Session, db_url, msgfmt
):
    config = config_for(demo_project, db_url)
    report = sync(Session, config)
    assert report.new == 19 and report.imported == 0
    stored, requests = translate(Session, config)
    # one request per target plural form: 16 singular strings + 3 plural strings x nplurals
    assert requests == sum(16 + 3 * n for n in EXPECTED_NPLURALS.values())
    assert stored.machine + stored.needs_review == 19 * 4
    files = export(Session, config)
    assert {f.locale for f in files if f.written} == set(EXPECTED_NPLURALS)
    for locale, nplurals in EXPECTED_NPLURALS.items():
        path = po_path(demo_project, locale)
        subprocess.run([msgfmt, "-c", "--check-format", "-o", "/dev/null", str(path)], check=True)
        catalog = read_po(path)
        assert catalog.plural_forms().startswith(f"nplurals={nplurals};")
        plurals = [e for e in catalog.entries if e.segment.is_plural]
        assert plurals and all(len(e.forms) == nplurals for e in plurals)
        assert all(all(e.forms) and e.fuzzy for e in plurals)
        assert dict(catalog.header_fields())["Language"] == locale
        assert path.with_suffix(".mo").exists()


def test_second_run_makes_no_engine_calls_and_changes_no_file(demo_project, Session, db_url):
    config = config_for(demo_project, db_url)
    sync(Session, config)
    translate(Session, config)
    export(Session, config)
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in demo_project.rglob("*.[pm]o")}
    rows_before = counts(Session)
    report = sync(Session, config)
    stored, requests = translate(Session, config)
    files = export(Session, config)
    assert requests == 0 and stored.machine == stored.needs_review == stored.reused == 0
    assert not any(f.changed or f.written for f in files)
    assert report.catalogs_unchanged == 4 and report.unchanged_templates == 1
    assert counts(Session) == rows_before
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in demo_project.rglob("*.[pm]o")}
    assert after == before


def test_existing_translations_are_imported_as_human_work_and_never_overwritten(
    demo_project, Session, db_url
):
    fr = po_path(demo_project, "fr")
    fr.parent.mkdir(parents=True)
    fr.write_text(FR_PO, encoding="utf-8")
    original = fr.read_bytes()
    config = config_for(demo_project, db_url, LOCFLOW_LOCALES="fr")
    report = sync(Session, config)
    assert report.imported == 2
    with Session() as s:
        rows = {r.msgid: r for r in s.scalars(select(SegmentRow))}
        settings = repo.versions(s, rows["Settings"].id, "fr")
        notes = repo.versions(s, rows["Notes"].id, "fr")
    assert [(v.state, v.origin, v.forms) for v in settings] == [
        (State.APPROVED, "human", ["Paramètres"])
    ]
    assert [(v.state, v.previous_msgid) for v in notes] == [(State.NEEDS_REVIEW, "Note")]
    stored, _ = translate(Session, config)
    assert stored.machine + stored.needs_review == 17  # 19 strings minus the two imported
    with Session() as s:
        assert len(repo.versions(s, rows["Settings"].id, "fr")) == 1
    export(Session, config)
    out = read_po(fr)
    by_id = {e.segment.msgid: e for e in out.entries}
    assert by_id["Settings"].forms == ("Paramètres",) and not by_id["Settings"].fuzzy
    assert by_id["Notes"].fuzzy and by_id["Notes"].segment.previous_msgid == "Note"
    # the translator's own lines are kept as they were
    assert b"# Translator note kept verbatim\n" in fr.read_bytes()
    assert original.split(b"\n\n")[0].split(b"PO-Revision-Date")[0] in fr.read_bytes()


def test_resync_detects_changed_removed_and_reworded_strings(demo_project, Session, db_url):
    config = config_for(demo_project, db_url, LOCFLOW_LOCALES="fr")
    sync(Session, config)
    with Session() as s, s.begin():
        rows = {r.msgid: r for r in s.scalars(select(SegmentRow))}
        for msgid in (
            "Settings",
            "Sync failed. Check your connection and try again.",
            "Save changes?",
        ):
            repo.add_version(
                s,
                repo.NewVersion(
                    segment_id=rows[msgid].id,
                    locale="fr",
                    forms=("FR " + msgid,),
                    state=State.APPROVED,
                    origin="human",
                    source_hash=rows[msgid].source_hash,
                ),
            )
    export(Session, config)
    pot = demo_project / "locale" / "messages.pot"
    text = pot.read_text(encoding="utf-8")
    text = text.replace(
        "POT-Creation-Date: 2026-11-01 12:00", "POT-Creation-Date: 2026-11-20 09:30"
    )
    text = text.replace(
        '#: app/settings.py:7\nmsgid "Settings"',
        '#. The settings window\n#: app/settings.py:7\nmsgid "Settings"',
    )
    text = text.replace(
        "Sync failed. Check your connection and try again.",
        "Sync failed. Check your network connection and try again.",
    )
    text = text.replace('#: app/notes.py:14\nmsgid "Save changes?"\nmsgstr ""\n\n', "")
    pot.write_text(text, encoding="utf-8")
    report = sync(Session, config)
    assert (report.new, report.changed, report.obsolete, report.linked) == (1, 1, 2, 1)
    with Session() as s:
        rows = {r.msgid: r for r in s.scalars(select(SegmentRow))}
        assert rows["Save changes?"].obsolete
        assert [v.state for v in repo.versions(s, rows["Settings"].id, "fr")] == [State.STALE]
        new = rows["Sync failed. Check your network connection and try again."]
        assert (
            new.previous_segment_id == rows["Sync failed. Check your connection and try again."].id
        )
        (suggestion,) = repo.versions(s, new.id, "fr")
        assert suggestion.state == State.STALE
        assert suggestion.previous_msgid == "Sync failed. Check your connection and try again."
        assert suggestion.forms == ["FR Sync failed. Check your connection and try again."]
    export(Session, config)
    out = {e.segment.msgid: e for e in read_po(po_path(demo_project, "fr")).entries}
    reworded = out["Sync failed. Check your network connection and try again."]
    assert reworded.fuzzy and reworded.segment.previous_msgid.startswith(
        "Sync failed. Check your connection"
    )
    assert out["Save changes?"].segment.obsolete


def test_pot_creation_date_alone_is_no_change(demo_project, Session, db_url):
    config = config_for(demo_project, db_url)
    sync(Session, config)
    before = counts(Session)
    pot = demo_project / "locale" / "messages.pot"
    pot.write_text(pot.read_text().replace("2026-11-01 12:00", "2026-11-28 08:00"))
    report = sync(Session, config)
    assert (report.new, report.changed, report.obsolete) == (0, 0, 0)
    assert counts(Session) == before


def test_export_from_the_database_alone_is_byte_identical(demo_project, Session, db_url):
    config = config_for(demo_project, db_url)
    sync(Session, config)
    translate(Session, config)
    export(Session, config)
    files = sorted(demo_project.rglob("*.po"))
    originals = {p: p.read_bytes() for p in files}
    for p in demo_project.rglob("LC_MESSAGES/*"):
        p.unlink()
    export(Session, config)
    assert {p: p.read_bytes() for p in files} == originals


def test_a_file_edited_on_disk_is_never_overwritten(demo_project, Session, db_url):
    config = config_for(demo_project, db_url, LOCFLOW_LOCALES="fr")
    sync(Session, config)
    translate(Session, config)
    export(Session, config)
    path = po_path(demo_project, "fr")
    edited = path.read_bytes().replace(
        b'msgstr ""\n"Project', b'msgstr ""\n"X-Edited: yes\\n"\n"Project'
    )
    path.write_bytes(edited)
    with pytest.raises(ExportConflict, match="changed on disk since the last sync"):
        export(Session, config)
    assert path.read_bytes() == edited


def test_machine_output_can_be_omitted_by_policy(demo_project, Session, db_url):
    toml = demo_project / "locflow.toml"
    toml.write_text(toml.read_text().replace('machine = "fuzzy"', 'machine = "omit"'))
    config = config_for(demo_project, db_url, LOCFLOW_LOCALES="fr")
    sync(Session, config)
    translate(Session, config)
    export(Session, config)
    entries = read_po(po_path(demo_project, "fr")).entries
    assert entries and all(not any(e.forms) and not e.fuzzy for e in entries)


def test_a_malformed_catalogue_names_file_and_line_and_writes_nothing(
    demo_project, Session, db_url
):
    fr = po_path(demo_project, "fr")
    fr.parent.mkdir(parents=True)
    fr.write_text('msgid "Notes"\nmsgstr "Notes"\n\nmsgid "Settings\nmsgstr ""\n', encoding="utf-8")
    config = config_for(demo_project, db_url, LOCFLOW_LOCALES="fr")
    with pytest.raises(PoError) as err:
        sync(Session, config)
    assert str(err.value).startswith(f"{fr}:4:")
    assert counts(Session) == (0, 0)


FR_PO = """\
# French translation of the demo.
# Translator note kept verbatim
msgid ""
msgstr ""
"Project-Id-Version: demo 1.0\\n"
"PO-Revision-Date: 2026-10-01 10:00+0200\\n"
"Last-Translator: Marie <marie@example.org>\\n"
"Language-Team: French\\n"
"Language: fr\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Content-Transfer-Encoding: 8bit\\n"
"Plural-Forms: nplurals=2; plural=(n > 1);\\n"

#: app/settings.py:7
msgid "Settings"
msgstr "Paramètres"

#. Translators: shown in the window title bar
#: app/notes.py:8
#, fuzzy
#| msgid "Note"
msgid "Notes"
msgstr "Note"
"""


def test_plural_forms_come_from_the_stored_catalogue_else_from_cldr(demo_project, Session, db_url):
    """One `plural_for` serves planning and the review app: the catalogue's own header as
    last synced (or exported), else CLDR's; a changed catalogue is read again."""
    header = '"Plural-Forms: nplurals=2; plural=(n > 1);\\n"'
    template = (demo_project / "locale" / "messages.pot").read_text(encoding="utf-8")
    fr = po_path(demo_project, "fr")
    fr.parent.mkdir(parents=True)
    fr.write_text(
        template.replace('"Plural-Forms: nplurals=INTEGER; plural=EXPRESSION;\\n"', header),
        encoding="utf-8",
    )
    config = config_for(demo_project, db_url)
    sync(Session, config)
    with Session() as s, s.begin():
        project = repo.get_or_create_project(s, config.project, config.source_locale)
        (source,) = repo.sources_of(s, project)
        assert plural_for(s, source.id, "fr").nplurals == 2  # the file says so
        assert plural_for(s, source.id, "ru").nplurals == EXPECTED_NPLURALS["ru"]  # no file
        plan = plan_locale(s, project, "fr")
        plural_items = [i for items in plan.queued.values() for i in items if i.segment.is_plural]
        assert plural_items and all(i.nforms == 2 for i in plural_items)
        three = fr.read_text(encoding="utf-8").replace(
            "nplurals=2; plural=(n > 1);", "nplurals=3; plural=(n==1 ? 0 : n==2 ? 1 : 2);"
        )
        data = three.encode()
        catalog_repo.put_catalog_file(
            s, source.id, "fr", "locale/fr/LC_MESSAGES/messages.po", data, "changed-content"
        )
        assert plural_for(s, source.id, "fr").nplurals == 3
