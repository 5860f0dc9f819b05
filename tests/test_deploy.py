"""Schedules: `locflow serve` registers deployments on a real Prefect server, and a
`run_deployment` of each one completes (instead of waiting for cron)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from locflow.settings import ConfigError, load_config
from tests.support.env import run_cli

SCHEDULES = """
[[schedules]]
name = "nightly"
flow = "localise"
cron = "0 2 * * *"
parameters = { locales = ["de"] }

[[schedules]]
name = "publish-hourly"
flow = "publish"
cron = "5 * * * *"
timezone = "Europe/Berlin"
"""


def test_schedules_are_validated_when_the_config_loads(demo_project):
    toml = demo_project / "locflow.toml"
    toml.write_text(toml.read_text() + SCHEDULES)
    specs = load_config(toml, env={}).schedules
    assert [(s.name, s.flow, s.cron, s.timezone) for s in specs] == [
        ("nightly", "localise", "0 2 * * *", "UTC"),
        ("publish-hourly", "publish", "5 * * * *", "Europe/Berlin"),
    ]
    for bad, message in [
        ('[[schedules]]\nflow = "nope"\ncron = "0 2 * * *"\n', "unknown flow 'nope'"),
        ('[[schedules]]\ncron = "every day"\n', "cron must be"),
        ('[[schedules]]\ncron = "0 2 * * *"\nwhen = 1\n', "unknown key 'when'"),
    ]:
        toml.write_text(toml.read_text().split("[[schedules]]")[0] + bad)
        with pytest.raises(ConfigError, match=message):
            load_config(toml, env={})


def test_serve_refuses_to_start_without_a_prefect_server(demo_project, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")  # no profile with an API URL
    toml = demo_project / "locflow.toml"
    toml.write_text(toml.read_text() + SCHEDULES)
    done = subprocess.run(
        [str(Path(sys.executable).parent / "locflow"), "serve"],
        cwd=demo_project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "needs a Prefect server" in done.stderr and "PREFECT_API_URL" in done.stderr


@pytest.mark.slow
def test_served_deployments_run_on_demand(demo_project, prefect_api, tmp_path):
    from prefect.deployments import run_deployment

    toml = demo_project / "locflow.toml"
    toml.write_text(toml.read_text() + SCHEDULES)
    env = {
        **os.environ,
        "PREFECT_API_URL": prefect_api,
        "NO_COLOR": "1",
        "LOCFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}",
    }
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "locflow"), "serve"],
        cwd=demo_project,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_for_deployments(["localise/nightly", "publish/publish-hourly"], proc)
        run = run_deployment("localise/nightly", timeout=180)
        assert run.state.is_completed(), (tmp_path / "serve.log").read_text()[-2000:]
        assert (demo_project / "locale" / "de" / "LC_MESSAGES" / "messages.po").exists()
        assert not (demo_project / "locale" / "fr").exists()  # the schedule's parameters held
        published = run_deployment("publish/publish-hourly", timeout=180)
        assert published.state.is_completed()
        assert (demo_project / "locale" / "fr" / "LC_MESSAGES" / "messages.po").exists()
        stats = run_cli("stats", "--json", cwd=demo_project, env=env)
        assert '"status": "completed"' in stats.stdout
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()


def _wait_for_deployments(names: list[str], proc: subprocess.Popen, timeout: float = 120) -> None:
    from prefect.client.orchestration import get_client

    async def present() -> bool:
        async with get_client() as client:
            for name in names:
                try:
                    await client.read_deployment_by_name(name)
                except Exception:
                    return False
        return True

    deadline = time.monotonic() + timeout
    while not asyncio.run(present()):
        assert proc.poll() is None, "locflow serve exited early"
        assert time.monotonic() < deadline, f"deployments {names} never appeared"
        time.sleep(1)
