"""The exit-code contract and one-line errors, as a scheduled job sees them: real `locflow`
subprocesses, their exit code, stdout and stderr (issue 12)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.support.env import free_port, run_cli


@pytest.fixture
def cli_env(prefect_server, tmp_path):
    return {
        "PREFECT_API_URL": prefect_server,
        "LOCFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
    }


def assert_one_line_error(done: subprocess.CompletedProcess[str], code: int) -> None:
    assert done.returncode == code, done.stdout + done.stderr
    assert done.stderr.startswith("locflow: error: "), done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr


def _edit_config(project: Path, old: str, new: str) -> None:
    toml = project / "locflow.toml"
    text = toml.read_text()
    assert old in text
    toml.write_text(text.replace(old, new))


# --- 2: usage and configuration ---------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("export", "-l", "de"),
        pytest.param(("export", "--check", "-l", "de"), marks=pytest.mark.slow),
        pytest.param(("sync", "-l", "de"), marks=pytest.mark.slow),
        pytest.param(("translate", "--dry-run", "-l", "fr,de"), marks=pytest.mark.slow),
        ("run", "-l", "de"),
        pytest.param(("docs", "--dry-run", "-l", "de"), marks=pytest.mark.slow),
        pytest.param(("review", "list", "-l", "de"), marks=pytest.mark.slow),
    ],
)
def test_an_unconfigured_locale_is_a_usage_error_that_writes_nothing(demo_project, cli_env, args):
    _edit_config(demo_project, '"ar", "de"]', '"ar"]')
    assert run_cli("sync", cwd=demo_project, env=cli_env).returncode == 0
    done = run_cli(*args, cwd=demo_project, env=cli_env)
    assert_one_line_error(done, 2)
    assert "'de' is not configured" in done.stderr
    assert not (demo_project / "locale" / "de").exists()


def test_an_unknown_engine_name_is_a_config_error(demo_project, cli_env):
    _edit_config(demo_project, 'name = "pseudo"', 'name = "deepl"')
    for args in (("sync",), ("translate", "--dry-run"), ("run",)):
        done = run_cli(*args, cwd=demo_project, env=cli_env)
        assert_one_line_error(done, 2)
        assert "unknown engine 'deepl'" in done.stderr


def test_a_database_url_without_its_driver_is_a_config_error(demo_project, cli_env):
    env = {**cli_env, "LOCFLOW_DATABASE_URL": "mysql://scott:tiger-secret@127.0.0.1/x"}
    done = run_cli("sync", cwd=demo_project, env=env)
    assert_one_line_error(done, 2)
    assert "mysql://scott:***@127.0.0.1/x" in done.stderr
    assert "MySQLdb" in done.stderr and "tiger-secret" not in done.stderr
    unknown = run_cli("stats", cwd=demo_project, env={**env, "LOCFLOW_DATABASE_URL": "nosql://x"})
    assert_one_line_error(unknown, 2)
    assert "nosql" in unknown.stderr


def test_an_sqlite_folder_outside_the_project_must_exist(demo_project, cli_env, tmp_path):
    missing = tmp_path / "elsewhere" / "deeper"
    env = {**cli_env, "LOCFLOW_DATABASE_URL": f"sqlite:///{missing / 'x.db'}"}
    done = run_cli("sync", cwd=demo_project, env=env)
    assert_one_line_error(done, 2)
    assert str(missing) in done.stderr
    assert not (tmp_path / "elsewhere").exists()


def test_nothing_is_created_at_the_filesystem_root(demo_project, cli_env):
    """The measured case: `sqlite:////nonexistent-dir/x.db` created /nonexistent-dir."""
    at_root = Path("/") / f"locflow-nonexistent-{uuid.uuid4().hex[:12]}"
    env = {**cli_env, "LOCFLOW_DATABASE_URL": f"sqlite:///{at_root / 'x.db'}"}
    try:
        done = run_cli("run", "-l", "fr", cwd=demo_project, env=env)
        assert_one_line_error(done, 2)
        assert not at_root.exists()
    finally:
        shutil.rmtree(at_root, ignore_errors=True)


def test_the_default_sqlite_folder_inside_the_project_is_created(demo_project, cli_env):
    env = {k: v for k, v in cli_env.items() if k != "LOCFLOW_DATABASE_URL"}
    done = run_cli("sync", cwd=demo_project, env={**env, "LOCFLOW_DATABASE_URL": ""})
    assert done.returncode == 0, done.stderr
    assert (demo_project / ".locflow" / "locflow.db").exists()


# --- one line, no traceback ----------------------------------------------------------------------


def test_a_closed_stdout_pipe_ends_quietly(demo_project, cli_env):
    """`locflow stats | head -1`: the reader has gone before locflow writes."""
    assert run_cli("sync", cwd=demo_project, env=cli_env).returncode == 0
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [str(Path(sys.executable).parent / "locflow"), "stats"],
            cwd=demo_project,
            env={**os.environ, **cli_env},
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
        )
    finally:
        os.close(write_end)
    assert done.stderr == ""
    assert done.returncode == 141  # 128 + SIGPIPE, as a Unix tool killed by it


@pytest.mark.parametrize(
    "command",
    [
        ("run", "-l", "fr"),
        pytest.param(("export",), marks=pytest.mark.slow),
        pytest.param(("translate",), marks=pytest.mark.slow),
    ],
)
def test_an_unreachable_prefect_api_is_one_line(demo_project, cli_env, command):
    url = f"http://127.0.0.1:{free_port()}/api"
    done = run_cli(*command, cwd=demo_project, env={**cli_env, "PREFECT_API_URL": url})
    assert_one_line_error(done, 1)
    assert f"Prefect API at {url} is not reachable" in done.stderr


def test_a_missing_template_is_one_line(demo_project, cli_env):
    """Prefect's task and flow failure tracebacks are quieted: the error is ours, one line.
    (`export` works from the database and does not read the template.)"""
    assert run_cli("sync", cwd=demo_project, env=cli_env).returncode == 0
    (demo_project / "locale" / "messages.pot").unlink()
    done = run_cli("run", "-l", "fr", cwd=demo_project, env=cli_env)
    assert_one_line_error(done, 1)
    assert "messages.pot" in done.stderr


@pytest.mark.parametrize(
    "command", [("run", "-l", "fr"), pytest.param(("export", "-l", "fr"), marks=pytest.mark.slow)]
)
def test_a_closed_database_port_is_one_line(demo_project, cli_env, command):
    url = f"postgresql+psycopg://locflow:pw-secret@127.0.0.1:{free_port()}/x"
    done = run_cli(*command, cwd=demo_project, env={**cli_env, "LOCFLOW_DATABASE_URL": url})
    assert_one_line_error(done, 1)
    assert "database" in done.stderr and "pw-secret" not in done.stderr


def test_verbose_keeps_the_traceback(demo_project, cli_env):
    env = {**cli_env, "LOCFLOW_DATABASE_URL": "mysql://scott:tiger@127.0.0.1/x"}
    done = run_cli("sync", "-v", cwd=demo_project, env=env)
    assert done.returncode != 0
    assert "Traceback" in done.stderr


# --- --json ---------------------------------------------------------------------------------------


def test_json_errors_are_an_object_on_stdout(demo_project, cli_env):
    _edit_config(demo_project, '"ar", "de"]', '"ar"]')
    done = run_cli("export", "--json", "-l", "de", cwd=demo_project, env=cli_env)
    assert_one_line_error(done, 2)
    payload = json.loads(done.stdout)
    assert payload["exit_code"] == 2 and "'de' is not configured" in payload["error"]
    url = f"http://127.0.0.1:{free_port()}/api"
    unreachable = run_cli(
        "run", "--json", "-l", "fr", cwd=demo_project, env={**cli_env, "PREFECT_API_URL": url}
    )
    assert_one_line_error(unreachable, 1)
    assert json.loads(unreachable.stdout)["exit_code"] == 1


# --- doctor -----------------------------------------------------------------------------------


def test_doctor_names_a_failing_engine_once(demo_project, cli_env):
    _edit_config(demo_project, 'name = "pseudo"', 'name = "qwen_mt"')
    done = run_cli("doctor", cwd=demo_project, env={**cli_env, "DASHSCOPE_API_KEY": ""})
    assert done.returncode == 1
    engine = [line for line in done.stdout.splitlines() if line.startswith("FAIL engine:")]
    assert engine and "DASHSCOPE_API_KEY" in engine[0]
    assert "qwen_mt: qwen_mt" not in done.stdout


_SERVER_LEVEL = """\
import logging, os, sys
from locflow.cli.main import apply_prefect_defaults
apply_prefect_defaults(verbose=sys.argv[1] == "-v")
from prefect.logging.configuration import setup_logging
setup_logging()
print(logging.getLevelName(
    logging.getLogger("prefect.server.services.task_run_recorder").getEffectiveLevel()))
"""


@pytest.mark.parametrize(
    ("flag", "env", "level"),
    [
        ("", {}, "CRITICAL"),
        ("-v", {}, "WARNING"),
        ("", {"PREFECT_SERVER_LOGGING_LEVEL": "INFO"}, "INFO"),
    ],
    ids=["default", "verbose", "user-set"],
)
def test_the_temporary_servers_teardown_noise_stays_off_stderr(flag: str, env: dict, level: str):
    """The temporary Prefect server is a subprocess with this environment: its logger level
    (here as Prefect's own logging setup reads it) hides its shutdown tracebacks unless -v
    or the user says otherwise."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_SERVER_LOGGING")}
    done = subprocess.run(
        [sys.executable, "-c", _SERVER_LEVEL, flag],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == level
