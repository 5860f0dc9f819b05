"""openai_compat's concurrency from the server's parallel slots (llama.cpp's `/props`
`total_slots`), its pack sizes across event loops, and AdaptivePacking, against the real
loopback chat server through the real client."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from locflow.connectors.engines.base import AdaptivePacking
from locflow.connectors.engines.local_server import props_url, total_slots
from locflow.connectors.engines.openai_compat import OpenAICompatEngine
from locflow.settings import EngineSettings
from tests.fakes.chat_server import ChatServer
from tests.support.compat_engine import BATCH, FAST, Make, assert_translated, req, run


def engine_for(url: str, concurrency: int | None = None, **extra: object) -> OpenAICompatEngine:
    settings = EngineSettings(
        name="openai_compat",
        model="m",
        base_url=url,
        concurrency=concurrency,
        timeout=5,
        extra=tuple(sorted(extra.items())),
    )
    return OpenAICompatEngine(settings, policy=FAST)


def test_the_setting_wins_and_props_is_not_asked() -> None:
    with ChatServer(total_slots=4) as server:
        engine = engine_for(server.url, concurrency=2)
        assert engine.limits().concurrency == 2
        assert_translated(BATCH, run(engine, BATCH))
        assert engine.concurrency().source == "setting"
        assert server.props_requests == 0


def test_without_a_setting_the_server_total_slots_are_used_and_asked_once() -> None:
    with ChatServer(total_slots=4) as server:
        engine = engine_for(server.url)
        assert engine.limits().concurrency == 4
        assert engine.limits().concurrency == 4
        assert_translated(BATCH, run(engine, BATCH))
        assert_translated(BATCH, run(engine, BATCH))  # a second event loop
        assert server.props_requests == 1
        assert engine._translator is not None and engine._translator.concurrency == 4
        assert [r.path for r in server.requests].count("/props") == 0  # not an API call


def test_the_translator_keeps_total_slots_requests_in_flight() -> None:
    """Count-based: the server holds the first requests until 4 are in flight at once, so
    the maximum is 4 exactly when the engine sends 4 at once, and never 5."""
    with ChatServer(total_slots=4) as server:
        server.gather = 4
        engine = engine_for(server.url, pack_size=1)
        batch = [req(f"k{i}", f"String number {i}") for i in range(12)]
        assert all(r.ok for r in run(engine, batch))
        assert len(server.bodies("/chat/completions")) == 12
        assert server.max_in_flight == 4


def test_the_fake_server_like_llama_cpp_queues_a_request_beyond_its_slots() -> None:
    """Four requests in flight at once (the setting), at most two decoded at once."""
    with ChatServer(total_slots=2, delay=0.01) as server:
        server.gather = 4
        engine = engine_for(server.url, concurrency=4, pack_size=1)
        batch = [req(f"k{i}", f"String number {i}") for i in range(8)]
        assert all(r.ok for r in run(engine, batch))
        assert server.max_in_flight == 4 and 1 <= server.max_serving <= 2


def test_probe_shows_the_concurrency_and_where_it_came_from() -> None:
    with ChatServer(total_slots=3) as server:
        shown = asyncio.run(engine_for(server.url).probe()).as_dict()
        assert (shown["concurrency"], shown["concurrency_source"]) == (3, "server")
    with ChatServer() as server:
        shown = asyncio.run(engine_for(server.url).probe()).as_dict()
        assert (shown["concurrency"], shown["concurrency_source"]) == (1, "default")


def test_no_props_route_means_one(make: Make, server: ChatServer) -> None:
    engine = make(concurrency=None)
    assert engine.limits().concurrency == 1 and engine.concurrency().source == "default"
    assert server.props_requests == 1  # asked, answered 404 (vLLM, Ollama)
    assert_translated(BATCH, run(engine, BATCH))


@pytest.mark.parametrize(
    "props",
    [
        b"<html>not json</html>",
        b'{"total_slots": ',
        {"total_slots": "four"},
        {"total_slots": 0},
        {"total_slots": True},
        {"total_slots": 2.5},
        {"slots": 4},
        [4],
    ],
)
def test_props_garbage_means_one(make: Make, server: ChatServer, props: Any) -> None:
    server.props = props
    engine = make(concurrency=None)
    assert engine.limits().concurrency == 1
    assert server.props_requests == 1
    assert_translated(BATCH, run(engine, BATCH))


def test_an_unreachable_server_is_one_not_an_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert engine_for(f"http://127.0.0.1:{port}/v1").limits().concurrency == 1


def test_props_lives_at_the_root_and_reported_slots_are_capped() -> None:
    assert props_url("http://127.0.0.1:8080/v1") == "http://127.0.0.1:8080/props"
    assert props_url("http://127.0.0.1:8080/v1/") == "http://127.0.0.1:8080/props"
    assert props_url("http://host/llama") == "http://host/llama/props"
    assert total_slots({"total_slots": 8}) == 8
    assert total_slots({"total_slots": 10**9}) == 64


def test_the_pack_size_adapts_and_carries_over_to_a_new_event_loop(
    server: ChatServer, make: Make
) -> None:
    engine = make(pack_size=4)
    server.script("swap")  # the first pack misaligned: split, the size halves to 2
    assert_translated(BATCH, run(engine, BATCH))
    assert engine.pack_size == 2
    before = len(server.bodies("/chat/completions"))
    assert_translated(BATCH, run(engine, BATCH))  # a new loop, a new translator
    assert len(server.bodies("/chat/completions")) - before == 2  # still packs of 2


def test_adaptive_packing_is_the_translators(server: ChatServer, make: Make) -> None:
    """Sizes resumed before any call are where the translator starts (fr at 1: packs of 1
    and 2, each full one verified grows the size by one, then the one string left); they
    carry over to a new event loop's
    translator, and a later resume changes only the locales it names."""
    engine = make(pack_size=4)
    assert isinstance(engine, AdaptivePacking)
    engine.resume_pack_sizes({"fr": 1, "de": 2})
    assert engine.pack_sizes() == {"fr": 1, "de": 2}  # before any call: where it will start
    assert_translated(BATCH, run(engine, BATCH))
    assert len(server.bodies("/chat/completions")) == 3  # sizes 1, 2, then the last one
    grown = engine.pack_sizes()
    assert grown["de"] == 2 and grown["fr"] == 3
    first = engine._translator
    assert_translated(BATCH, run(engine, BATCH))  # a new loop starts where the last ended
    assert engine._translator is not first
    assert len(server.bodies("/chat/completions")) == 5  # packs of 3 and 1, not 1, 2, 1
    engine.resume_pack_sizes({"fr": 1})
    assert engine.pack_sizes() == {"fr": 1, "de": 2}
