"""Run records that end (issue 12, case 3): every `runs` row ends as completed, partial,
stopped, failed, interrupted or crashed, with a one-line reason; a run whose process died is
found through its heartbeat by the next command that looks; `stats` shows a fan-out's parent.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from locflow.db import repo, run_repo
from locflow.db.base import utcnow
from locflow.db.models import Run
from locflow.db.session import open_database
from locflow.pipeline import heartbeat, units
from locflow.pipeline.summary import CRASHED, INTERRUPTED
from tests.support.env import run_cli
from tests.support.helpers import config_for


@pytest.fixture
def cli_env(prefect_server, tmp_path):
    return {
        "PREFECT_API_URL": prefect_server,
        "LOCFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
    }


def rows(db_url: str) -> list[Run]:
    with open_database(db_url)() as s:
        return list(s.scalars(select(Run).order_by(Run.id)))


# --- the measured cases, through the CLI -------------------------------------------------------


@pytest.mark.slow
def test_a_missing_template_ends_the_run_failed_with_the_reason(demo_project, cli_env):
    assert run_cli("sync", cwd=demo_project, env=cli_env).returncode == 0
    (demo_project / "locale" / "messages.pot").unlink()
    done = run_cli("run", "-l", "fr", cwd=demo_project, env=cli_env)
    assert done.returncode == 1, done.stderr
    (run,) = rows(cli_env["LOCFLOW_DATABASE_URL"])
    assert run.status == "failed"
    assert "messages.pot" in run.message and "\n" not in run.message
    assert run.finished_at is not None


@pytest.mark.slow
def test_an_export_io_error_ends_the_run_failed(demo_project, cli_env):
    """A directory stands where de's .mo goes: nothing is exported, the run failed."""
    de_mo = demo_project / "locale" / "de" / "LC_MESSAGES" / "messages.mo"
    de_mo.mkdir(parents=True)
    done = run_cli("run", cwd=demo_project, env=cli_env)
    assert done.returncode == 1, done.stdout + done.stderr
    (run,) = rows(cli_env["LOCFLOW_DATABASE_URL"])
    assert run.status == "failed", run.message
    assert str(de_mo) in run.message and "\n" not in run.message
    stats = json.loads(run_cli("stats", "--json", cwd=demo_project, env=cli_env).stdout)
    assert stats["runs"][0]["status"] == "failed"


# --- heartbeat and crashed runs -----------------------------------------------------------------


def _running_row(db_url: str, beat_age: timedelta | None, **kw: object) -> int:
    with open_database(db_url)() as s, s.begin():
        project = repo.get_or_create_project(s, "demo", "en")
        run = run_repo.start_run(s, project, "localise", **kw)  # type: ignore[arg-type]
        if beat_age is not None:
            run.heartbeat_at = utcnow() - beat_age
            run.started_at = utcnow() - beat_age
        return run.id


def test_a_run_whose_heartbeat_stopped_is_marked_crashed_by_the_next_stats(demo_project, cli_env):
    db_url = cli_env["LOCFLOW_DATABASE_URL"]
    assert run_cli("sync", cwd=demo_project, env=cli_env).returncode == 0
    dead = _running_row(db_url, timedelta(hours=1))
    alive = _running_row(db_url, timedelta(seconds=1))
    done = run_cli("stats", "--json", cwd=demo_project, env=cli_env)
    assert done.returncode == 0, done.stderr
    by_id = {r.id: r for r in rows(db_url)}
    assert by_id[dead].status == CRASHED
    assert "heartbeat" in by_id[dead].message and by_id[dead].finished_at is not None
    assert by_id[alive].status == "running"
    listed = {r["id"]: r for r in json.loads(done.stdout)["runs"]}
    assert listed[dead]["status"] == CRASHED
    assert listed[alive]["heartbeat_at"] is not None and listed[alive]["parent_id"] is None


def test_the_start_of_a_run_marks_stale_runs_crashed(demo_project, db_url):
    config = config_for(demo_project, db_url)
    old = _running_row(db_url, timedelta(hours=2))
    new = units.start_run(config, "localise", "")
    units.finish_run(config, new, "completed", {}, None)
    by_id = {r.id: r for r in rows(db_url)}
    assert by_id[old].status == CRASHED
    assert by_id[new].status == "completed"


def test_a_live_run_keeps_its_heartbeat_fresh(demo_project, db_url, monkeypatch):
    monkeypatch.setenv("LOCFLOW_HEARTBEAT_SECONDS", "0.1")
    config = config_for(demo_project, db_url)
    run_id = units.start_run(config, "localise", "")
    try:
        first = rows(db_url)[-1].heartbeat_at
        assert first is not None
        assert run_id in heartbeat.live_runs()
        deadline = time.monotonic() + 60
        while rows(db_url)[-1].heartbeat_at == first:
            assert time.monotonic() < deadline, "the heartbeat never moved"
            time.sleep(0.05)
    finally:
        units.finish_run(config, run_id, "completed", {}, None)
    assert run_id not in heartbeat.live_runs()


def test_a_beat_revives_a_run_marked_crashed_while_it_lived(demo_project, db_url):
    """A run whose beats were late (a long transaction, a suspended machine) is running
    again as soon as its heartbeat comes back."""
    run_id = _running_row(db_url, timedelta(hours=1))
    with open_database(db_url)() as s, s.begin():
        project = repo.get_or_create_project(s, "demo", "en")
        assert run_repo.mark_crashed(s, project.id, utcnow(), timedelta(minutes=2)) == [run_id]
    with open_database(db_url)() as s, s.begin():
        run_repo.beat(s, [run_id], utcnow())
    (row,) = rows(db_url)
    assert (row.status, row.message, row.finished_at) == ("running", "", None)


def test_a_run_interrupted_in_this_process_is_recorded_by_the_fallback(demo_project, db_url):
    """What the CLI's signal watchdog does when the flow cannot finish its own row."""
    config = config_for(demo_project, db_url)
    run_id = units.start_run(config, "localise", "")
    assert run_id in heartbeat.end_live_runs(INTERRUPTED, "interrupted by SIGTERM")
    (row,) = rows(db_url)
    assert (row.status, row.message) == (INTERRUPTED, "interrupted by SIGTERM")
    assert run_id not in heartbeat.live_runs()


# --- stats and fan-out parents ------------------------------------------------------------------


def test_stats_shows_the_fan_out_parent_not_a_child(demo_project, cli_env):
    db_url = cli_env["LOCFLOW_DATABASE_URL"]
    assert run_cli("sync", cwd=demo_project, env=cli_env).returncode == 0
    with open_database(db_url)() as s, s.begin():
        project = repo.get_or_create_project(s, "demo", "en")
        parent = run_repo.start_run(s, project, "localise", "p")
        children = [
            run_repo.start_run(s, project, "localise", f"c{i}", parent_id=parent.id)
            for i in range(3)
        ]
        for child, status in zip(children, ("completed", "completed", "failed"), strict=True):
            run_repo.finish_run(s, child.id, status, {}, "")
        run_repo.finish_run(s, parent.id, "failed", {}, "fan-out runs failed: de")
        parent_id = parent.id
    done = run_cli("stats", cwd=demo_project, env=cli_env)
    assert done.returncode == 0, done.stderr
    last = [line for line in done.stdout.splitlines() if line.startswith("last run")]
    assert last and last[0].startswith(f"last run #{parent_id} failed"), done.stdout
    assert "3 child runs (2 completed, 1 failed)" in last[0]
    assert "fan-out runs failed: de" in last[0]
    data = json.loads(run_cli("stats", "--json", cwd=demo_project, env=cli_env).stdout)
    top = data["runs"][0]
    assert top["id"] == parent_id and top["parent_id"] is None
    assert [c["parent_id"] for c in top["children"]] == [parent_id] * 3
    assert all(r["parent_id"] is None for r in data["runs"])
