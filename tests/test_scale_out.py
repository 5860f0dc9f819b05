"""Scale-out (flows/scale.py): the shared-limit hook, Prefect global concurrency limits as
the account's RPM/TPM, and `localise(fan_out=True)` over a process work pool with two
workers against PostgreSQL, which must equal a single-process run and stay under the
simulated provider's limits."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from locflow.connectors.engines.base import Limits
from locflow.connectors.engines.pacing import Pacer
from locflow.connectors.engines.registry import create_engine
from locflow.flows.scale import (
    FAN_OUT_TAG,
    LimitSpec,
    SharedLimiter,
    ensure_limits,
    limit_specs,
    run_engine,
    shared_limiter,
    token_chunks,
)
from locflow.settings import ConfigError, EngineSettings, load_config
from tests.fakes.qwen_sim import QwenSim
from tests.support.env import run_cli

RPM, TPM = 120, 12_000
"""The simulated account: 2 requests and 200 input tokens per second. Each of the four
per-locale runs paces itself at that rate too, so without shared limits they would send
up to four times as much (the demo's ~106 single-string requests, ~70 tokens each)."""
WINDOW = 10.0


def max_in_window(times: list[float], window: float) -> int:
    """The most events in any half-open window of `window` seconds."""
    times = sorted(times)
    best, j = 0, 0
    for i, start in enumerate(times):
        j = max(j, i)
        while j < len(times) and times[j] < start + window:
            j += 1
        best = max(best, j - i)
    return best


# --- the pieces ------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_pacer_awaits_the_shared_limiter_after_its_own_slot() -> None:
    clock = FakeClock()
    seen: list[tuple[int, float]] = []

    async def shared(tokens: int) -> None:
        seen.append((tokens, clock.now))
        clock.now += 0.25  # the other workers' share

    pacer = Pacer(rpm=60, tpm=None, shared=shared, clock=clock, sleep=clock.sleep)

    async def three() -> None:
        for tokens in (5, 7, 9):
            await pacer.acquire(tokens)

    asyncio.run(three())
    # each call waits for its local slot (1 s apart) first, then for the shared limiter
    assert seen == [(5, 0.0), (7, 1.0), (9, 2.0)]


def test_limit_specs_stand_for_the_account() -> None:
    rpm, tpm = limit_specs("qwen_mt", "qwen-mt-flash", Limits(120, 12_000, 8000, 4))
    assert rpm == LimitSpec("locflow:qwen_mt:qwen-mt-flash:rpm", 1, 2.0)
    assert tpm == LimitSpec("locflow:qwen_mt:qwen-mt-flash:tpm", 200, 200.0)
    (only,) = limit_specs("openai_compat", "Qwen/Qwen3-8B", Limits(None, 6001, None, 1))
    assert only.name == "locflow:openai_compat:Qwen-Qwen3-8B:tpm" and only.limit == 101
    assert limit_specs("openai_compat", "", Limits(None, None, None, 1)) == []


def test_token_chunks_never_exceed_the_limit() -> None:
    assert token_chunks(0, 200) == []
    assert token_chunks(150, 200) == [150]
    assert token_chunks(200, 200) == [200]
    assert token_chunks(450, 200) == [100, 100, 100, 100, 50]
    for tokens in range(1, 1000, 37):
        chunks = token_chunks(tokens, 99)
        assert sum(chunks) == tokens and max(chunks) <= 99


def test_shared_limits_setting(demo_project: Path) -> None:
    toml = demo_project / "locflow.toml"
    base = toml.read_text()
    assert load_config(toml, env={}).engine.shared_limits is None
    toml.write_text(base.replace('name = "pseudo"', 'name = "pseudo"\nshared_limits = true'))
    assert load_config(toml, env={}).engine.shared_limits is True
    toml.write_text(base.replace('name = "pseudo"', 'name = "pseudo"\nshared_limits = "yes"'))
    with pytest.raises(ConfigError, match="shared_limits must be true or false"):
        load_config(toml, env={})


def test_a_run_engine_is_built_with_the_shared_limits_of_its_model(
    prefect_api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-test-0123456789")
    settings = EngineSettings(name="qwen_mt", rpm=600, tpm=60_000, shared_limits=True)
    limiter = shared_limiter(create_engine(settings), settings)
    assert limiter is not None  # the engine's default model names the limits
    assert limiter.requests == LimitSpec("locflow:qwen_mt:qwen-mt-flash:rpm", 1, 10.0)
    assert limiter.tokens == LimitSpec("locflow:qwen_mt:qwen-mt-flash:tpm", 1000, 1000.0)
    assert run_engine(settings).model == "qwen-mt-flash"
    off = EngineSettings(name="qwen_mt", shared_limits=False)
    assert shared_limiter(create_engine(off), off) is None
    pseudo = EngineSettings(name="pseudo", shared_limits=True)  # offline: nothing to share
    assert shared_limiter(create_engine(pseudo), pseudo) is None


def test_shared_limiter_takes_slots_from_prefect_global_concurrency_limits(
    prefect_api: str,
) -> None:
    """The limits are created (and updated when the rates change), and calls through them
    are spaced by the server's slot decay even when the local pacer would let them go."""
    from prefect.client.orchestration import get_client

    model = f"m{uuid.uuid4().hex[:8]}"
    ensure_limits(limit_specs("test", model, Limits(60, 6000, None, 1)))
    specs = limit_specs("test", model, Limits(600, 60_000, None, 1))  # 10 requests/s
    ensure_limits(specs)
    with get_client(sync_client=True) as client:
        rpm = client.read_global_concurrency_limit_by_name(f"locflow:test:{model}:rpm")
        tpm = client.read_global_concurrency_limit_by_name(f"locflow:test:{model}:tpm")
    assert (rpm.limit, rpm.slot_decay_per_second) == (1, 10.0)
    assert (tpm.limit, tpm.slot_decay_per_second) == (1000, 1000.0)

    limiter = SharedLimiter(specs)
    pacer = Pacer(rpm=None, tpm=None, shared=limiter)  # no local pacing: only the shared limits
    times: list[float] = []

    async def calls() -> None:
        async def one() -> None:
            for _ in range(4):
                await pacer.acquire(40)
                times.append(time.monotonic())

        await asyncio.gather(one(), one(), one())

    started = time.monotonic()
    asyncio.run(calls())
    assert limiter.acquired == len(times) == 12
    assert max_in_window(times, 0.5) <= 1 + 5  # the burst of one, then 10 per second
    assert times[-1] - started >= 11 / 10


def test_the_parent_reports_failed_and_stopped_children(demo_project: Path, tmp_path: Path) -> None:
    from types import SimpleNamespace

    from prefect.states import Completed, Crashed, Failed

    from locflow.db import repo, run_repo
    from locflow.flows.scale import summarise
    from locflow.pipeline.units import sessions

    config = load_config(
        demo_project / "locflow.toml",
        env={"LOCFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'parent.db'}"},
    )
    ids = {uuid.uuid4(): loc for loc in ("fr", "ru", "ar", "de")}
    finals = [Completed(), Failed(message="boom"), Crashed(message="killed"), Completed()]
    states = dict(zip(ids, finals, strict=True))
    with sessions(config.database_url)() as s, s.begin():
        project = repo.get_or_create_project(s, config.project, config.source_locale)
        for run_id, locale in ids.items():
            if locale == "ar":
                continue  # crashed before it recorded anything
            row = run_repo.start_run(s, project, "localise", str(run_id))
            counts = {"locales": {locale: {"requests": 3}}, "engine": {"requests": 3}}
            status, message = ("stopped", "cost cap reached") if locale == "de" else ("ok", "")
            run_repo.finish_run(s, row.id, status, counts, message)
    out = summarise(config, ids, {i: SimpleNamespace(state=states[i]) for i in ids})
    assert out.status == "failed"
    assert out.message == "fan-out runs failed: ru (Failed: boom); ar (Crashed: killed)"
    assert sorted(out.locales) == ["de", "fr", "ru"]
    assert out.locales["fr"].requests == 3
    assert out.engine == {"requests": 9}
    assert [c.state for c in out.children] == ["Completed", "Failed", "Crashed", "Completed"]
    ok = {i: SimpleNamespace(state=Completed()) for i in ids}
    stopped = summarise(config, ids, ok)
    assert stopped.status == "stopped" and stopped.message == "de: cost cap reached"


def test_fan_out_without_a_deployment_says_how_to_make_one(
    demo_project: Path, prefect_api: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from prefect.logging.handlers import APILogHandler

    from locflow.flows.localise import localise

    monkeypatch.setenv("LOCFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    toml = demo_project / "locflow.toml"
    toml.write_text(
        toml.read_text().replace('name = "demo"', f'name = "nodeploy{uuid.uuid4().hex[:6]}"')
    )
    with pytest.raises(ConfigError, match=r"fan_out needs a deployment.*locflow deploy --pool"):
        localise(str(toml), ["fr"], fan_out=True, export=False)
    APILogHandler().flush()  # the failed run's logs go now, not after the server has stopped


def test_deploy_needs_a_prefect_server(demo_project: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    done = subprocess.run(
        [str(Path(sys.executable).parent / "locflow"), "deploy", "--pool", "p"],
        cwd=demo_project, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1
    assert "locflow deploy needs a Prefect server" in done.stderr


# --- the whole thing on a work pool --------------------------------------------------------


def _configure(project: Path, base_url: str, rpm: float, tpm: float) -> Path:
    toml = project / "locflow.toml"
    engine = (
        f'name = "qwen_mt"\nbase_url = "{base_url}"\nrpm = {rpm}\ntpm = {tpm}\n'
        "pack = false   # one string per request: enough requests to measure a rate\n"
    )
    toml.write_text(toml.read_text().replace('name = "pseudo"\n', engine))
    return toml


def _masked(data: bytes) -> bytes:
    """The export time is the only difference two runs may have (minutes apart)."""
    return re.sub(rb"PO-Revision-Date: [0-9: +\-]+", b"PO-Revision-Date: <now>", data)


def _catalogues(project: Path) -> dict[str, bytes]:
    root = project / "locale"
    return {
        str(p.relative_to(root)): _masked(p.read_bytes())
        for p in sorted(root.rglob("*"))
        if p.suffix in (".po", ".mo")
    }


@pytest.fixture
def workers(tmp_path: Path, prefect_api: str) -> Iterator[Any]:
    """Starts `prefect worker start` processes on demand; kills them (and any run still
    going in their pool) at teardown."""
    procs: list[tuple[subprocess.Popen[bytes], Path]] = []
    pools: list[str] = []

    def start(pool: str, name: str, env: dict[str, str]) -> Path:
        log = tmp_path / f"{name}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [str(Path(sys.executable).parent / "prefect"), "worker", "start",
                 "--pool", pool, "--type", "process", "--limit", "3", "--name", name],
                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        procs.append((proc, log))
        pools.append(pool)
        return log

    yield start
    try:
        _cancel_runs(set(pools))  # their workers end the flow-run processes they started
    finally:
        for proc, _ in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
    for proc, _ in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _pool_runs(pool: str) -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, WorkPoolFilter, WorkPoolFilterName

    with get_client(sync_client=True) as client:
        return client.read_flow_runs(
            work_pool_filter=WorkPoolFilter(name=WorkPoolFilterName(any_=[pool])),
            flow_run_filter=FlowRunFilter(),
            limit=200,
        )


def _cancel_runs(pools: set[str]) -> None:
    from prefect.client.orchestration import get_client
    from prefect.states import Cancelling

    pending = [r for pool in pools for r in _pool_runs(pool) if not r.state.is_final()]
    if not pending:
        return
    with get_client(sync_client=True) as client:
        for run in pending:
            client.set_flow_run_state(run.id, Cancelling(), force=True)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(
        not r.state.is_final() for pool in pools for r in _pool_runs(pool)
    ):
        time.sleep(0.5)


def _states(db_url: str, project_name: str, locales: list[str]) -> dict[str, dict[str, int]]:
    """{locale: {state: strings}}, with "untranslated" for strings that have no version."""
    from locflow.db import repo, run_repo
    from locflow.db.session import open_database

    Session = open_database(db_url)
    with Session() as s:
        project = repo.find_project(s, project_name)
        assert project is not None
        total = run_repo.live_segment_count(s, project.id)
        counts = run_repo.state_counts(s, project.id)
    Session.kw["bind"].dispose()
    return {
        loc: {**counts.get(loc, {}), "untranslated": total - sum(counts.get(loc, {}).values())}
        for loc in locales
    }


def _worker_env(prefect_api: str, db_url: str, api_key: str) -> dict[str, str]:
    return {
        **os.environ,
        "PREFECT_API_URL": prefect_api,
        "PREFECT_LOGGING_LEVEL": "INFO",
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "LOCFLOW_DATABASE_URL": db_url,
        "DASHSCOPE_API_KEY": api_key,
    }


def _deploy(project: Path, toml: Path, env: dict[str, str], pool: str, name: str) -> None:
    deployed = run_cli(
        "deploy", "--pool", pool, "--name", name, "--config", str(toml), "--json",
        cwd=project, env=env, timeout=120,
    )  # fmt: skip
    assert deployed.returncode == 0, deployed.stderr
    made = json.loads(deployed.stdout)
    assert made["pool"] == pool and sorted(made["deployments"]) == [
        f"localise/{name}",
        f"publish/{name}",
    ]


def _wait_for_run(run_id: uuid.UUID, seconds: float) -> Any:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        deadline = time.monotonic() + seconds
        while not (run := client.read_flow_run(run_id)).state.is_final():
            assert time.monotonic() < deadline, "the fan-out did not finish in time"
            time.sleep(1)
    return run


def _workers_of(children: list[Any], worker_logs: str) -> dict[str, str | None]:
    """{child run name: the worker that logged submitting it}."""
    ran_on = {}
    for r in children:
        found = re.search(rf"Worker '([^']+)' submitting flow run '{r.id}'", worker_logs)
        ran_on[r.name] = found[1] if found else None
    return ran_on


def _summary(
    sim: QwenSim, stamps: tuple[float, float, float, float], ran_on: dict[str, str | None]
) -> str:
    """What the fan-out sent and how long each phase took (printed, not asserted)."""
    t0, t_deployed, t_single, t_done = stamps
    busiest = max_in_window(sim.charged_at, WINDOW)
    span = sim.charged_at[-1] - sim.charged_at[0]
    return (
        f"\nfan-out: {sim.counters.ok} requests ({sim.counters.throttled} throttled), "
        f"{sim.counters.prompt_tokens} tokens in {span:.1f} s "
        f"({(len(sim.charged_at) - 1) / span:.2f}/s, {sim.counters.prompt_tokens / span:.0f} "
        f"tokens/s; busiest {WINDOW:g} s: {busiest}); deploy+workers {t_deployed - t0:.1f} s, "
        f"single-process run {t_single - t_deployed:.1f} s, fan-out done after "
        f"{t_done - t_deployed:.1f} s; workers: {ran_on}"
    )


def _assert_same_as_the_single_run(
    fanned_project: Path, single_project: Path, db_urls: tuple[str, str], locales: list[str]
) -> None:
    """The same catalogues as the single-process run, every locale fully translated."""
    fanned, alone = _catalogues(fanned_project), _catalogues(single_project)
    assert len(fanned) == 2 * len(locales)
    assert fanned.keys() == alone.keys()
    for path in fanned:
        assert fanned[path] == alone[path], path
    fanned_db, single_db = db_urls
    states = _states(fanned_db, "demo", locales)
    assert all(states[loc]["untranslated"] == 0 for loc in locales), states
    assert states == _states(single_db, "demo", locales)


@pytest.mark.slow
def test_fan_out_over_two_workers_equals_one_process_and_keeps_the_account_limits(
    prefect_api: str,
    pg_url: str,
    demo_project: Path,
    tmp_path: Path,
    workers: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from prefect.deployments import run_deployment

    from locflow.flows.localise import localise

    t0 = time.monotonic()
    reference, reference_db = tmp_path / "reference", f"sqlite:///{tmp_path / 'reference.db'}"
    shutil.copytree(demo_project, reference)
    with QwenSim(rpm=RPM, tpm=TPM) as sim, QwenSim() as free_sim:
        toml = _configure(demo_project, sim.base_url, RPM, TPM)
        # the same project and engine, paced for an account without limits (faster)
        ref_toml = _configure(reference, free_sim.base_url, 60_000, 100_000_000)
        locales = list(load_config(toml, env={}).locales)
        assert len(locales) == 4
        pool, name = f"locflow-test-{uuid.uuid4().hex[:8]}", "scale-test"
        env = _worker_env(prefect_api, pg_url, sim.api_key)
        _deploy(demo_project, toml, env, pool, name)
        logs = [workers(pool, f"worker-{i}", env) for i in (1, 2)]
        t_deployed = time.monotonic()

        parent = run_deployment(f"localise/{name}", parameters={"fan_out": True}, timeout=0)
        # meanwhile, the single-process run of the same project on another database
        monkeypatch.setenv("LOCFLOW_DATABASE_URL", reference_db)
        monkeypatch.setenv("DASHSCOPE_API_KEY", free_sim.api_key)
        single = localise(str(ref_toml))
        assert single.status == "completed"
        t_single = time.monotonic()

        run = _wait_for_run(parent.id, 170 - (t_single - t0))
        t_done = time.monotonic()
        worker_logs = "\n".join(log.read_text(errors="replace") for log in logs)
        assert run.state.is_completed(), f"{run.state!r}\n{worker_logs[-4000:]}"
        children = [r for r in _pool_runs(pool) if FAN_OUT_TAG in r.tags]
        ran_on = _workers_of(children, worker_logs)
        print(_summary(sim, (t0, t_deployed, t_single, t_done), ran_on))

        # the account's limits held across both workers: no 429, at most RPM/6 per 10 s
        assert sim.counters.throttled == 0
        assert max_in_window(sim.charged_at, WINDOW) <= RPM / 6 * 1.1
        span = sim.charged_at[-1] - sim.charged_at[0]
        assert sim.counters.prompt_tokens / span <= TPM / 60 * 1.1

        # one child run per locale, and they ran on both workers
        assert sorted(r.name for r in children) == sorted(f"localise-{x}" for x in locales)
        assert all(r.state.is_completed() for r in children)
        assert set(ran_on.values()) == {"worker-1", "worker-2"}, ran_on

        _assert_same_as_the_single_run(demo_project, reference, (pg_url, reference_db), locales)
        assert sim.counters.ok == free_sim.counters.ok  # nothing lost, nothing sent twice
