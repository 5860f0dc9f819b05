"""One ledger for every count of requests, tokens and cost (issue 12, case 8: the run table said
`requests 105` when the engine made 7 HTTP requests). Each translated batch writes one `usage`
row per locale with the batch's translations; `run_repo.usage_totals` is the one query that
stats, the run summary, `--json`, the artifacts and the runs row read. A request whose outcome
is unknown is charged its whole reservation, and that charge is in the run's cost."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from locflow.connectors.engines.base import Fatal
from locflow.connectors.engines.registry import create_engine
from locflow.db import repo, run_repo
from locflow.db.models import Run, Usage
from locflow.db.run_repo import UsageTotals, usage_totals
from locflow.pipeline.batches import translate_batch
from locflow.pipeline.budget import Budget
from locflow.pipeline.cost import prices_for
from locflow.pipeline.plan import LocalePlan, plan_locale
from locflow.pipeline.runner import LoopRunner
from locflow.pipeline.translate import jobs_of
from locflow.settings import Config
from tests.fakes.qwen_sim import QwenSim
from tests.support.env import run_cli
from tests.support.helpers import config_for, sync
from tests.support.sim_project import billed, use_sim

KEY = "sk-ledger-test-0123456789"


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)


# --- the query -----------------------------------------------------------------------------


def _usage(run: Run, locale: str, requests: int, cost: float = 0.0, unanswered=0.0) -> Usage:
    return Usage(
        run_id=run.id,
        locale=locale,
        strings=requests * 2,
        requests=requests,
        paid_requests=requests - 1,
        tokens_in=requests * 10,
        tokens_out=requests * 20,
        cost=cost,
        unanswered_cost=unanswered,
    )


def test_usage_totals_group_by_locale_and_take_a_fan_out_parents_children(Session):
    with Session() as s, s.begin():
        project = repo.get_or_create_project(s, "p", "en")
        other = repo.get_or_create_project(s, "q", "en")
        parent = run_repo.start_run(s, project, "localise")
        child = run_repo.start_run(s, project, "localise")
        child.parent_id = parent.id
        alone = run_repo.start_run(s, project, "localise")
        elsewhere = run_repo.start_run(s, other, "localise")
        s.add_all(
            [
                _usage(parent, "fr", 3, 0.5),
                _usage(child, "de", 4, 0.25, unanswered=0.125),
                _usage(child, "de", 2, 0.25),
                _usage(alone, "fr", 5, 1.0),
                _usage(elsewhere, "fr", 7, 2.0),
            ]
        )
        s.flush()
        ids = parent.id, alone.id, project.id
    with Session() as s:
        fanned = usage_totals(s, run_id=ids[0])
        assert set(fanned) == {"fr", "de"}
        assert fanned["de"] == UsageTotals(
            strings=12,
            requests=6,
            paid_requests=4,
            tokens_in=60,
            tokens_out=120,
            cost=0.5,
            unanswered_cost=0.125,
        )
        assert fanned["de"].total_cost == 0.625
        assert set(usage_totals(s, run_id=ids[0], include_children=False)) == {"fr"}
        assert usage_totals(s, run_id=ids[1])["fr"].requests == 5
        by_project = usage_totals(s, project_id=ids[2])
        assert (by_project["fr"].requests, by_project["de"].requests) == (8, 6)
        assert usage_totals(s, run_id=999) == {}


# --- the pipeline writes it ----------------------------------------------------------------


def test_each_batch_writes_its_usage_row_with_the_http_attempts(demo_project, Session, db_url):
    with QwenSim(api_key=KEY) as sim:
        use_sim(demo_project, sim)
        config = config_for(demo_project, db_url, LOCFLOW_LOCALES="de")
        sync(Session, config)
        run_id, plan = _run_and_plan(Session, config)
        sim.script("503", "429")  # two attempts answered with errors: sent, not paid
        engine = create_engine(config.engine)
        jobs = jobs_of(plan)
        with LoopRunner() as runner:
            first = translate_batch(config, engine, runner, jobs[:10], run_id, Budget(None))
            translate_batch(config, engine, runner, jobs[10:], run_id, Budget(None))
        with Session() as s:
            rows = list(s.scalars(select(Usage).where(Usage.run_id == run_id)))
            totals = usage_totals(s, run_id=run_id)["de"]
    assert len(rows) == 2 and {r.locale for r in rows} == {"de"}
    assert rows[0].requests == first.requests and rows[0].strings == 10
    assert totals.requests == sim.counters.attempts
    assert totals.paid_requests == sim.counters.ok == sim.counters.attempts - 2
    assert totals.strings == len(jobs)
    assert totals.tokens_in == sim.counters.billed_prompt_tokens
    assert totals.tokens_out == sim.counters.billed_completion_tokens
    assert totals.cost == pytest.approx(billed(sim, config))
    assert totals.unanswered_cost == 0.0


def test_an_unanswered_request_is_charged_its_reservation_in_the_ledger(
    demo_project, Session, db_url
):
    with QwenSim(api_key=KEY, timeout_sleep=1.5) as sim:
        use_sim(demo_project, sim, "timeout = 0.5")
        config = config_for(demo_project, db_url, LOCFLOW_LOCALES="de")
        sync(Session, config)
        run_id, plan = _run_and_plan(Session, config)
        sim.script("timeout")  # answered after the client gave up: billed, never seen
        budget = Budget(None, prices_for(config.engine))
        with LoopRunner() as runner:
            done = translate_batch(
                config, create_engine(config.engine), runner, jobs_of(plan), run_id, budget
            )
        with Session() as s:
            totals = usage_totals(s, run_id=run_id)["de"]
    assert sim.counters.injected["timeout"] == 1
    assert done.unanswered_cost > 0 and totals.unanswered_cost == pytest.approx(
        done.unanswered_cost
    )
    # what the run says it cost is what its budget charged, never less than the bill
    assert totals.total_cost == pytest.approx(budget.spent)
    assert totals.total_cost >= billed(sim, config)
    assert totals.requests == sim.counters.attempts
    assert totals.paid_requests == sim.counters.ok


def test_a_batch_stopped_by_a_fatal_error_still_records_what_it_sent(demo_project, Session, db_url):
    with QwenSim(api_key=KEY) as sim:
        use_sim(demo_project, sim, "concurrency = 1")
        config = config_for(demo_project, db_url, LOCFLOW_LOCALES="de")
        sync(Session, config)
        run_id, plan = _run_and_plan(Session, config)
        sim.script("503", "arrearage")  # a retry, then the account is out of credit
        with LoopRunner() as runner, pytest.raises(Fatal):
            translate_batch(
                config, create_engine(config.engine), runner, jobs_of(plan), run_id, Budget(None)
            )
        with Session() as s:
            totals = usage_totals(s, run_id=run_id)["de"]
    assert sim.counters.attempts >= 2
    assert (totals.requests, totals.paid_requests) == (sim.counters.attempts, sim.counters.ok)
    assert totals.strings == 0  # nothing of the batch was stored


def test_a_batch_outside_a_run_writes_no_usage_row(demo_project, Session, db_url):
    config = config_for(demo_project, db_url, LOCFLOW_LOCALES="fr")
    sync(Session, config)
    with Session() as s:
        project = repo.get_or_create_project(s, config.project, config.source_locale)
        plan = plan_locale(s, project, "fr")
    with LoopRunner() as runner:
        done = translate_batch(
            config, create_engine(config.engine), runner, jobs_of(plan), None, Budget(None)
        )
    assert done.requests > 0
    with Session() as s:
        assert s.scalar(select(Usage.id)) is None


# --- everyone reads it ---------------------------------------------------------------------


def _table_row(text: str, locale: str) -> list[str]:
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells and cells[0] == locale:
            return cells
    raise AssertionError(f"no row for {locale} in:\n{text}")


@pytest.mark.slow  # a CLI run and two CLI reads: ~40 s on a busy machine
def test_stats_summary_and_json_show_the_ledger_with_unanswered_cost(
    demo_project, prefect_server, tmp_path
):
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    env = {"PREFECT_API_URL": prefect_server, "LOCFLOW_DATABASE_URL": db, "DASHSCOPE_API_KEY": KEY}
    with QwenSim(api_key=KEY, timeout_sleep=1.5) as sim:
        use_sim(demo_project, sim, "timeout = 0.5")
        sim.script("503", "timeout")
        done = run_cli("run", "-l", "de", cwd=demo_project, env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        attempts, paid = sim.counters.attempts, sim.counters.ok
        provider_bill = billed(sim, config_for(demo_project, db))
    from locflow.pipeline.units import sessions

    with sessions(db)() as s:
        ledger = usage_totals(s)["de"]
        run = s.scalars(select(Run).order_by(Run.id.desc())).first()
        assert run is not None
        assert (run.requests, run.tokens_in) == (ledger.requests, ledger.tokens_in)
        assert run.cost == pytest.approx(ledger.total_cost)
    assert (ledger.requests, ledger.paid_requests) == (attempts, paid)
    assert ledger.unanswered_cost > 0 and ledger.total_cost >= provider_bill
    row = _table_row(done.stdout, "de")  # | de | queued | memory | machine | review | req | paid
    assert (int(row[5]), int(row[6])) == (attempts, paid)
    assert f"${ledger.total_cost:.4f}" in done.stdout
    assert f"${ledger.unanswered_cost:.4f}" in done.stdout
    stats = json.loads(run_cli("stats", "--json", cwd=demo_project, env=env).stdout)
    usage = stats["usage"]["de"]
    assert list(usage)[:3] == ["tokens_in", "tokens_out", "cost"]  # the old keys keep their order
    assert (usage["requests"], usage["paid_requests"]) == (attempts, paid)
    assert usage["cost"] == pytest.approx(ledger.total_cost, abs=1e-6)
    assert usage["unanswered_cost"] == pytest.approx(ledger.unanswered_cost, abs=1e-6)
    last = stats["runs"][0]
    assert (last["requests"], last["paid_requests"]) == (attempts, paid)
    assert last["cost"] == pytest.approx(ledger.total_cost, abs=1e-6)
    text = run_cli("stats", cwd=demo_project, env=env).stdout
    assert f"{attempts} requests ({paid} paid), ${ledger.total_cost:.4f}" in text


@pytest.mark.slow  # one CLI run: ~30 s on a busy machine
def test_json_locale_counts_come_from_the_ledger(demo_project, prefect_server, tmp_path):
    db = f"sqlite:///{tmp_path / 'json.db'}"
    env = {"PREFECT_API_URL": prefect_server, "LOCFLOW_DATABASE_URL": db, "DASHSCOPE_API_KEY": KEY}
    with QwenSim(api_key=KEY, timeout_sleep=1.5) as sim:
        use_sim(demo_project, sim, "timeout = 0.5")
        sim.script("timeout")
        done = run_cli("run", "-l", "de", "--json", cwd=demo_project, env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        attempts, paid = sim.counters.attempts, sim.counters.ok
    from locflow.pipeline.units import sessions

    with sessions(db)() as s:
        ledger = usage_totals(s)["de"]
    de = json.loads(done.stdout)["locales"]["de"]
    keys = list(de)
    assert keys.index("requests") < keys.index("cost") < keys.index("unanswered_cost")
    assert (de["requests"], de["paid_requests"]) == (attempts, paid)
    assert (ledger.requests, ledger.paid_requests) == (attempts, paid)
    assert (de["tokens_in"], de["tokens_out"]) == (ledger.tokens_in, ledger.tokens_out)
    assert de["cost"] == pytest.approx(ledger.total_cost, abs=1e-6)
    assert de["unanswered_cost"] == pytest.approx(ledger.unanswered_cost, abs=1e-6)
    assert ledger.unanswered_cost > 0


def test_the_summary_states_cost_and_unanswered_charge():
    from locflow.flows.report import markdown_summary
    from locflow.pipeline.results import RunResult
    from locflow.pipeline.summary import LocaleSummary

    result = RunResult(7, "")
    result.locales["fr"] = LocaleSummary("fr", requests=9, paid_requests=8, cost=0.0123)
    result.locales["fr"].unanswered_cost = 0.002
    text = markdown_summary(result)
    assert re.search(r"9 requests \(8 paid\).*\$0\.0123.*\$0\.0020", text), text


def _run_and_plan(Session, config: Config) -> tuple[int, LocalePlan]:
    """A started `localise` run's id and the de plan, as a flow has them before a batch."""
    with Session() as s, s.begin():
        project = repo.get_or_create_project(s, config.project, config.source_locale)
        run_id = run_repo.start_run(s, project, "localise").id
    with Session() as s:
        return run_id, plan_locale(s, project, "de")
