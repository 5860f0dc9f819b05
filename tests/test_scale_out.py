"""Scale-out (flows/scale.py), the pieces: the shared-limit hook, Prefect global concurrency
limits as the account's RPM/TPM, a parent's report of its children, and deploying. The whole
fan-out over a work pool is in test_fan_out_pool.py."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from locflow.connectors.engines.base import Limits
from locflow.connectors.engines.pacing import Pacer
from locflow.connectors.engines.registry import create_engine
from locflow.flows.scale import (
    LimitSpec,
    SharedLimiter,
    ensure_limits,
    limit_specs,
    run_engine,
    shared_limiter,
    token_chunks,
)
from locflow.settings import ConfigError, EngineSettings, load_config

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
    # each call waits for its local slot (1 s apart, and the 2 % edge margin) first, then
    # for the shared limiter
    step = pacer.request_interval
    assert step == pytest.approx(1.02)
    assert seen == [(5, 0.0), (7, pytest.approx(step)), (9, pytest.approx(2 * step))]


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
    are spaced by the server's slot decay even when the local pacer would let them go.
    Only what a busy machine cannot break is asserted: every call took a slot, and 12 calls
    through one slot decaying at 10 a second cannot end sooner than 1.1 s after the start
    (a count of calls in a window of the client's own clock can, when a stall bunches the
    moments it notes them)."""
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
    assert times[-1] - started >= 11 / 10


def test_the_parent_reports_failed_and_stopped_children(demo_project: Path, tmp_path: Path) -> None:
    from types import SimpleNamespace

    from prefect.states import Completed, Crashed, Failed

    from locflow.db import repo, run_repo
    from locflow.flows.scale import summarise
    from locflow.pipeline.units import sessions, start_run

    config = load_config(
        demo_project / "locflow.toml",
        env={"LOCFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'parent.db'}"},
    )
    ids = {uuid.uuid4(): loc for loc in ("fr", "ru", "ar", "de")}
    finals = [Completed(), Failed(message="boom"), Crashed(message="killed"), Completed()]
    states = dict(zip(ids, finals, strict=True))
    parent = start_run(config, "localise", "parent")
    with sessions(config.database_url)() as s, s.begin():
        project = repo.get_or_create_project(s, config.project, config.source_locale)
        for run_id, locale in ids.items():
            if locale == "ar":
                continue  # crashed before it recorded anything
            row = run_repo.start_run(s, project, "localise", str(run_id), parent_id=parent)
            counts = {"locales": {locale: {"requests": 3}}, "engine": {"requests": 3}}
            status, message = ("stopped", "cost cap reached") if locale == "de" else ("ok", "")
            run_repo.finish_run(s, row.id, status, counts, message)
    out = summarise(config, ids, {i: SimpleNamespace(state=states[i]) for i in ids}, parent)
    assert out.status == "failed"
    assert out.message == "fan-out runs failed: ru (Failed: boom); ar (Crashed: killed)"
    assert sorted(out.locales) == ["de", "fr", "ru"]
    assert out.locales["fr"].requests == 3
    assert out.engine == {"requests": 9}
    assert [c.state for c in out.children] == ["Completed", "Failed", "Crashed", "Completed"]
    ok = {i: SimpleNamespace(state=Completed()) for i in ids}
    stopped = summarise(config, {i: x for i, x in ids.items() if x != "ar"}, ok, parent)
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
