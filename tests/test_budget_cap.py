"""`--max-cost` is a hard cap (issue 12, case 7: `--max-cost 0.005` ended with `spent $0.0057
of $0.0050`). Against a Qwen-MT stand-in that answers as long as it is allowed to (every reply
bills its whole `max_tokens`), the provider's bill never passes the cap, through the plain
pipeline functions and through `locflow run --max-cost`."""

from __future__ import annotations

import json

import pytest

from locflow.connectors.engines.registry import create_engine
from locflow.db import repo
from locflow.pipeline.batches import translate_batch
from locflow.pipeline.budget import Budget, CostCapReached
from locflow.pipeline.cost import estimate_jobs, prices_for
from locflow.pipeline.plan import plan_locale
from locflow.pipeline.runner import LoopRunner
from locflow.pipeline.stream import Window, batches_of, send_stream
from locflow.pipeline.summary import BatchResult
from locflow.pipeline.translate import jobs_of
from locflow.settings import Config
from tests.fakes.chat_server import ChatServer
from tests.fakes.qwen_sim import QwenSim
from tests.support.env import run_cli
from tests.support.helpers import config_for, sync
from tests.support.sim_project import billed, use_sim

KEY = "sk-cap-test-0123456789"


class Done:
    def __init__(self, result: BatchResult) -> None:
        self._result = result

    def result(self) -> BatchResult:
        return self._result


def _translate_all(
    Session, config: Config, budget: Budget, done: list[BatchResult] | None = None
) -> list[BatchResult]:
    """Every locale through the pipeline's batch loop, no Prefect."""
    engine = create_engine(config.engine)
    done = [] if done is None else done
    with LoopRunner() as runner:
        for locale in config.locales:
            with Session() as s:
                project = repo.get_or_create_project(s, config.project, config.source_locale)
                plan = plan_locale(s, project, locale)
            send_stream(
                batches_of({locale: jobs_of(plan)}, 8),
                lambda batch: Done(
                    translate_batch(config, engine, runner, list(batch.jobs), None, budget)
                ),
                window=Window(0, 1, 1),
                budget=budget,
                estimate=lambda b: estimate_jobs(b, config.engine, config.source_locale).cost,
                on_done=lambda locale, result, _: done.append(result),
                on_refused=lambda locale, exc: pytest.fail(f"{locale} refused: {exc}"),
                size=8,
            )
    return done


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)


@pytest.fixture
def cli_env(prefect_server, tmp_path) -> dict[str, str]:
    return {
        "PREFECT_API_URL": prefect_server,
        "LOCFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "DASHSCOPE_API_KEY": KEY,
    }


@pytest.mark.parametrize("cap", [0.003, 0.005, 0.012])
def test_a_greedy_provider_never_bills_more_than_the_cap(demo_project, Session, db_url, cap):
    with QwenSim(api_key=KEY, greedy=True) as sim:
        use_sim(demo_project, sim, 'model = "qwen-mt-plus"')  # dear: the cap bites early
        config = config_for(demo_project, db_url)
        sync(Session, config)
        budget = Budget(cap, prices_for(config.engine))
        with pytest.raises(CostCapReached, match=rf"of \${cap:.4f}"):
            _translate_all(Session, config, budget)
        assert 0 < billed(sim, config) <= cap
        assert budget.spent == pytest.approx(billed(sim, config))
        assert budget.spent <= cap and budget.reserved == 0.0
        bodies = sim.bodies
        assert bodies and all(0 < b["max_tokens"] <= 8192 for b in bodies)


def test_a_request_without_an_answer_is_charged_its_whole_reservation(
    demo_project, Session, db_url
):
    with QwenSim(api_key=KEY, greedy=True, timeout_sleep=1.5) as sim:
        use_sim(demo_project, sim, 'model = "qwen-mt-plus"\ntimeout = 0.5')
        config = config_for(demo_project, db_url, LOCFLOW_LOCALES="de")
        sync(Session, config)
        sim.script("timeout")  # the first request is answered after the client gave up
        budget = Budget(0.004, prices_for(config.engine))
        done: list[BatchResult] = []
        with pytest.raises(CostCapReached):
            _translate_all(Session, config, budget, done)
        # the provider billed the timed-out request; the run charged it its whole
        # reservation (at least that bill): no usage of it came back, so the batches' paid
        # cost is below the bill, and with the unanswered charge it is what the budget spent
        paid = sum(r.cost for r in done)
        assert sim.counters.injected["timeout"] == 1
        assert paid < billed(sim, config) <= budget.spent <= 0.004
        assert sum(r.cost + r.unanswered_cost for r in done) == pytest.approx(budget.spent)


@pytest.mark.parametrize("mode", ["chat", "completion"])
def test_a_greedy_local_server_never_bills_more_than_the_cap(demo_project, Session, db_url, mode):
    """openai_compat, chat (packed) and completion (one string a call) alike."""
    cap = 1.5  # at $1000 per million tokens: 1,500 tokens
    with ChatServer(greedy=True) as server:
        toml = demo_project / "locflow.toml"
        toml.write_text(
            toml.read_text().replace(
                'name = "pseudo"',
                f'name = "openai_compat"\nbase_url = "{server.url}"\nmodel = "test-model"\n'
                f'mode = "{mode}"\nprices = {{ input = 1000.0, output = 1000.0 }}',
            )
        )
        config = config_for(demo_project, db_url)
        sync(Session, config)
        budget = Budget(cap, prices_for(config.engine))
        with pytest.raises(CostCapReached):
            _translate_all(Session, config, budget)
        sent = [r.body for r in server.requests if r.path.endswith("completions")]
        assert sent and all(isinstance(b.get("max_tokens"), int) for b in sent)
        billed = sum(prices_for(config.engine).cost(i, o) for i, o in server.billed)
        assert 0 < billed <= budget.spent <= cap


def test_the_counts_say_requests_sent_and_paid(demo_project, Session, db_url):
    with QwenSim(api_key=KEY) as sim:
        use_sim(demo_project, sim)
        config = config_for(demo_project, db_url, LOCFLOW_LOCALES="de")
        sync(Session, config)
        sim.script("503", "429")  # two attempts answered with errors: sent, not paid
        done = _translate_all(Session, config, Budget(None))
        assert sum(r.requests for r in done) == sim.counters.attempts
        assert sum(r.paid_requests for r in done) == sim.counters.ok == sim.counters.attempts - 2
        assert sum(r.strings for r in done) == 19
        assert sum(r.tokens_in for r in done) == sim.counters.billed_prompt_tokens


@pytest.mark.slow
def test_locflow_run_max_cost_stops_within_the_cap(demo_project, cli_env):
    # a cap the first batch fits (the dry-run estimate of one 40-string batch of the demo on
    # qwen-mt-plus is about $0.006) and the whole run does not
    cap = 0.012
    with QwenSim(api_key=KEY, greedy=True) as sim:
        use_sim(demo_project, sim, 'model = "qwen-mt-plus"')
        env = cli_env
        done = run_cli("run", "--max-cost", str(cap), cwd=demo_project, env=env)
        assert done.returncode == 4, done.stdout + done.stderr
        assert "cost cap reached" in done.stderr
        config = config_for(demo_project, cli_env["LOCFLOW_DATABASE_URL"])
        assert 0 < billed(sim, config) <= cap
        stats = json.loads(run_cli("stats", "--json", cwd=demo_project, env=env).stdout)
        assert sum(u["cost"] for u in stats["usage"].values()) <= cap
