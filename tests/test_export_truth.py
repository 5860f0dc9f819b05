"""Export tells the truth (issue 12, cases 5 and 6): a file-system failure stops the whole
export and leaves files and database as they were; a template that changed since the last
sync is caught by `export --check` and refused by `export`/publish.

How a write is made to fail: the suite runs as root, and a read-only directory does not stop
root. The measured case (a read-only locale directory) runs the CLI as an unprivileged user
through `setpriv` where that is possible. Otherwise what stops root is a path that cannot be
a file: a directory standing where the last locale's .mo goes, or a regular file standing
where a locale's directory goes. (A rename that fails after others succeeded, whose undo
these cannot reach as root, is pinned in tests/test_po.py.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import select

from locflow.connectors.po import read_po
from locflow.db import repo
from locflow.db.models import CatalogFile, SegmentRow
from locflow.db.states import State
from locflow.pipeline.export_check import TemplateDrift
from tests.support.env import run_cli
from tests.support.helpers import config_for, export, sync, translate
from tests.support.po_cases import LATIN9_FR

NEW_MSGID = 'msgid "Export everything"\nmsgstr ""\n'


def po_path(project, locale):
    return project / "locale" / locale / "LC_MESSAGES" / "messages.po"


def add_msgid(project):
    pot = project / "locale" / "messages.pot"
    pot.write_text(pot.read_text(encoding="utf-8") + "\n" + NEW_MSGID, encoding="utf-8")


def new_creation_date(project):
    pot = project / "locale" / "messages.pot"
    text = pot.read_text(encoding="utf-8")
    pot.write_text(text.replace("2026-11-01 12:00+0000", "2026-12-06 08:30+0000"))


def snapshot(project):
    return {
        p.relative_to(project): p.read_bytes()
        for p in (project / "locale").rglob("*")
        if p.is_file()
    }


def recorded(Session):
    with Session() as s:
        return {
            (r.source_id, r.locale): (r.content_hash, r.export_key, r.export_counts)
            for r in s.scalars(select(CatalogFile))
        }


@pytest.fixture
def exported(demo_project, Session, db_url):
    """Every locale exported once, then a msgid added and synced: every catalogue would
    change at the next export."""
    config = config_for(demo_project, db_url)
    sync(Session, config)
    translate(Session, config)
    export(Session, config)
    add_msgid(demo_project)
    sync(Session, config)
    return config


def test_a_target_that_cannot_be_written_stops_every_catalogue(exported, demo_project, Session):
    de_mo = po_path(demo_project, "de").with_suffix(".mo")
    de_mo.unlink()
    de_mo.mkdir()  # the last locale's .mo cannot be replaced
    files, rows = snapshot(demo_project), recorded(Session)
    with pytest.raises(OSError) as failed:
        export(Session, exported)
    assert failed.value.filename == str(de_mo)  # the real target, not a temporary file
    assert ".tmp" not in str(failed.value)
    assert snapshot(demo_project) == files  # fr, ru, ar and de untouched
    assert recorded(Session) == rows  # nothing recorded as exported
    assert not [p for p in demo_project.rglob("*.tmp")]
    de_mo.rmdir()
    done = export(Session, exported)  # never "changed on disk since the last sync"
    assert {f.locale for f in done if f.written} == {"fr", "ru", "ar", "de"}
    assert b"Export everything" in po_path(demo_project, "de").read_bytes()
    assert de_mo.is_file()


def test_a_failed_preparation_writes_nothing(demo_project, Session, db_url):
    config = config_for(demo_project, db_url, LOCFLOW_LOCALES="fr,ru")
    sync(Session, config)
    translate(Session, config)
    export(Session, config)
    add_msgid(demo_project)
    (demo_project / "locale" / "ar").write_text("not a directory")
    everything = config_for(demo_project, config.database_url)
    sync(Session, everything)
    files, rows = snapshot(demo_project), recorded(Session)
    with pytest.raises(OSError) as failed:
        export(Session, everything)
    assert failed.value.filename == str(po_path(demo_project, "ar"))
    assert snapshot(demo_project) == files and recorded(Session) == rows
    (demo_project / "locale" / "ar").unlink()
    done = export(Session, everything)
    assert {f.locale for f in done if f.written} == {"fr", "ru", "ar", "de"}


def test_template_drift_is_seen_without_sync(demo_project, Session, db_url):
    config = config_for(demo_project, db_url)
    sync(Session, config)
    translate(Session, config)
    export(Session, config)
    new_creation_date(demo_project)  # a new POT-Creation-Date alone is no change
    assert not any(f.changed for f in export(Session, config, dry_run=True))
    assert not any(f.written for f in export(Session, config))
    add_msgid(demo_project)
    files, rows = snapshot(demo_project), recorded(Session)
    checked = export(Session, config, dry_run=True)
    assert all(f.changed for f in checked) and len(checked) == 4
    assert all(any("template drift" in r for r in f.reasons) for f in checked)
    assert all("Export everything" in " ".join(f.entries) for f in checked)
    with pytest.raises(TemplateDrift, match=r"locale/messages\.pot"):
        export(Session, config)
    assert snapshot(demo_project) == files and recorded(Session) == rows
    sync(Session, config)
    checked = export(Session, config, dry_run=True)
    assert all(f.changed and not any("drift" in r for r in f.reasons) for f in checked)


@pytest.fixture
def cli_env(prefect_server, tmp_path):
    return {
        "PREFECT_API_URL": prefect_server,
        "LOCFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
    }


def last_line(done):
    return done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""


@pytest.mark.slow
def test_cli_export_fails_whole_then_succeeds(demo_project, cli_env):
    assert run_cli("run", cwd=demo_project, env=cli_env).returncode == 0
    add_msgid(demo_project)
    assert run_cli("sync", cwd=demo_project, env=cli_env).returncode == 0
    de_mo = po_path(demo_project, "de").with_suffix(".mo")
    de_mo.unlink()
    de_mo.mkdir()
    files = snapshot(demo_project)
    failed = run_cli("export", cwd=demo_project, env=cli_env)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert last_line(failed).startswith("locflow: error: ")
    assert str(de_mo) in last_line(failed) and ".tmp" not in last_line(failed)
    assert snapshot(demo_project) == files
    check = run_cli("export", "--check", cwd=demo_project, env=cli_env)
    assert check.returncode == 3 and "4 of 4 catalogues would change" in check.stdout
    assert "edited on disk" not in check.stdout
    de_mo.rmdir()
    done = run_cli("export", cwd=demo_project, env=cli_env)
    assert done.returncode == 0, done.stderr
    assert "4 of 4 catalogues written" in done.stdout
    again = run_cli("export", "--check", cwd=demo_project, env=cli_env)
    assert again.returncode == 0 and "0 of 4 catalogues would change" in again.stdout


@pytest.mark.slow
def test_cli_check_and_export_see_template_drift(demo_project, cli_env):
    assert run_cli("run", cwd=demo_project, env=cli_env).returncode == 0
    add_msgid(demo_project)
    check = run_cli("export", "--check", cwd=demo_project, env=cli_env)
    assert check.returncode == 3, check.stdout + check.stderr
    assert "4 of 4 catalogues would change" in check.stdout
    assert "would change: locale/fr/LC_MESSAGES/messages.po (template drift" in check.stdout
    assert "Export everything" not in check.stdout
    verbose = run_cli("export", "--check", "-v", "-l", "fr", cwd=demo_project, env=cli_env)
    assert verbose.returncode == 3 and "Export everything" in verbose.stdout
    files = snapshot(demo_project)
    refused = run_cli("export", cwd=demo_project, env=cli_env)
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert last_line(refused).startswith("locflow: error: ")
    assert "locale/messages.pot" in last_line(refused)
    assert snapshot(demo_project) == files
    assert run_cli("sync", cwd=demo_project, env=cli_env).returncode == 0
    synced = run_cli("export", "--check", cwd=demo_project, env=cli_env)
    assert synced.returncode == 3 and "template drift" not in synced.stdout
    assert run_cli("export", cwd=demo_project, env=cli_env).returncode == 0
    fr = po_path(demo_project, "fr")
    fr.write_bytes(fr.read_bytes().replace(b'msgid "Export everything"', b'msgid "X"', 1))
    edited = run_cli("export", "--check", "-l", "fr", cwd=demo_project, env=cli_env)
    assert edited.returncode == 3 and "edited on disk" in edited.stdout


NOBODY = 65534
as_plain_user = pytest.mark.skipif(
    os.getuid() != 0 or shutil.which("setpriv") is None,
    reason="needs root and setpriv to run the CLI as an unprivileged user",
)


def run_as_nobody(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).parent / "locflow"
    user = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    return subprocess.run(
        [*user, str(exe), *args],
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1", **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
@as_plain_user
def test_cli_read_only_locale_directory_then_fixed(demo_project, prefect_server):
    """The measured case 5, as a user who cannot write to a read-only directory."""
    home = Path(tempfile.mkdtemp(prefix="locflow-ro-"))  # pytest's tmp is root-only
    try:
        project = Path(shutil.copytree(demo_project, home / "demo"))
        env = {
            "PREFECT_API_URL": prefect_server,
            "LOCFLOW_DATABASE_URL": f"sqlite:///{home / 'cli.db'}",
            "HOME": str(home),
            "PREFECT_HOME": str(home / ".prefect"),
        }
        assert run_cli("run", cwd=project, env=env).returncode == 0
        add_msgid(project)
        assert run_cli("sync", cwd=project, env=env).returncode == 0
        for path in [home, *home.rglob("*")]:
            os.chown(path, NOBODY, NOBODY)
        de_dir = po_path(project, "de").parent
        de_dir.chmod(0o555)
        files = snapshot(project)
        failed = run_as_nobody("export", cwd=project, env=env)
        assert failed.returncode == 1, failed.stdout + failed.stderr
        assert last_line(failed).startswith("locflow: error: ")
        assert str(po_path(project, "de")) in last_line(failed)
        assert ".tmp" not in last_line(failed)
        assert snapshot(project) == files  # fr, ru and ar were not written either
        de_dir.chmod(0o755)
        done = run_as_nobody("export", cwd=project, env=env)
        assert done.returncode == 0, done.stderr  # never "changed on disk"
        assert "4 of 4 catalogues written" in done.stdout
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_text_the_charset_cannot_hold_is_decided_per_entry(demo_project, Session, db_url):
    """A catalogue in ISO-8859-15 cannot hold the pseudo engine's ŕ, ɱ…: those entries keep
    their previous text or are left out, each reported; the rest of the catalogue, the other
    catalogues and the imported human text are exported as usual."""
    fr = po_path(demo_project, "fr")
    fr.parent.mkdir(parents=True)
    fr.write_bytes(LATIN9_FR.encode("iso-8859-15"))
    config = config_for(demo_project, db_url)
    sync(Session, config)
    translate(Session, config)
    with Session() as s, s.begin():
        row = s.scalar(select(SegmentRow).where(SegmentRow.msgid == " (default)"))
        repo.add_version(
            s,
            repo.NewVersion(
                segment_id=row.id, locale="fr", forms=(" (défaut ţ)",),
                state=State.APPROVED, origin="human", source_hash=row.source_hash,
                author="reviewer",
            ),
        )  # fmt: skip
    files = {f.locale: f for f in export(Session, config)}
    assert {loc for loc, f in files.items() if f.written} == {"fr", "ru", "ar", "de"}
    out = read_po(fr)
    by_id = {e.segment.msgid: e for e in out.entries}
    assert by_id["Settings"].forms == ("Paramètres",)  # imported human text, untouched
    assert by_id[" (default)"].forms == (" (par défaut)",)  # kept its previous text
    assert by_id["Notes"].forms == ("",)  # pseudo text with ĺ/ŕ: left out
    notes = " ".join(files["fr"].demoted)
    assert "' (default)' kept its previous text" in notes and "'Notes' omitted" in notes
    assert "charset ISO8859-15 cannot hold" in notes  # gettext's name for it
    assert not files["de"].demoted and all(
        e.forms[0] for e in read_po(po_path(demo_project, "de")).entries
    )


@pytest.mark.slow
def test_cli_export_reports_each_demoted_entry(demo_project, cli_env):
    fr = po_path(demo_project, "fr")
    fr.parent.mkdir(parents=True)
    fr.write_bytes(LATIN9_FR.encode("iso-8859-15"))
    done = run_cli("run", "-l", "fr,de", cwd=demo_project, env=cli_env)
    assert done.returncode == 5, done.stderr  # finished, but entries were demoted
    assert "messages.po' cannot be written" not in done.stderr
    assert read_po(fr).entries and po_path(demo_project, "de").exists()
    fr.write_bytes(LATIN9_FR.encode("iso-8859-15"))  # back to the human text only
    assert run_cli("sync", "-l", "fr", cwd=demo_project, env=cli_env).returncode == 0
    again = run_cli("export", "-l", "fr", cwd=demo_project, env=cli_env)
    assert again.returncode == 5, again.stderr
    assert "locale/fr/LC_MESSAGES/messages.po: 'Notes' omitted: charset ISO8859-15" in again.stdout
