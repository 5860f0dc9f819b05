"""Pacing and retries: Pacer with a fake clock, with_retries, and real pacing against the
simulator (which throttles per second like the real API)."""

from __future__ import annotations

import asyncio
import random
import time

import httpx
import pytest

from locflow.connectors.engines.base import Fatal, RateLimited, Rejected, Request, Transient
from locflow.connectors.engines.pacing import (
    EDGE_MARGIN,
    CallStats,
    Pacer,
    RetryPolicy,
    estimate_tokens,
    with_retries,
)
from locflow.connectors.engines.qwen_mt import QwenMTEngine
from locflow.settings import EngineSettings
from tests.fakes.qwen_rules import OVERHEAD, sim_tokens
from tests.fakes.qwen_sim import QwenSim

M = 1 + EDGE_MARGIN
"""Every interval is stretched by the edge margin."""


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_requests_are_spaced_evenly() -> None:
    clock = FakeClock()
    pacer = Pacer(rpm=60, tpm=None, clock=clock)
    assert [pacer.reserve(10) - 100 for _ in range(4)] == pytest.approx([0, M, 2 * M, 3 * M])


def test_tokens_are_spaced_by_their_cost() -> None:
    clock = FakeClock()
    pacer = Pacer(rpm=None, tpm=6000, clock=clock)  # 100 tokens per second
    starts = [pacer.reserve(tokens) - 100 for tokens in (50, 200, 100, 10)]
    assert starts == pytest.approx([0, 0.5 * M, 2.5 * M, 3.5 * M])


def test_the_stricter_limit_wins() -> None:
    clock = FakeClock()
    pacer = Pacer(rpm=120, tpm=6000, clock=clock)  # 0.5 s per request, 100 tokens/s
    starts = [pacer.reserve(tokens) - 100 for tokens in (10, 10, 300, 10)]
    assert starts == pytest.approx([0, 0.5 * M, 1.0 * M, 4.0 * M])


def test_no_burst_credit_after_idle() -> None:
    clock = FakeClock()
    pacer = Pacer(rpm=60, tpm=None, clock=clock)
    pacer.reserve(1)
    clock.now += 30  # idle for 30 slots: no burst may follow
    assert [pacer.reserve(1) - clock.now for _ in range(3)] == pytest.approx([0, M, 2 * M])


def test_settle_corrects_the_token_budget() -> None:
    clock = FakeClock()
    pacer = Pacer(rpm=None, tpm=6000, clock=clock)
    pacer.reserve(100)  # next at +1 s
    pacer.settle(estimated=100, actual=300)  # it really cost 3 s worth
    assert pacer.reserve(1) - 100 == pytest.approx(3.0 * M)


@pytest.mark.parametrize("rpm", [60, 6, 600])
def test_no_request_lands_on_the_window_edge(rpm: int) -> None:
    """Any rpm + 1 consecutive requests span more than the provider's 60 s window, by the
    margin: spaced exactly 60/rpm apart, the (rpm + 1)-th would start at 60.00 s, on the
    sliding window's edge (a 429 on the real API), and this test would fail."""
    clock = FakeClock()
    pacer = Pacer(rpm=rpm, tpm=None, clock=clock)
    starts = [pacer.reserve(10) for _ in range(2 * rpm + 2)]
    spans = [starts[i + rpm] - starts[i] for i in range(len(starts) - rpm)]
    assert min(spans) >= 60.5  # a literal: the test must not follow the constant to 0


def test_no_token_window_holds_more_than_the_tpm() -> None:
    """Requests of tpm/10 tokens each: any eleven of them (1.1 x the TPM) span more than
    60 s, with the margin to spare."""
    clock = FakeClock()
    pacer = Pacer(rpm=None, tpm=100_000, clock=clock)
    starts = [pacer.reserve(10_000) for _ in range(30)]
    spans = [starts[i + 10] - starts[i] for i in range(len(starts) - 10)]
    assert min(spans) >= 60.5


def test_block_for() -> None:
    clock = FakeClock()
    pacer = Pacer(rpm=600, tpm=None, clock=clock)
    pacer.block_for(5)
    assert pacer.reserve(1) - 100 == 5


def test_acquire_sleeps_until_its_slot() -> None:
    clock = FakeClock()
    pacer = Pacer(rpm=30, tpm=None, clock=clock, sleep=clock.sleep)

    async def three() -> None:
        for _ in range(3):
            await pacer.acquire(1)

    asyncio.run(three())
    assert clock.sleeps == pytest.approx([2 * M, 2 * M])


def test_unlimited_never_waits() -> None:
    clock = FakeClock()
    pacer = Pacer(rpm=None, tpm=None, clock=clock)
    assert {pacer.reserve(10**6) for _ in range(5)} == {100}


def test_backoff_is_full_jitter_and_capped() -> None:
    policy = RetryPolicy(base=0.5, cap=4)
    rng = random.Random(7)
    for attempt in range(8):
        values = [policy.backoff(attempt, rng) for _ in range(200)]
        ceiling = min(4, 0.5 * 2**attempt)
        assert all(0 <= v <= ceiling for v in values)
        assert max(values) > ceiling * 0.8  # spread over the whole range


def _flaky(errors: list[Exception], result: str = "done"):
    calls = {"n": 0}

    async def call() -> str:
        calls["n"] += 1
        if errors:
            raise errors.pop(0)
        return result

    return call, calls


def test_retries_honour_retry_after_and_back_off() -> None:
    clock = FakeClock()
    call, calls = _flaky(
        [RateLimited("429", retry_after=7.0), Transient("503"), RateLimited("429")]
    )
    stats = CallStats()
    out = asyncio.run(
        with_retries(
            call, RetryPolicy(base=1, cap=10), stats=stats, sleep=clock.sleep, rng=random.Random(1)
        )
    )
    assert out == "done" and calls["n"] == 4
    assert clock.sleeps[0] == 7.0  # exactly what the server asked for
    assert 0 <= clock.sleeps[1] <= 2 and 0 <= clock.sleeps[2] <= 4
    assert (stats.attempts, stats.rate_limited, stats.transient) == (4, 2, 1)


@pytest.mark.parametrize("error", [Rejected("400"), Fatal("401")])
def test_no_retry_for_rejected_or_fatal(error: Exception) -> None:
    clock = FakeClock()
    call, calls = _flaky([error])
    with pytest.raises(type(error)):
        asyncio.run(with_retries(call, RetryPolicy(), sleep=clock.sleep))
    assert calls["n"] == 1 and clock.sleeps == []


def test_gives_up_after_the_last_attempt() -> None:
    clock = FakeClock()
    call, calls = _flaky([Transient("x")] * 5)
    with pytest.raises(Transient):
        asyncio.run(with_retries(call, RetryPolicy(attempts=3), sleep=clock.sleep))
    assert calls["n"] == 3 and len(clock.sleeps) == 2


def test_estimate_tokens() -> None:
    assert estimate_tokens("") == 1
    assert estimate_tokens("a" * 40) == 10
    assert estimate_tokens("日本語") == 3


# --- against the simulator ----------------------------------------------------------------
# The pacer and the simulator read one FakeClock: the pacer's sleeps move it, the simulator's
# rate limiter reads it, and it stands still while a request is in flight. What is checked is
# the schedule itself, so a busy machine cannot bunch sends and turn a pass into a fail.


def _send_paced(sim: QwenSim, pacer: Pacer, texts: list[str]) -> list[int]:
    """Send each text through the pacer as the engines do (acquire with an estimate, settle
    with the provider's count); returns each attempt's HTTP status."""
    statuses: list[int] = []

    async def send() -> None:
        for text in texts:
            estimate = estimate_tokens(text)
            await pacer.acquire(estimate)
            reply = httpx.post(
                f"{sim.base_url}/chat/completions",
                headers={"Authorization": f"Bearer {sim.api_key}"},
                json={
                    "model": "qwen-mt-flash",
                    "messages": [{"role": "user", "content": text}],
                    "translation_options": {"source_lang": "English", "target_lang": "German"},
                },
                timeout=10,
            )
            statuses.append(reply.status_code)
            if reply.status_code == 200:
                pacer.settle(estimate, reply.json()["usage"]["prompt_tokens"])

    asyncio.run(send())
    return statuses


def _texts(n: int, words: int = 3) -> list[str]:
    return [" ".join(["Save"] * words) + f" {i}" for i in range(n)]


def test_paced_requests_keep_the_simulators_per_second_request_rule() -> None:
    clock = FakeClock()
    with QwenSim(rpm=600, clock=clock) as sim:  # 10 per second
        pacer = Pacer(rpm=600, tpm=None, clock=clock, sleep=clock.sleep)
        statuses = _send_paced(sim, pacer, _texts(16))
    assert statuses == [200] * 16 and sim.counters.throttled == 0
    at = sim.charged_at
    assert at[-1] - at[0] == pytest.approx(15 / 10 * M)
    assert all(at[i + 10] - at[i] >= 1.0 - 1e-9 for i in range(len(at) - 10))


def test_paced_tokens_keep_the_simulators_per_second_token_rule() -> None:
    clock = FakeClock()
    tpm = 30_000  # 500 input tokens per second
    with QwenSim(tpm=tpm, clock=clock) as sim:
        pacer = Pacer(rpm=None, tpm=tpm, clock=clock, sleep=clock.sleep)
        texts = _texts(14, 8)
        statuses = _send_paced(sim, pacer, texts)
        spent = sim.counters.prompt_tokens
    assert statuses == [200] * 14 and sim.counters.throttled == 0
    last = OVERHEAD + sim_tokens(texts[-1])  # the simulator's charge for the last one
    assert clock.now - 100 == pytest.approx((spent - last) / (tpm / 60) * M)


def test_unpaced_bursts_do_get_throttled() -> None:
    """The control for the two tests above: the same load, unpaced, is throttled for real:
    with the simulator's clock standing still, exactly one second's worth gets through."""
    clock = FakeClock()
    with QwenSim(rpm=600, clock=clock) as sim:
        statuses = _send_paced(sim, Pacer(rpm=None, tpm=None, clock=clock), _texts(20))
    assert statuses == [200] * 10 + [429] * 10 and sim.counters.throttled == 10


def _engine(sim: QwenSim, rpm: float, tpm: float, attempts: int = 12) -> QwenMTEngine:
    settings = EngineSettings(
        name="qwen_mt",
        base_url=sim.base_url,
        rpm=rpm,
        tpm=tpm,
        concurrency=8,
        pack=False,
        timeout=5,
    )
    return QwenMTEngine(
        settings,
        env={"DASHSCOPE_API_KEY": sim.api_key},
        policy=RetryPolicy(attempts=attempts, base=0.1, cap=0.4),
    )


def _requests(n: int, words: int = 3) -> list[Request]:
    return [Request(f"k{i}", " ".join(["Save"] * words) + f" {i}", "en", "de") for i in range(n)]


# The engine on the real clock: only what a busy machine cannot break (it is never faster
# than its pacer allows, and what a stall bunches up is retried). The schedule itself is
# checked above, on the fake clock.


def test_the_engine_paces_its_requests() -> None:
    n = 16
    with QwenSim(rpm=600) as sim:  # 10 per second
        started = time.monotonic()
        results = asyncio.run(_engine(sim, rpm=600, tpm=10**8).translate(_requests(n)))
        elapsed = time.monotonic() - started
        assert all(r.ok for r in results)
        assert elapsed >= (n - 1) / 10 and sim.counters.charged >= n


def test_the_engine_paces_its_tokens() -> None:
    tpm = 30_000  # 500 input tokens per second
    with QwenSim(tpm=tpm) as sim:
        started = time.monotonic()
        results = asyncio.run(_engine(sim, rpm=60_000, tpm=tpm).translate(_requests(14, 8)))
        elapsed = time.monotonic() - started
        assert all(r.ok for r in results)
        charged = sim.counters.prompt_tokens
        per_request = charged / sim.counters.charged
        assert elapsed >= 0.85 * (charged - per_request) / (tpm / 60)


def test_the_engine_retries_what_a_burst_gets_throttled() -> None:
    """Unpaced, with the simulator's clock standing still: one second's worth is admitted,
    the rest is throttled, retried, and reported as not done (nothing is lost silently)."""
    with QwenSim(rpm=600, clock=FakeClock()) as sim:
        results = asyncio.run(
            _engine(sim, rpm=60_000, tpm=10**8, attempts=2).translate(_requests(20))
        )
    assert sim.counters.charged == 10 and sim.counters.throttled == 20
    assert sum(r.ok for r in results) == 10


def test_turn_waits_for_the_next_slot_without_taking_it() -> None:
    """The pack queue forms a pack only once the pace allows it to go (pacing.Pacer.turn):
    it sleeps until the next slot, and the reservation made then starts at once."""
    clock = FakeClock()
    pacer = Pacer(rpm=60, tpm=None, clock=clock, sleep=clock.sleep)
    pacer.reserve(1)
    asyncio.run(pacer.turn())
    assert clock.sleeps == pytest.approx([M]) and pacer.reserve(1) == clock.now
    asyncio.run(pacer.turn())
    assert clock.sleeps == pytest.approx([M, M])
