"""The `locflow` command as users run it: real subprocesses, real Prefect server."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.support.env import run_cli


@pytest.fixture
def cli_env(prefect_server, tmp_path):
    return {
        "PREFECT_API_URL": prefect_server,
        "LOCFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
    }


def test_run_stats_and_export_check(demo_project, cli_env):
    done = run_cli("run", "-l", "fr,ru", cwd=demo_project, env=cli_env)
    assert done.returncode == 0, done.stderr
    assert "| ru |" in done.stdout
    stats = run_cli("stats", "--json", cwd=demo_project, env=cli_env)
    payload = json.loads(stats.stdout)
    assert payload["segments"] == 19
    assert sum(payload["locales"]["fr"].values()) == 19
    assert payload["locales"]["ar"] == {"untranslated": 19}
    check = run_cli("export", "--check", "-l", "fr", "-l", "ru", cwd=demo_project, env=cli_env)
    assert check.returncode == 0, check.stdout + check.stderr
    check_ar = run_cli("export", "--check", "-l", "ar", cwd=demo_project, env=cli_env)
    assert check_ar.returncode == 3
    assert "would change: locale/ar/LC_MESSAGES/messages.po" in check_ar.stdout
    assert not (demo_project / "locale" / "ar").exists()


def test_dry_runs_change_nothing(demo_project, cli_env):
    sync = run_cli("sync", "--dry-run", "--json", cwd=demo_project, env=cli_env)
    assert sync.returncode == 0, sync.stderr
    assert json.loads(sync.stdout)["new"] == 19
    plan = run_cli("translate", "--dry-run", "-l", "ru", "--json", cwd=demo_project, env=cli_env)
    assert json.loads(plan.stdout)["ru"]["strings"] == 0  # nothing synced yet
    real = run_cli("sync", "--json", cwd=demo_project, env=cli_env)
    assert json.loads(real.stdout)["new"] == 19  # the dry run stored nothing
    plan = run_cli("translate", "--dry-run", "-l", "ru", "--json", cwd=demo_project, env=cli_env)
    assert json.loads(plan.stdout)["ru"]["strings"] == 19


@pytest.mark.parametrize(
    ("args", "setup", "message", "code"),
    [
        (("sync",), lambda p: (p / "locflow.toml").write_text("[project\n"), "invalid TOML", 2),
        (("sync", "--config", "missing.toml"), None, "configuration file not found", 2),
        (
            ("sync",),
            lambda p: (p / "locale" / "messages.pot").write_text('msgid "x\n'),
            "messages.pot:1:",
            1,
        ),
        (
            ("sync",),
            lambda p: (p / "locflow.toml").write_text(
                (p / "locflow.toml").read_text().replace('"de"]', '"zz-ZZ-1"]')
            ),
            "unknown locale",
            2,
        ),
    ],
)
def test_errors_are_one_line_with_their_exit_code(
    demo_project, cli_env, args, setup, message, code
):
    """A configuration error exits 2 (usage), an input file error 1."""
    if setup:
        setup(demo_project)
    done = run_cli(*args, cwd=demo_project, env=cli_env)
    assert done.returncode == code
    assert message in done.stderr
    assert done.stderr.startswith("locflow: error: ") and done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr


def test_init_writes_a_starter_config_and_migrates(tmp_path, cli_env):
    done = run_cli("init", cwd=tmp_path, env=cli_env)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "locflow.toml").exists()
    assert "at revision" in done.stdout


def test_cost_cap_stops_cleanly_keeping_finished_batches(demo_project, cli_env):
    toml = demo_project / "locflow.toml"
    toml.write_text(
        toml.read_text().replace(
            'name = "pseudo"', 'name = "pseudo"\nprices = { input = 1000.0, output = 1000.0 }'
        )
    )
    plan = run_cli("translate", "--dry-run", "--json", "-l", "de", cwd=demo_project, env=cli_env)
    assert plan.returncode == 0, plan.stderr
    run_cli("sync", cwd=demo_project, env=cli_env)
    one_locale = json.loads(
        run_cli(
            "translate", "--dry-run", "--json", "-l", "de", cwd=demo_project, env=cli_env
        ).stdout
    )["de"]["cost"]
    assert one_locale > 0
    done = run_cli(
        "translate",
        "-l",
        "de,fr",
        "--max-cost",
        f"{one_locale * 1.5:.6f}",
        cwd=demo_project,
        env=cli_env,
    )
    assert done.returncode == 4, done.stdout + done.stderr
    assert "cost cap reached" in done.stderr
    stats = json.loads(run_cli("stats", "--json", cwd=demo_project, env=cli_env).stdout)
    # de and fr share one stream of batches: the cap leaves about half of the 38 strings
    left = sum(stats["locales"][x]["untranslated"] for x in ("de", "fr"))
    assert 0 < left < 38
    assert stats["runs"][0]["status"] == "stopped"
    spent = sum(stats["usage"][x]["cost"] for x in ("de", "fr") if x in stats["usage"])
    assert 0 < spent <= one_locale * 1.5


def test_doctor_reports_one_line_per_finding(demo_project, cli_env):
    done = run_cli("doctor", cwd=demo_project, env=cli_env)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("OK   config:")
    assert any(line.startswith("OK   template: locale/messages.pot: 19 entries") for line in lines)
    assert any(line.startswith("OK   engine: pseudo") for line in lines)
    (demo_project / "locale" / "messages.pot").unlink()
    broken = run_cli("doctor", "--no-engine", cwd=demo_project, env=cli_env)
    assert broken.returncode == 1
    assert "FAIL template: locale/messages.pot: not found" in broken.stdout


@pytest.mark.slow
def test_qwen_mt_through_the_cli_against_the_strict_simulator(demo_project, cli_env):
    from tests.fakes.qwen_sim import QwenSim

    toml = demo_project / "locflow.toml"
    with QwenSim(api_key="sk-cli-secret-0123456789") as sim:
        toml.write_text(
            toml.read_text().replace(
                'name = "pseudo"', f'name = "qwen_mt"\nbase_url = "{sim.base_url}"\nrpm = 6000'
            )
        )
        keyless = {k: v for k, v in cli_env.items()}
        estimate = run_cli("translate", "--dry-run", "-l", "ru", cwd=demo_project, env=keyless)
        assert estimate.returncode == 0 and "nothing was sent" in estimate.stdout
        assert sim.counters.attempts == 0
        no_key = run_cli("probe", cwd=demo_project, env={**keyless, "DASHSCOPE_API_KEY": ""})
        assert no_key.returncode == 1 and "DASHSCOPE_API_KEY" in no_key.stderr
        env = {**cli_env, "DASHSCOPE_API_KEY": sim.api_key}
        probe = run_cli("probe", "--json", cwd=demo_project, env=env)
        assert probe.returncode == 0, probe.stderr
        assert json.loads(probe.stdout)["model"] == "qwen-mt-flash"
        done = run_cli("run", "-l", "ru,ar", cwd=demo_project, env=env)
        assert done.returncode == 0, done.stderr
        stats = json.loads(run_cli("stats", "--json", cwd=demo_project, env=env).stdout)
        assert stats["usage"]["ru"]["tokens_in"] > 0 and stats["usage"]["ru"]["cost"] > 0
        assert stats["runs"][0]["engine"]["packs_verified"] >= 1
        for out in (probe.stdout, probe.stderr, done.stdout, done.stderr, json.dumps(stats)):
            assert sim.api_key not in out
        assert sim.counters.invalid == 0 and sim.counters.throttled == 0


# Runs `locflow ARGS...` in a fresh interpreter and reports, as the last line on stderr, its
# exit code and which Prefect modules it imported.
PREFECT_PROBE = """
import json, sys
from locflow.cli.main import main
code = main(sys.argv[1:])
loaded = [m for m in sys.modules if m == "prefect" or m.startswith("prefect.")]
print(json.dumps({"exit": code, "prefect": len(loaded)}), file=sys.stderr)
"""


def _prefect_modules_loaded(args: list[str], cwd, env) -> tuple[int, int]:
    done = subprocess.run(
        [sys.executable, "-c", PREFECT_PROBE, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.stderr, done.stdout
    report = json.loads(done.stderr.splitlines()[-1])
    return report["exit"], report["prefect"]


@pytest.mark.slow
def test_commands_that_run_no_flow_do_not_import_prefect(demo_project, cli_env):
    env = {**os.environ, "NO_COLOR": "1", **cli_env}
    for args, code in [
        (["sync"], 0),
        (["translate", "--dry-run"], 0),
        (["export", "--check"], 3),  # nothing exported yet
        (["stats"], 0),
        (["review", "list"], 0),
        (["user", "list"], 0),
        (["glossary", "list"], 0),
        (["doctor", "--no-engine"], 0),
    ]:
        assert _prefect_modules_loaded(args, demo_project, env) == (code, 0), args
    exit_code, loaded = _prefect_modules_loaded(["export", "-l", "fr"], demo_project, env)
    assert exit_code == 0 and loaded > 0  # the publish flow does load it
