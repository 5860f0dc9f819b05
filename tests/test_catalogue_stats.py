"""`locflow stats --catalogues`: translated, fuzzy and untranslated per catalogue and locale,
counted from the database as export decides, equal to what GNU `msgfmt --statistics` reports
on the exported file, under both `[export] machine` policies."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from locflow.db import repo
from locflow.db.models import SegmentRow, Translation
from locflow.db.states import State
from locflow.pipeline.catalog_stats import catalogue_stats
from tests.support.env import run_cli
from tests.support.helpers import config_for, export, sync, translate
from tests.support.msgfmt_cases import msgfmt_counts

FR = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Language: fr\\n"
"Plural-Forms: nplurals=2; plural=(n > 1);\\n"

msgid "Notes"
msgstr "Notes"

#, python-brace-format
msgid "Signed in as {user}"
msgstr "Connecté en tant que {user}"

#, fuzzy, python-format
msgid "%(count)d note saved"
msgid_plural "%(count)d notes saved"
msgstr[0] "%(count)d note"
msgstr[1] "%(count)d notes"
"""


def newest(s, msgid: str, locale: str) -> Translation:
    return s.scalars(
        select(Translation)
        .join(SegmentRow, SegmentRow.id == Translation.segment_id)
        .where(SegmentRow.msgid == msgid, SegmentRow.obsolete.is_(False))
        .where(Translation.locale == locale)
        .order_by(Translation.n.desc())
    ).first()


@pytest.fixture
def reviewed_project(demo_project, Session, db_url):
    """The demo with every kind of entry: fr has approved human work, unreviewed (fuzzy)
    human work, a machine text approved by a reviewer, one rejected, and an approved text
    whose msgid was then reworded (stale: fuzzy with #|); the rest is machine output."""
    fr = demo_project / "locale/fr/LC_MESSAGES/messages.po"
    fr.parent.mkdir(parents=True)
    fr.write_text(FR, encoding="utf-8")
    config = config_for(demo_project, db_url)
    sync(Session, config)
    translate(Session, config)
    with Session() as s, s.begin():
        repo.transition(s, newest(s, "Settings", "fr"), State.APPROVED)
        repo.transition(s, newest(s, "Save changes?", "fr"), State.REJECTED)
        repo.transition(s, newest(s, "Save changes?", "ru"), State.REJECTED)
    pot = demo_project / "locale/messages.pot"
    pot.write_text(pot.read_text().replace('"Signed in as {user}"', '"Logged in as {user}"'))
    sync(Session, config)
    return demo_project


@pytest.mark.parametrize("policy", ["fuzzy", "omit"])
def test_counts_match_msgfmt_statistics_on_the_exported_files(
    reviewed_project, Session, db_url, msgfmt, policy
):
    toml = reviewed_project / "locflow.toml"
    toml.write_text(toml.read_text().replace('machine = "fuzzy"', f'machine = "{policy}"'))
    config = config_for(reviewed_project, db_url)
    with Session() as s:
        project = repo.find_project(s, config.project)
        before = catalogue_stats(s, project.id, config, list(config.locales))
    export(Session, config)
    assert len(before) == len(config.locales)
    for row in before:
        on_disk = msgfmt_counts(msgfmt, reviewed_project / row.path)
        assert on_disk == (row.translated, row.fuzzy, row.untranslated), row
    fr = next(r for r in before if r.locale == "fr")
    ru = next(r for r in before if r.locale == "ru")
    assert fr.translated == 2  # "Notes" (human) and "Settings" (approved machine)
    if policy == "fuzzy":  # reworded, unreviewed human, machine output: all fuzzy
        assert fr.untranslated == 1  # the rejected "Save changes?"
        # ru: also the reworded msgid, whose old text was unreviewed machine output
        assert ru.untranslated == 2 and ru.translated == 0 and ru.fuzzy == ru.total - 2
    else:  # machine output left out; human work (stale or unreviewed) stays fuzzy
        assert fr.fuzzy == 2 and fr.untranslated == fr.total - 4
        assert ru.translated == ru.fuzzy == 0
    assert fr.percent(fr.translated) == round(100 * 2 / fr.total, 1)


def test_cli_prints_a_line_per_catalogue_and_json(reviewed_project, db_url):
    env = {"LOCFLOW_DATABASE_URL": db_url}
    done = run_cli("stats", "--catalogues", cwd=reviewed_project, env=env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 4
    assert re.fullmatch(
        r"locale/fr/LC_MESSAGES/messages\.po: 2 translated \(\d+\.\d %\), \d+ fuzzy "
        r"\(\d+\.\d %\), 1 untranslated \(\d+\.\d %\)",
        lines[0],
    ), lines[0]
    payload = json.loads(
        run_cli("stats", "--catalogues", "--json", cwd=reviewed_project, env=env).stdout
    )
    fr = payload["catalogues"][0]
    assert fr["template"] == "locale/messages.pot" and fr["locale"] == "fr"
    assert fr["translated"] + fr["fuzzy"] + fr["untranslated"] == fr["total"]
    assert set(fr["percent"]) == {"translated", "fuzzy", "untranslated"}


def test_nothing_synced_says_so(demo_project, tmp_path):
    env = {"LOCFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}
    done = run_cli("stats", "--catalogues", cwd=demo_project, env=env)
    assert done.returncode == 0, done.stderr
    assert "no catalogue synced yet" in done.stdout
