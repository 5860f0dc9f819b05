"""PackingTranslator: verified packing, splitting, adaptive size, slots, calibration.

The engine's `send` is replaced by a small scripted provider: these tests are about the
driver's decisions, the HTTP side is covered in test_qwen_mt.py against the simulator.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import pytest

from locflow.connectors.engines.base import Fatal, RateLimited, Rejected, Request, Result, Transient
from locflow.connectors.engines.pacing import Pacer, RetryPolicy
from locflow.connectors.engines.packing import (
    PackingTranslator,
    PackReply,
    Slots,
    verifies,
)

FAST = RetryPolicy(attempts=3, base=0.001, cap=0.001)


def req(key: str, text: str | None = None, target: str = "de") -> Request:
    text = text if text is not None else f"Text {key} [X0X]"
    tokens = ("[X0X]",) if "[X0X]" in text else ()
    return Request(key=key, text=text, source_locale="en", target_locale=target, tokens=tokens)


def good(r: Request) -> str:
    return f"<{r.text}>"


class Provider:
    """Answers every call; `script` maps a call number to what goes wrong with it."""

    def __init__(
        self,
        script: dict[int, Callable[[Sequence[Request]], PackReply]] | None = None,
        reject: str = "",
        delay: float = 0.0,
        tokens_in: Callable[[int], int] = int,
    ) -> None:
        self.script = script or {}
        self.reject, self.delay, self.tokens_in = reject, delay, tokens_in
        self.calls: list[list[str]] = []
        self.in_flight = self.max_in_flight = 0

    async def send(self, requests: Sequence[Request]) -> PackReply:
        n = len(self.calls)
        self.calls.append([r.key for r in requests])
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        if n in self.script:
            return self.script[n](requests)
        if self.reject and any(self.reject in r.text for r in requests):
            raise Rejected("DataInspectionFailed")
        return PackReply([good(r) for r in requests], self.tokens_in(10 * len(requests)), 5)


def translator(provider: Provider, **kw: object) -> PackingTranslator:
    kw.setdefault("max_pack", 4)
    kw.setdefault("policy", FAST)
    return PackingTranslator(provider.send, pacer=Pacer(None, None), **kw)  # type: ignore[arg-type]


def run(t: PackingTranslator, batch: list[Request]):
    return asyncio.run(t.translate(batch))


def test_verifies() -> None:
    a, b = req("a", "Open [X0X]"), req("b", "Close")
    assert verifies([a, b], ["Öffnen [X0X]", "Schließen"])
    assert verifies([a, b], ["Öffnen [x0x]", "Schließen"])  # a token variant still counts
    assert not verifies([a, b], ["Schließen", "Öffnen [X0X]"])  # swapped
    assert not verifies([a, b], ["Öffnen [X0X] Schließen"])  # merged
    assert not verifies([a, b], ["Öffnen", "Schließen"])  # dropped token
    assert not verifies([a, b], ["Öffnen [X0X]", ""])  # empty
    assert not verifies([a, b], None)


def test_packs_respect_pair_size_tokens_and_packable() -> None:
    p = Provider()
    batch = [req(f"d{i}") for i in range(6)] + [
        req("f0", target="fr"),
        req("d6", "solo\nline"),
        req("d7"),
    ]
    t = translator(p, max_pack=4, packable=lambda r: "\n" not in r.text)
    results = run(t, batch)
    assert [r.text for r in results] == [good(r) for r in batch]
    assert sorted(p.calls) == sorted([["d0", "d1", "d2", "d3"], ["d4", "d5", "d7"], ["f0"], ["d6"]])
    capped = Provider()
    run(
        translator(capped, max_pack=10, max_input_tokens=25, request_tokens=lambda r: 10), batch[:6]
    )
    assert all(len(c) <= 2 for c in capped.calls)


def test_unverified_pack_is_split_down_and_all_come_back() -> None:
    def merged(rs: Sequence[Request]) -> PackReply:
        return PackReply([" ".join(good(r) for r in rs)], 40, 5)

    p = Provider(script={0: merged, 1: merged})
    t = translator(p, concurrency=1)
    batch = [req(f"k{i}") for i in range(4)]
    results = run(t, batch)
    assert [r.text for r in results] == [good(r) for r in batch]
    assert [r.key for r in results] == ["k0", "k1", "k2", "k3"]
    assert p.calls[0] == ["k0", "k1", "k2", "k3"] and p.calls[1] == ["k0", "k1"]
    assert t.stats.packs_split == 2 and t.stats.packs_verified == 1 and t.stats.singles == 2
    assert t.stats.sizes == {1: 2, 2: 1} and t.stats.requests == 5


def test_pack_size_halves_and_grows_back() -> None:
    p = Provider(script={0: lambda rs: PackReply(None)})
    t = translator(p, max_pack=8, concurrency=1)
    run(t, [req(f"k{i}") for i in range(8)])
    assert t.pack_size == 4
    run(t, [req(f"m{i}") for i in range(4)])  # one full verified pack: additive increase
    assert t.pack_size == 5


def test_rejected_string_is_isolated() -> None:
    p = Provider(reject="BAD")
    batch = [req(f"k{i}") for i in range(8)]
    batch[5] = req("bad", "BAD [X0X]")
    results = run(translator(p, max_pack=8), batch)
    assert isinstance(results[5].error, Rejected) and results[5].text is None
    assert all(r.ok for i, r in enumerate(results) if i != 5)
    assert ["bad"] in p.calls


def test_fatal_stops_everything() -> None:
    def fatal(rs: Sequence[Request]) -> PackReply:
        raise Fatal("401 invalid_api_key")

    p = Provider(script={0: fatal}, delay=0.01)
    with pytest.raises(Fatal):
        run(translator(p, max_pack=1, concurrency=1), [req(f"k{i}") for i in range(10)])
    assert len(p.calls) == 1


def test_exhausted_retries_become_results() -> None:
    def transient(rs: Sequence[Request]) -> PackReply:
        raise Transient("503")

    p = Provider(script=dict.fromkeys(range(3), transient))
    t = translator(p, max_pack=4)
    results = run(t, [req(f"k{i}") for i in range(4)])
    assert all(isinstance(r.error, Transient) for r in results)
    assert t.stats.transient == 3 and t.stats.requests == 3


def test_concurrency_cap_and_order() -> None:
    p = Provider(delay=0.01)
    batch = [req(f"k{i}") for i in range(24)]
    results = run(translator(p, max_pack=2, concurrency=3), batch)
    assert [r.key for r in results] == [r.key for r in batch]
    assert p.max_in_flight == 3


def test_backing_off_call_does_not_hold_a_slot() -> None:
    def limited(rs: Sequence[Request]) -> PackReply:
        raise RateLimited("429", retry_after=0.2)

    p = Provider(script={0: limited})
    policy = RetryPolicy(attempts=3, base=0.001, cap=0.001)
    results = run(
        translator(p, max_pack=1, concurrency=1, policy=policy), [req("a"), req("b"), req("c")]
    )
    assert all(r.ok for r in results)
    assert p.calls == [["a"], ["b"], ["c"], ["a"]]  # b and c went while a waited


def test_slots_serve_priority_then_order() -> None:
    async def scenario() -> list[str]:
        slots, order = Slots(1), []

        async def worker(name: str, priority: int) -> None:
            async with slots.hold(priority):
                order.append(name)
                await asyncio.sleep(0)

        async with slots.hold():
            tasks = [
                asyncio.create_task(worker(n, p))
                for n, p in [("fresh1", 1), ("fresh2", 1), ("retry1", 0), ("retry2", 0)]
            ]
            await asyncio.sleep(0)
        await asyncio.gather(*tasks)
        return order

    assert asyncio.run(scenario()) == ["retry1", "retry2", "fresh1", "fresh2"]


def test_cancelled_waiter_does_not_leak_a_slot() -> None:
    async def scenario() -> bool:
        slots = Slots(1)
        async with slots.hold():
            waiter = asyncio.create_task(slots.hold().__aenter__())
            await asyncio.sleep(0)
            waiter.cancel()
            await asyncio.gather(waiter, return_exceptions=True)
        async with asyncio.timeout(1), slots.hold():
            return True

    assert asyncio.run(scenario())


def test_token_estimate_is_calibrated_by_reported_usage() -> None:
    p = Provider(tokens_in=lambda n: 3 * n)
    t = translator(p, max_pack=1, concurrency=1, request_tokens=lambda r: 10)
    run(t, [req(f"k{i}") for i in range(12)])
    assert t.token_ratio == pytest.approx(3.0, rel=0.05)
    assert t.stats.tokens_in == 12 * 30


def test_one_translator_across_event_loops() -> None:
    p = Provider()
    t = translator(p, concurrency=2)
    for loop_run in range(3):
        batch = [req(f"{loop_run}-{i}") for i in range(6)]
        assert [r.text for r in run(t, batch)] == [good(r) for r in batch]


@pytest.mark.parametrize("steps", range(6))
def test_a_caller_cancelled_at_any_point_leaks_no_slot(steps: int) -> None:
    """Cancelled before its strings are packed, after a pack took a slot but before its task
    ran, or while it is sent: the slot comes back, and none of its later packs go out."""
    p = Provider(delay=0.01)
    t = translator(p, max_pack=2, concurrency=1)

    async def scenario() -> list[Result]:
        first = asyncio.create_task(t.translate([req(f"a{i}") for i in range(6)]))
        for _ in range(steps):
            await asyncio.sleep(0)
        first.cancel()
        await asyncio.gather(first, return_exceptions=True)
        async with asyncio.timeout(10):  # a hang guard, not a timing assertion
            return await t.translate([req("b0"), req("b1")])

    results = asyncio.run(scenario())
    assert [r.text for r in results] == [good(req("b0")), good(req("b1"))]
    assert len([c for c in p.calls if c[0].startswith("a")]) <= 1


def test_a_feeder_waiting_for_its_turn_ends_when_nothing_is_left_to_pack() -> None:
    """The only caller is cancelled while the next pack waits for the pace: no task is left
    pending (a loop closed then would log "Task was destroyed but it is pending")."""
    p = Provider()
    t = PackingTranslator(p.send, pacer=Pacer(60, None), max_pack=4, policy=FAST)

    async def scenario() -> list[asyncio.Task[object]]:
        await t.translate([req("a")])  # takes the first slot of the pace: the next is 1 s on
        waiting = asyncio.create_task(t.translate([req("b")]))
        for _ in range(3):
            await asyncio.sleep(0)
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)
        for _ in range(3):
            await asyncio.sleep(0)
        return [x for x in asyncio.all_tasks() if x is not asyncio.current_task()]

    assert asyncio.run(scenario()) == []
    assert p.calls == [["a"]]
