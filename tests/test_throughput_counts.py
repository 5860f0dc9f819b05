"""Issue 16's targets as counts: the fake-clock variant of bench/throughput_bench.py.

Django 5.0.9's admin catalogue x 5 locales (975 strings) goes through the run's stream of
stored batches (pipeline/stream.py, as the flows send it, without Prefect) and the Qwen-MT
engine configured for the real limits (60 RPM, 100k TPM: its packs sized by that token
budget), against the simulator with faults on every attempt (20 % 429, 5 % 5xx) and
misalignment in 5 % of packed replies. The engine's pacer reads a manual clock that its
waits move forward, so the run takes seconds, and the counts are checked:

- paid requests per 1,000 strings (target: at most 20);
- no string lost, no misaligned translation stored (compared with a fault-free run).

Timing (wall against the fair floor, refusals at the window's edge) is the bench's, on the
real clock: `python -m bench.throughput_bench`; the margin's arithmetic is test_pacing's.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bench.estimate_bench import stream_translate, synced_plans
from bench.throughput_bench import FAULTS, KEY, LOCALES, project, stored
from locflow.connectors.engines.pacing import Pacer
from locflow.connectors.engines.registry import create_engine
from locflow.pipeline.translate import jobs_of
from tests.fakes.qwen_rules import ManualClock
from tests.fakes.qwen_sim import QwenSim
from tests.support.real_data import NEW, sdist

RPM, TPM = 60.0, 100_000.0
SEED = 3


def virtual_sleep(clock: ManualClock):  # type: ignore[no-untyped-def]
    async def sleep(seconds: float) -> None:
        until = clock.now + max(0.0, seconds)
        await asyncio.sleep(0)
        clock.now = max(clock.now, until)  # concurrent waits end at their own moment

    return sleep


def translate_all(root: Path, sim: QwenSim, engine_lines: str, clock: ManualClock | None) -> str:
    """Sync, plan and send every locale in one stream, as the flows do; the database URL."""
    toml = root / "locflow.toml"
    lines = f'name = "qwen_mt"\nbase_url = "{sim.base_url}"\n{engine_lines}'
    toml.write_text(toml.read_text(encoding="utf-8").replace("@ENGINE@", lines), encoding="utf-8")
    url = f"sqlite:///{root / 'run.db'}"
    config, plans = synced_plans(toml, url)
    jobs = {plan.locale: jobs_of(plan) for plan in plans}
    engine = create_engine(config.engine)
    if clock is not None:
        limits = engine.limits()
        engine._translator._pacer = Pacer(  # type: ignore[attr-defined]
            limits.rpm, limits.tpm, clock=clock, sleep=virtual_sleep(clock)
        )
    done = stream_translate(config, engine, jobs)
    assert sum(r.counts.deferred for r in done) == 0
    return url


@pytest.mark.slow
def test_at_the_real_limits_with_faults_twenty_paid_requests_per_thousand_strings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sdist("Django", NEW)  # skips locally without `make real-data`, fails in CI
    monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
    with QwenSim(api_key=KEY) as reference_sim:
        reference = stored(
            translate_all(
                project("admin", tmp_path / "ref", LOCALES), reference_sim, "rpm = 600000", None
            )
        )
    clock = ManualClock()
    sim = QwenSim(api_key=KEY, faults=dict(FAULTS), misalign=0.05, retry_after=0.0, seed=SEED)
    sim.script("429", "503", "drop_line")  # at least these, whatever the draws
    with sim:
        url = translate_all(
            project("admin", tmp_path / "run", LOCALES), sim, f"rpm = {RPM}\ntpm = {TPM}", clock
        )
    translated = stored(url)
    counters = sim.counters
    strings = len(reference)
    assert strings >= 900
    assert sum(counters.injected.values()) >= 2 and sum(counters.misaligned.values()) >= 1
    assert [k for k in reference if k not in translated] == []  # nothing lost
    assert [k for k, v in translated.items() if reference.get(k) != v] == []  # none misaligned
    paid = counters.status[200]
    assert 1000 * paid / strings <= 20, (paid, strings)
