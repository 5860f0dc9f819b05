"""One queue across concurrent translate() calls (issue 16): QwenMTEngine over real HTTP (the
`openai` client) against the strict Qwen-MT simulator. Concurrency 1 makes the packs' order
deterministic: the next pack is formed only once the previous one has come back."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from locflow.connectors.engines.base import Fatal, Request, Result
from locflow.connectors.engines.qwen_mt import QwenMTEngine, unpack_texts
from locflow.connectors.engines.spend import Hold, guarded
from tests.fakes.qwen_rules import sim_translate
from tests.fakes.qwen_sim import QwenSim
from tests.support.qwen_engine import qwen_on


@pytest.fixture
def sim() -> Iterator[QwenSim]:
    with QwenSim() as s:
        yield s


def make(sim: QwenSim, pack_size: int = 100, **settings: Any) -> QwenMTEngine:
    return qwen_on(sim, pack_size=pack_size, **settings)


def batch(name: str, n: int = 30, target: str = "de") -> list[Request]:
    return [
        Request(f"{name}{i}", f"Open {name} file {i} [X0X]", "en", target, tokens=("[X0X]",))
        for i in range(n)
    ]


def sent(sim: QwenSim) -> list[tuple[str, list[str]]]:
    """(target language, the strings' texts) of each request, in the order they came."""
    out = []
    for body in sim.bodies:
        content = body["messages"][0]["content"]
        texts = unpack_texts(content, content.count("⟦")) if "⟦" in content else [content]
        assert texts is not None
        out.append((body["translation_options"]["target_lang"], texts))
    return out


def names(texts: list[str]) -> set[str]:
    return {t.split()[1] for t in texts}


def assert_right(requests: list[Request], results: list[Result]) -> None:
    assert [r.key for r in results] == [r.key for r in requests]
    assert [r.text for r in results] == [sim_translate(r.text, ()) for r in requests]


def test_packs_span_the_batches_of_concurrent_calls(sim: QwenSim) -> None:
    engine = make(sim, pack_size=40)
    a, b = batch("a"), batch("b")

    async def both() -> list[list[Result]]:
        return list(await asyncio.gather(engine.translate(a), engine.translate(b)))

    got_a, got_b = asyncio.run(both())
    assert_right(a, got_a)  # each caller gets its own results, in its order
    assert_right(b, got_b)
    packs = [texts for _, texts in sent(sim)]
    assert [len(p) for p in packs] == [40, 20]  # 60 strings in 2 requests, not 2 x 30
    assert names(packs[0]) == {"a", "b"}  # oldest first: all of a, then b's first ten
    assert packs[0][:30] == [r.text for r in a]


def test_locales_interleave_oldest_first(sim: QwenSim) -> None:
    """a (de), b (fr), c (de) queued in that order: de's packs run into c before fr's
    start only while de holds the oldest string, so batches complete in order."""
    engine = make(sim, pack_size=20)
    a, b, c = batch("a"), batch("b", target="fr"), batch("c")

    async def three() -> list[list[Result]]:
        return list(await asyncio.gather(*(engine.translate(x) for x in (a, b, c))))

    for requests, results in zip((a, b, c), asyncio.run(three()), strict=True):
        assert_right(requests, results)
    order = [(lang, sorted(names(texts)), len(texts)) for lang, texts in sent(sim)]
    assert order == [
        ("German", ["a"], 20),
        ("German", ["a", "c"], 20),  # a's last ten, then c's first ten: one stream
        ("French", ["b"], 20),
        ("French", ["b"], 10),
        ("German", ["c"], 20),
    ]


def test_a_fatal_stops_every_caller_and_nothing_else_is_sent(sim: QwenSim) -> None:
    engine = make(sim, pack_size=10)
    sim.script("401")

    async def both() -> list[object]:
        calls = (engine.translate(batch("a")), engine.translate(batch("b", target="fr")))
        return list(await asyncio.gather(*calls, return_exceptions=True))

    outcomes = asyncio.run(both())
    assert all(isinstance(o, Fatal) for o in outcomes), outcomes
    assert len(sim.bodies) == 1  # the one that failed: nothing queued went out after it
    again = batch("c", 5)  # a later run starts afresh
    assert_right(again, asyncio.run(engine.translate(again)))


def test_a_cancelled_caller_leaves_the_queue_and_the_others_finish(sim: QwenSim) -> None:
    sim.latency = 0.2
    engine = make(sim, pack_size=10)
    a, b = batch("a"), batch("b")

    async def scenario() -> list[Result]:
        first = asyncio.create_task(engine.translate(a))
        second = asyncio.create_task(engine.translate(b))
        while not sim.bodies:  # a's first pack is out; b waits in the queue
            await asyncio.sleep(0.01)
        second.cancel()
        with pytest.raises(asyncio.CancelledError):
            await second
        return await first

    assert_right(a, asyncio.run(scenario()))
    assert [sorted(names(texts)) for _, texts in sent(sim)] == [["a"]] * 3  # none of b's


class Guard:
    """A spend guard that admits everything and counts the replies it was billed for."""

    def __init__(self) -> None:
        self.paid_requests = 0

    def reserve(self, hold: Hold, *, final: bool = True) -> bool:
        return True

    def paid(self, hold: Hold, tokens_in: int, tokens_out: int) -> None:
        self.paid_requests += 1

    def unpaid(self, hold: Hold) -> None:
        pass

    def unknown(self, hold: Hold) -> None:
        pass


def test_a_pack_is_billed_to_the_guard_of_its_oldest_string(sim: QwenSim) -> None:
    engine = make(sim, pack_size=20)
    guards = Guard(), Guard()

    async def under(guard: Guard, requests: list[Request]) -> list[Result]:
        with guarded(guard):
            return await engine.translate(requests)

    async def both() -> None:
        await asyncio.gather(under(guards[0], batch("a")), under(guards[1], batch("b")))

    asyncio.run(both())
    assert [len(texts) for _, texts in sent(sim)] == [20, 20, 20]
    # a0-19, then a20-29 + b0-9 (a's guard: its oldest string), then b10-29
    assert [g.paid_requests for g in guards] == [2, 1]
