"""One vocabulary for the counts (issue 12, case 8: the run table said `requests 105` when
the engine made 7 HTTP requests): requests are the HTTP attempts sent, paid requests those
answered 2xx with usage, in the run table, `stats` and `--json` alike."""

from __future__ import annotations

import json

from tests.fakes.qwen_sim import QwenSim
from tests.support.env import run_cli

KEY = "sk-counts-test-0123456789"


def test_requests_are_http_attempts_and_paid_requests_those_answered(
    demo_project, prefect_server, tmp_path
):
    env = {
        "PREFECT_API_URL": prefect_server,
        "LOCFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'counts.db'}",
        "DASHSCOPE_API_KEY": KEY,
    }
    with QwenSim(api_key=KEY) as sim:
        toml = demo_project / "locflow.toml"
        toml.write_text(
            toml.read_text().replace(
                'name = "pseudo"', f'name = "qwen_mt"\nbase_url = "{sim.base_url}"\nrpm = 60000'
            )
        )
        sim.script("503")  # one attempt answered with an error: sent, retried, not paid
        done = run_cli("run", "-l", "de", "--json", cwd=demo_project, env=env)
        assert done.returncode == 0, done.stderr
        attempts, paid = sim.counters.attempts, sim.counters.ok
    assert paid == attempts - 1 and attempts < 19  # strings are packed: fewer requests
    de = json.loads(done.stdout)["locales"]["de"]
    assert (de["requests"], de["paid_requests"]) == (attempts, paid)
    assert de["machine"] + de["needs_review"] == 19  # strings, counted apart
    stats = run_cli("stats", cwd=demo_project, env=env)
    assert f"{attempts} requests ({paid} paid)" in stats.stdout
    last = json.loads(run_cli("stats", "--json", cwd=demo_project, env=env).stdout)["runs"][0]
    assert (last["requests"], last["paid_requests"]) == (attempts, paid)
    assert last["engine"]["requests"] == attempts
    assert last["engine"]["paid_requests"] == paid
