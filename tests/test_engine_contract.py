"""The contract every engine in ENGINES passes.

A new engine adds one entry to FACTORIES: a function returning that engine configured for
tests (a fake server, a stub client…). test_every_engine_has_a_factory fails until it does.
"""

import asyncio
from collections.abc import Callable

import pytest

from locflow.connectors.engines import (
    ENGINES,
    Engine,
    EngineError,
    Limits,
    Request,
    Result,
    create_engine,
)
from locflow.settings import EngineSettings
from tests.fakes.chat_server import shared_server


def _qwen_mt() -> Engine:
    """Qwen-MT against the strict simulated provider (bench/qwen_sim.py)."""
    from locflow.connectors.engines.qwen_mt import QwenMTEngine
    from tests.fakes.qwen_sim import shared_sim

    sim = shared_sim()
    settings = EngineSettings(
        name="qwen_mt", base_url=sim.base_url, rpm=6000, tpm=10_000_000, concurrency=4, timeout=10
    )
    return QwenMTEngine(settings, env={"DASHSCOPE_API_KEY": sim.api_key})


FACTORIES: dict[str, Callable[[], Engine]] = {
    "pseudo": lambda: create_engine(EngineSettings(name="pseudo")),
    "qwen_mt": _qwen_mt,
    "openai_compat": lambda: create_engine(
        EngineSettings(name="openai_compat", base_url=shared_server().url, timeout=10)
    ),
}


@pytest.fixture(params=sorted(FACTORIES))
def engine_factory(request: pytest.FixtureRequest) -> Callable[[], Engine]:
    return FACTORIES[request.param]


def run(engine: Engine, batch: list[Request]) -> list[Result]:
    return asyncio.run(engine.translate(batch))


def req(key: str, text: str, tokens: tuple[str, ...] = (), target: str = "fr") -> Request:
    return Request(key=key, text=text, source_locale="en", target_locale=target, tokens=tokens)


def test_every_engine_has_a_factory() -> None:
    assert set(FACTORIES) == set(ENGINES)


def test_is_an_engine(engine_factory: Callable[[], Engine]) -> None:
    engine = engine_factory()
    assert isinstance(engine, Engine)
    assert engine.name in ENGINES


def test_limits_are_sane(engine_factory: Callable[[], Engine]) -> None:
    limits = engine_factory().limits()
    assert isinstance(limits, Limits)
    assert limits.concurrency >= 1
    for value in (limits.rpm, limits.tpm, limits.max_input_tokens):
        assert value is None or value > 0


def test_empty_batch(engine_factory: Callable[[], Engine]) -> None:
    assert run(engine_factory(), []) == []


def test_one_result_per_request_in_order(engine_factory: Callable[[], Engine]) -> None:
    batch = [req("k3", "Open"), req("k1", "Close"), req("k2", "Save the file")]
    results = run(engine_factory(), batch)
    assert [r.key for r in results] == ["k3", "k1", "k2"]
    for result in results:
        assert isinstance(result, Result)
        assert result.error is None
        assert isinstance(result.text, str) and result.text.strip()
        assert result.tokens_in >= 0 and result.tokens_out >= 0


def test_tokens_come_back(engine_factory: Callable[[], Engine]) -> None:
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
def test_unicode(engine_factory: Callable[[], Engine], text: str, target: str) -> None:
    [result] = run(engine_factory(), [req("u", text, target=target)])
    assert result.key == "u" and result.error is None
    assert result.text and result.text.strip()


def test_fifty_requests(engine_factory: Callable[[], Engine]) -> None:
    batch = [req(f"k{i}", f"String number {i} with [X0X]", ("[X0X]",)) for i in range(50)]
    results = run(engine_factory(), batch)
    assert [r.key for r in results] == [f"k{i}" for i in range(50)]
    assert all(r.error is None and r.text and "[X0X]" in r.text for r in results)


def test_errors_in_results_are_engine_errors(engine_factory: Callable[[], Engine]) -> None:
    for result in run(engine_factory(), [req("e", ""), req("f", "x")]):
        assert result.error is None or isinstance(result.error, EngineError)
