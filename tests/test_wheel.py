"""Packaging: a wheel built from the repository, installed into a fresh venv, works outside
the checkout: `locflow run` on the demo, and `locflow deploy` with a worker from that venv.
It claims one import name, `locflow`, and ships the data files (templates, migrations...).

Slow: building the wheel and installing its dependencies (from pip's cache) takes a minute or
two.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.env import ROOT

pytestmark = pytest.mark.slow

DATA_FOLDERS = ("review/templates", "review/static", "db/migrations", "glossaries/examples")
"""Checkout folders whose every file the wheel must ship (under `locflow/`)."""
MAPPED = ("catalog", "connectors", "glossaries", "db", "pipeline", "flows", "review", "cli")
NOT_SOURCE = shutil.ignore_patterns(
    ".venv", "build", ".git", "__pycache__", "*.pyc", "*.egg-info", ".hypothesis",
    ".pytest_cache", ".ruff_cache", ".locflow", "test-output",
)  # fmt: skip


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path

    def bin(self, name: str) -> str:
        return str(self.venv / "bin" / name)


def _run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
    assert done.returncode == 0, f"{args}: {done.stdout[-2000:]}{done.stderr[-4000:]}"
    return done


def _outside_env(**extra: str) -> dict[str, str]:
    """The environment of a user's shell: nothing that points at the checkout or its venv."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {**env, "NO_COLOR": "1", **extra}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel of a copy of the checkout (the build writes nothing into it), installed into
    a fresh venv."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    wheels = tmp / "dist"
    pip_wheel = [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-w", str(wheels)]
    _run(pip_wheel, timeout=600)
    (wheel,) = wheels.glob("locflow-*.whl")
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], timeout=120)
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], timeout=900)
    return Installed(wheel, venv)


def test_the_wheel_ships_every_data_file_under_the_one_name(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    tops = {n.split("/")[0] for n in names}
    assert tops == {"locflow", installed.wheel.name.split("-py3")[0] + ".dist-info"}
    for folder in DATA_FOLDERS:
        files = [
            p.relative_to(ROOT).as_posix()
            for p in (ROOT / folder).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        ]
        assert files, folder
        missing = [f for f in files if f"locflow/{f}" not in names]
        assert missing == [], f"left out of the wheel: {missing}"


def test_the_installed_wheel_claims_only_the_locflow_name(
    installed: Installed, tmp_path: Path
) -> None:
    probe = (
        "import importlib.util, json, locflow.catalog, locflow.cli.main\n"
        f"names = {list(MAPPED)!r}\n"
        "print(json.dumps({'catalog': locflow.catalog.__file__,\n"
        "    'importable': [n for n in names if importlib.util.find_spec(n) is not None]}))\n"
    )
    done = _run([installed.bin("python"), "-c", probe], cwd=tmp_path, env=_outside_env())
    found = json.loads(done.stdout)
    catalog = Path(found["catalog"]).resolve()
    assert catalog.is_relative_to(installed.venv.resolve())
    assert "site-packages" in catalog.parts
    assert not catalog.is_relative_to(ROOT)
    assert found["importable"] == []


def test_the_installed_wheel_runs_the_demo_and_its_deployments(
    installed: Installed, prefect_api: str, msgfmt: str, tmp_path: Path
) -> None:
    project = tmp_path / "demo"
    shutil.copytree(ROOT / "examples" / "demo", project)
    env = _outside_env(PREFECT_API_URL=prefect_api, LOCFLOW_ENGINE_NAME="pseudo")
    env.pop("LOCFLOW_DATABASE_URL", None)  # the project's own SQLite file, migrated from the wheel
    _run([installed.bin("locflow"), "run", "--config", "locflow.toml"], cwd=project, env=env)
    catalogues = sorted(project.glob("locale/*/LC_MESSAGES/messages.po"))
    assert [p.parts[-3] for p in catalogues] == ["ar", "de", "fr", "ru"]
    for po in catalogues:
        _run([msgfmt, "-c", "-o", os.devnull, str(po)])

    pool, name = f"wheel-{uuid.uuid4().hex[:8]}", f"wheel-{uuid.uuid4().hex[:8]}"
    deploy = [installed.bin("locflow"), "deploy", "--pool", pool, "--name", name, "--json"]
    made = json.loads(_run(deploy, cwd=project, env=env).stdout)
    assert sorted(made["deployments"]) == [f"localise/{name}", f"publish/{name}"]
    for flow_name in ("localise", "publish"):
        deployment = _read_deployment(f"{flow_name}/{name}")
        assert deployment.entrypoint == f"locflow.flows.localise.{flow_name}"
        assert deployment.parameters == {"config_path": str(project / "locflow.toml")}
        # workers run in the project, not in the deploying venv's site-packages
        assert deployment.pull_steps == [
            {"prefect.deployments.steps.set_working_directory": {"directory": str(project)}}
        ]

    # a worker from the wheel's venv runs the publish deployment: the catalogue comes back
    fr = project / "locale" / "fr" / "LC_MESSAGES" / "messages.po"
    written = fr.read_bytes()
    fr.unlink()
    with _worker(installed, pool, {**env, "PREFECT_WORKER_QUERY_SECONDS": "1"}, tmp_path) as log:
        run = _run_deployment(f"publish/{name}")
        assert run.state is not None and run.state.is_completed(), log.read_text()[-4000:]
    assert fr.read_bytes() == written


def _read_deployment(name: str):  # type: ignore[no-untyped-def]
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_deployment_by_name(name)


def _run_deployment(name: str):  # type: ignore[no-untyped-def]
    from prefect.deployments import run_deployment

    return run_deployment(name, timeout=240)


@contextmanager
def _worker(installed: Installed, pool: str, env: dict[str, str], cwd: Path) -> Iterator[Path]:
    """`prefect worker start` from the installed venv, outside the checkout; stopped (with any
    flow run it started) on exit. Gives the path of its log."""
    log = cwd / "worker.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [installed.bin("prefect"), "worker", "start", "--pool", pool,
             "--type", "process", "--limit", "1"],
            cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        yield log
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
