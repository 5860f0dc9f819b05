"""The contract every engine in ENGINES passes.

A new engine adds one entry to FACTORIES: a function returning that engine configured for
tests (a fake server, a stub client…), built with the shared limiter it is given.
test_every_engine_has_a_factory fails until it does.
"""

import asyncio
import json
from collections.abc import Callable

import pytest

from locflow.connectors.engines import (
    ENGINES,
    Engine,
    EngineError,
    EngineStats,
    Limits,
    ProbeResult,
    Request,
    Result,
    create_engine,
)
from locflow.connectors.engines.pacing import SharedRateLimit
from locflow.connectors.engines.pseudo import PseudoEngine
from locflow.settings import EngineSettings
from tests.fakes.chat_server import shared_server
from tests.fakes.qwen_sim import shared_sim
from tests.fakes.scripted_engine import ScriptedEngine

Factory = Callable[..., Engine]
"""`factory(shared=None)`: the engine, taking `shared` as its account-wide limiter."""


def _qwen_mt(shared: SharedRateLimit | None = None) -> Engine:
    """Qwen-MT against the strict simulated provider (tests/fakes/qwen_sim.py)."""
    from locflow.connectors.engines.qwen_mt import QwenMTEngine

    sim = shared_sim()
    settings = EngineSettings(
        name="qwen_mt", base_url=sim.base_url, rpm=6000, tpm=10_000_000, concurrency=4, timeout=10
    )
    return QwenMTEngine(settings, shared=shared, env={"DASHSCOPE_API_KEY": sim.api_key})


def _openai_compat(shared: SharedRateLimit | None = None) -> Engine:
    """openai_compat against the loopback chat server (tests/fakes/chat_server.py)."""
    settings = EngineSettings(name="openai_compat", base_url=shared_server().url, timeout=10)
    return create_engine(settings, shared=shared)


def _pseudo(shared: SharedRateLimit | None = None) -> Engine:
    return create_engine(EngineSettings(name="pseudo"), shared=shared)


FACTORIES: dict[str, Factory] = {
    "pseudo": _pseudo,
    "qwen_mt": _qwen_mt,
    "openai_compat": _openai_compat,
}


class RecordingLimit:
    """A SharedRateLimit that admits every call at once and keeps the tokens asked for."""

    def __init__(self) -> None:
        self.tokens: list[int] = []

    async def __call__(self, tokens: int) -> None:
        self.tokens.append(tokens)


@pytest.fixture(params=sorted(FACTORIES))
def engine_factory(request: pytest.FixtureRequest) -> Factory:
    return FACTORIES[request.param]


def run(engine: Engine, batch: list[Request]) -> list[Result]:
    return asyncio.run(engine.translate(batch))


def req(key: str, text: str, tokens: tuple[str, ...] = (), target: str = "fr") -> Request:
    return Request(key=key, text=text, source_locale="en", target_locale=target, tokens=tokens)


def test_every_engine_has_a_factory() -> None:
    assert set(FACTORIES) == set(ENGINES)


def test_is_an_engine(engine_factory: Factory) -> None:
    engine = engine_factory()
    assert isinstance(engine, Engine)
    assert engine.name in ENGINES
    assert isinstance(engine.model, str)


def test_the_engine_doubles_are_engines() -> None:
    for double in (ScriptedEngine({}), PseudoEngine(reject_marker="x")):
        assert isinstance(double, Engine)
        assert asyncio.run(double.probe()).sent is False and double.stats() is None


def test_probe(engine_factory: Factory) -> None:
    """One signature for every engine: what `locflow probe` and `doctor` show."""
    engine = engine_factory()
    probe = asyncio.run(engine.probe())
    assert isinstance(probe, ProbeResult)
    assert probe.engine == engine.name and probe.limits == engine.limits()
    shown = probe.as_dict()
    assert next(iter(shown.items())) == ("engine", engine.name)
    assert json.loads(json.dumps(shown))  # `locflow probe --json` prints it
    if not probe.sent:
        assert shown["note"] == "offline engine: nothing to probe"
        assert shown["limits"] == json.loads(json.dumps(engine.limits().__dict__))
        return
    assert shown["model"] == engine.model != ""
    assert isinstance(shown["text"], str) and shown["text"].strip()
    assert isinstance(shown["latency_s"], float) and shown["latency_s"] >= 0


def test_stats_count_what_was_sent(engine_factory: Factory) -> None:
    engine = engine_factory()
    before = engine.stats()
    results = run(engine, [req("a", "Open [X0X]", ("[X0X]",)), req("b", "Close")])
    after = engine.stats()
    if before is None:  # an offline engine counts nothing: no `engine` in the run record
        assert after is None
        return
    assert before == EngineStats()  # a snapshot: later calls do not change it
    assert isinstance(after, EngineStats) and after.requests >= 1
    assert after.tokens_in == sum(r.tokens_in for r in results) > 0
    assert after.tokens_out == sum(r.tokens_out for r in results) > 0
    assert sum(count for _, count in after.sizes) == after.singles + after.packs_verified
    record = after.as_dict()  # `engine` in the run JSON and its `runs` row
    assert list(record) == [
        "requests", "paid_requests", "packs", "packs_verified", "packs_split", "singles",
        "rate_limited", "transient", "tokens_in", "tokens_out", "sizes",
        "pack_sizes", "pack_trajectory",
    ]  # fmt: skip
    assert 1 <= record["paid_requests"] <= record["requests"]
    assert record["sizes"] == dict(after.sizes)


def test_the_shared_limit_is_awaited_for_every_request(engine_factory: Factory) -> None:
    """The account-wide limiter is given when the engine is built, and every request
    waits for it (an offline engine sends nothing, so it never asks)."""
    limit = RecordingLimit()
    engine = engine_factory(shared=limit)
    batch = [req(f"k{i}", f"String number {i}") for i in range(5)]
    assert all(r.error is None for r in run(engine, batch))
    stats = engine.stats()
    if stats is None:
        assert limit.tokens == []
        return
    assert len(limit.tokens) == stats.requests >= 1
    assert all(tokens > 0 for tokens in limit.tokens)


def test_limits_are_sane(engine_factory: Factory) -> None:
    limits = engine_factory().limits()
    assert isinstance(limits, Limits)
    assert limits.concurrency >= 1
    for value in (limits.rpm, limits.tpm, limits.max_input_tokens):
        assert value is None or value > 0


def test_empty_batch(engine_factory: Factory) -> None:
    assert run(engine_factory(), []) == []


def test_one_result_per_request_in_order(engine_factory: Factory) -> None:
    batch = [req("k3", "Open"), req("k1", "Close"), req("k2", "Save the file")]
    results = run(engine_factory(), batch)
    assert [r.key for r in results] == ["k3", "k1", "k2"]
    for result in results:
        assert isinstance(result, Result)
        assert result.error is None
        assert isinstance(result.text, str) and result.text.strip()
        assert result.tokens_in >= 0 and result.tokens_out >= 0


def test_tokens_come_back(engine_factory: Factory) -> None:
    batch = [
        req("a", "Hello [X0X], you have [X1X] new messages", ("[X0X]", "[X1X]")),
        req("b", "[X0X]Bold[X1X] and [X2X]", ("[X0X]", "[X1X]", "[X2X]")),
        req("c", "Line one[X0X]Line two", ("[X0X]",)),
    ]
    for request, result in zip(batch, run(engine_factory(), batch), strict=True):
        assert result.text is not None
        for token in request.tokens:
            assert result.text.count(token) == 1, (token, result.text)


@pytest.mark.parametrize(
    ("text", "target"),
    [("Café déjà vu — naïve", "de"), ("日本語のテキスト", "fr"), ("Emoji 🎉 party", "ja")],
)
def test_unicode(engine_factory: Factory, text: str, target: str) -> None:
    [result] = run(engine_factory(), [req("u", text, target=target)])
    assert result.key == "u" and result.error is None
    assert result.text and result.text.strip()


def test_fifty_requests(engine_factory: Factory) -> None:
    batch = [req(f"k{i}", f"String number {i} with [X0X]", ("[X0X]",)) for i in range(50)]
    results = run(engine_factory(), batch)
    assert [r.key for r in results] == [f"k{i}" for i in range(50)]
    assert all(r.error is None and r.text and "[X0X]" in r.text for r in results)


def test_errors_in_results_are_engine_errors(engine_factory: Factory) -> None:
    for result in run(engine_factory(), [req("e", ""), req("f", "x")]):
        assert result.error is None or isinstance(result.error, EngineError)
