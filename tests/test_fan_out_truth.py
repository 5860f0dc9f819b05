"""Fan-out that checks itself (issue 12, case 2): the deployment carries the database URL
(never its password) to the workers, every child records its run in the parent's database
under the parent's run id, and a child that wrote nothing there fails the parent, naming
its locale, instead of being exported as if it had been translated."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from locflow.pipeline.fan_in import ChildRun, RecordedRun, fan_in
from locflow.settings import load_config
from tests.support.env import run_cli
from tests.support.pg import throwaway_database
from tests.support.workers import Workers, pool_runs

HINT = "is LOCFLOW_DATABASE_URL set on the worker?"
PG_USER_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/locflow"


# --- the parent's check, pure --------------------------------------------------------------


def test_a_completed_child_without_a_runs_row_fails_the_parent_naming_its_locale() -> None:
    children = [ChildRun("fr", "1", "Completed"), ChildRun("ja", "2", "Completed")]
    recorded = {"1": RecordedRun("completed", "", {"locales": {"fr": {"machine": 3}}})}
    out = fan_in(children, recorded)
    assert out.status == "failed"
    assert out.message == f"fan-out: locale ja: its run wrote nothing to this database ({HINT})"
    assert out.unreported == ["ja"]
    assert sorted(out.locales) == ["fr"]


def test_failed_and_silent_children_are_both_named() -> None:
    children = [
        ChildRun("ru", "1", "Failed", completed=False, state_message="boom"),
        ChildRun("ja", "2", "Completed"),
        ChildRun("de", "3", "Completed"),
    ]
    out = fan_in(children, {"3": RecordedRun("completed", "", {})})
    assert out.status == "failed"
    assert out.message == (
        "fan-out runs failed: ru (Failed: boom); "
        f"fan-out: locale ja: its run wrote nothing to this database ({HINT})"
    )
    assert out.unreported == ["ru", "ja"]  # nothing of theirs is in this database


# --- the database URL: the password stays with the worker ----------------------------------


def test_the_deployed_url_has_no_password_and_the_worker_supplies_it(tmp_path: Path) -> None:
    from locflow.database_url import with_password, without_password

    full = "postgresql+psycopg://loc:s3cr%40t@db.example:5432/locflow"
    assert without_password(full) == "postgresql+psycopg://loc@db.example:5432/locflow"
    assert with_password(without_password(full), "s3cr@t") == full
    assert with_password(full, "other") == full  # a password in the URL wins
    sqlite = f"sqlite:///{tmp_path / 'x.db'}"
    assert without_password(sqlite) == with_password(sqlite, "pw") == sqlite

    toml = tmp_path / "locflow.toml"
    toml.write_text('[project]\nname = "p"\nlocales = ["fr"]\n')
    env = {"LOCFLOW_DATABASE_URL": PG_USER_URL, "LOCFLOW_DATABASE_PASSWORD": "p@ss/word"}
    url = load_config(toml, env=env).database_url
    assert url == "postgresql+psycopg://postgres:p%40ss%2Fword@127.0.0.1:5432/locflow"
    assert load_config(toml, env={"LOCFLOW_DATABASE_URL": PG_USER_URL}).database_url == (
        PG_USER_URL
    )


def test_deploy_puts_the_database_url_in_the_job_variables_without_its_password(
    prefect_api: str, demo_project: Path
) -> None:
    from prefect.client.orchestration import get_client

    from locflow.flows.scale import deploy_to_pool

    secret = f"pw{uuid.uuid4().hex[:8]}"
    full = f"postgresql+psycopg://postgres:{secret}@127.0.0.1:5432/locflow"
    config = load_config(demo_project / "locflow.toml", env={"LOCFLOW_DATABASE_URL": full})
    assert secret in config.database_url
    made = deploy_to_pool(config, f"locflow-test-{uuid.uuid4().hex[:8]}", "no-secrets")
    with get_client(sync_client=True) as client:
        deployments = [client.read_deployment(uuid.UUID(i)) for i in made.values()]
    for d in deployments:
        assert d.job_variables == {
            "env": {"LOCFLOW_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:5432/locflow"}
        }
        assert secret not in d.model_dump_json()  # job variables, parameters, everything


# --- the parent reads its children's rows from its own database ----------------------------


def test_the_parent_accepts_only_rows_its_children_wrote_for_it(
    demo_project: Path, tmp_path: Path
) -> None:
    from prefect.states import Completed

    from locflow.db import repo, run_repo
    from locflow.flows.scale import summarise
    from locflow.pipeline.units import sessions, start_run

    config = load_config(
        demo_project / "locflow.toml",
        env={"LOCFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'parent.db'}"},
    )
    parent = start_run(config, "localise", "parent-flow-run")
    other = start_run(config, "localise", "another-parent")
    ids = {uuid.uuid4(): loc for loc in ("fr", "ru", "de")}
    with sessions(config.database_url)() as s, s.begin():
        project = repo.get_or_create_project(s, config.project, config.source_locale)
        for run_id, locale in ids.items():
            owner = {"fr": parent, "ru": other}.get(locale)
            if owner is None:
                continue  # de wrote nowhere this parent can see
            row = run_repo.start_run(s, project, "localise", str(run_id), parent_id=owner)
            run_repo.finish_run(s, row.id, "completed", {"locales": {locale: {}}}, "")
    finals = {i: SimpleNamespace(state=Completed()) for i in ids}
    out = summarise(config, ids, finals, parent)
    assert out.status == "failed"
    assert out.unreported == ["ru", "de"]  # ru's row names another parent
    assert "locale ru: its run wrote nothing" in (out.message or "")
    assert "locale de: its run wrote nothing" in (out.message or "")
    assert sorted(out.locales) == ["fr"]


# --- on a real work pool -------------------------------------------------------------------


@pytest.fixture
def own_pg(pg_admin_url: str) -> Iterator[str]:
    with throwaway_database(pg_admin_url, "locflow_fanout_truth") as url:
        yield url


def _project(demo_project: Path) -> tuple[Path, str]:
    """The demo under a project name of its own (its deployment is `localise/<name>`)."""
    name = f"truth{uuid.uuid4().hex[:8]}"
    toml = demo_project / "locflow.toml"
    toml.write_text(toml.read_text().replace('name = "demo"', f'name = "{name}"'))
    return toml, name


def _worker_env(prefect_api: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCFLOW_DATABASE")}
    env.update(PREFECT_API_URL=prefect_api, PREFECT_WORKER_QUERY_SECONDS="1", **extra)
    env["PREFECT_LOGGING_LEVEL"] = "INFO"
    return env


def _rows(url: str, project_name: str) -> list[Any]:
    from sqlalchemy import select

    from locflow.db import repo
    from locflow.db.models import Run
    from locflow.db.session import open_database

    Session = open_database(url)
    with Session() as s:
        project = repo.find_project(s, project_name)
        assert project is not None
        rows = [
            SimpleNamespace(id=r.id, flow_run_id=r.flow_run_id, parent_id=r.parent_id,
                            status=r.status, message=r.message)
            for r in s.scalars(select(Run).where(Run.project_id == project.id).order_by(Run.id))
        ]  # fmt: skip
    Session.kw["bind"].dispose()
    return rows


def _untranslated(url: str, project_name: str, locale: str) -> int:
    from locflow.db import repo, run_repo
    from locflow.db.session import open_database

    Session = open_database(url)
    with Session() as s:
        project = repo.find_project(s, project_name)
        assert project is not None
        total = run_repo.live_segment_count(s, project.id)
        done = sum(run_repo.state_counts(s, project.id).get(locale, {}).values())
    Session.kw["bind"].dispose()
    return total - done


def _run_count(url: str) -> int:
    """Runs recorded in `url` (0 when it has no tables yet)."""
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(url)
    try:
        if "runs" not in inspect(engine).get_table_names():
            return 0
        with engine.connect() as c:
            return int(c.execute(text("select count(*) from runs")).scalar_one())
    finally:
        engine.dispose()


def _flow_run_state(flow_run_id: str) -> Any:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(uuid.UUID(flow_run_id)).state


@pytest.mark.slow
def test_a_child_that_wrote_to_another_database_fails_the_parent_naming_its_locale(
    prefect_api: str,
    own_pg: str,
    demo_project: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The measured case: a deployment that does not carry the URL (made by hand, or by
    locflow before it did), and a worker started without LOCFLOW_DATABASE_URL: its child
    ran against the project's default SQLite file, and the parent said `Completed`. Now the
    child finds no parent run in its database and stops; the parent fails, naming it."""
    from prefect import Flow

    from locflow.flows.localise import localise
    from locflow.flows.scale import FanOutFailed, ensure_process_pool

    toml, name = _project(demo_project)
    pool = f"locflow-test-{uuid.uuid4().hex[:8]}"
    ensure_process_pool(pool)
    Flow.from_source(source=str(demo_project), entrypoint="locflow.flows.localise.localise").deploy(
        name=name, work_pool_name=pool, build=False, push=False, print_next_steps=False
    )
    monkeypatch.setenv("LOCFLOW_DATABASE_URL", own_pg)
    with Workers(tmp_path) as start:
        log = start(pool, "worker-without-url", _worker_env(prefect_api))
        with pytest.raises(FanOutFailed) as failed:
            localise(str(toml), ["ar"], fan_out=True)
    message = str(failed.value)
    worker_log = log.read_text(errors="replace")[-3000:]
    # the child found no parent run in its database and stopped before translating
    assert message.startswith("fan-out runs failed: ar (Failed: "), worker_log
    assert "the parent run is not in this database" in message and HINT in message
    parent, *others = _rows(own_pg, name)
    assert others == []  # nothing of the child in the parent's database
    assert _run_count(f"sqlite:///{demo_project / '.locflow' / 'locflow.db'}") == 0
    assert (parent.status, parent.message) == ("failed", message)
    assert _flow_run_state(parent.flow_run_id).is_failed()
    ar = demo_project / "locale" / "ar" / "LC_MESSAGES" / "messages.po"
    assert not ar.exists()  # not exported as if translated


@pytest.mark.slow
def test_a_worker_without_the_url_writes_where_the_deployment_says(
    prefect_api: str,
    own_pg: str,
    demo_project: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`locflow deploy` puts the URL, without its password, in the deployment: a worker that
    knows only the password (LOCFLOW_DATABASE_PASSWORD) writes to the parent's database."""
    from locflow.flows.localise import localise

    toml, name = _project(demo_project)
    pool = f"locflow-test-{uuid.uuid4().hex[:8]}"
    with_pw = own_pg.replace("postgres@", "postgres:s3cret@")  # trust auth: any password
    deployed = run_cli(
        "deploy", "--pool", pool, "--config", str(toml), "--json", cwd=demo_project,
        env={"LOCFLOW_DATABASE_URL": with_pw}, timeout=120,
    )  # fmt: skip
    assert deployed.returncode == 0, deployed.stderr
    assert "s3cret" not in deployed.stdout + deployed.stderr
    made = json.loads(deployed.stdout)
    assert made["deployments"] and made["database_url"] == own_pg
    monkeypatch.setenv("LOCFLOW_DATABASE_URL", with_pw)
    with Workers(tmp_path) as start:
        env = _worker_env(prefect_api, LOCFLOW_DATABASE_PASSWORD="s3cret")
        log = start(pool, "worker-with-password-only", env)
        result = localise(str(toml), ["ar"], fan_out=True)
        (child,) = [r for r in pool_runs(pool) if r.name == "localise-ar"]
    assert result.status == "completed", log.read_text(errors="replace")[-3000:]
    parent, child_row = _rows(own_pg, name)
    assert (child_row.flow_run_id, child_row.parent_id) == (str(child.id), parent.id)
    assert parent.status == "completed"
    assert result.locales["ar"].counts.machine > 0
    assert not (demo_project / ".locflow" / "locflow.db").exists()
    assert (demo_project / "locale" / "ar" / "LC_MESSAGES" / "messages.po").exists()
    assert _untranslated(own_pg, name, "ar") == 0
