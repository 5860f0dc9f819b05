"""Verified packing: several strings per request, never trusted blindly.

A network engine supplies `send(requests) -> PackReply`, one HTTP call carrying one or more
strings. This driver groups a batch into packs, paces and retries each call, and verifies
every packed reply (count, order by placeholder tokens). A reply that does not verify is
split in halves and retried, down to single strings, whose text is returned as it is (the
checks judge it). The pack size adapts: it halves after a failed pack and grows back after a
run of verified ones. Outcomes are counted so users can see them.

A concurrency slot is held only while a call waits for its pacing slot and runs, never during
a retry's back-off, so sleeping retries do not starve the others; retries and split halves
get the next free slot before fresh packs. Token estimates for pacing are calibrated against
the usage the provider reports (a moving ratio), so a provider that counts more tokens than
the estimate does not get overrun. After a Fatal nothing else is sent.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import weakref
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from locflow.catalog.placeholders import TOKEN_LIKE
from locflow.connectors.engines.base import (
    EngineError,
    EngineStats,
    Fatal,
    OverBudget,
    Rejected,
    Request,
    Result,
)
from locflow.connectors.engines.pacing import (
    CallStats,
    Pacer,
    RetryPolicy,
    estimate_tokens,
    with_retries,
)
from locflow.connectors.engines.sizing import PackSizing, always_packable, max_output_tokens
from locflow.connectors.engines.spend import hold_for, spending

GROW_AFTER = 4
"""Verified packs in a row before the pack size grows by one."""


@dataclass(frozen=True)
class PackReply:
    texts: list[str] | None
    """One text per request in order; None when the reply could not be split at all."""
    tokens_in: int = 0
    tokens_out: int = 0
    model: str = ""
    has_usage: bool = True
    """The reply carried usage (a paid request); False: what it cost is unknown."""
    truncated: bool = False
    """Cut at max_tokens (finish_reason "length"): split, or a single string is rejected."""


SendPack = Callable[[Sequence[Request]], Awaitable[PackReply]]


@dataclass
class PackStats:
    """The running counts behind an engine's EngineStats."""

    requests: int = 0
    """HTTP attempts sent, failed ones included."""
    paid_requests: int = 0
    """Requests answered 2xx with usage."""
    packs: int = 0
    """Multi-string replies received."""
    packs_verified: int = 0
    packs_split: int = 0
    singles: int = 0
    rate_limited: int = 0
    transient: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    sizes: Counter[int] = field(default_factory=Counter)

    def snapshot(self) -> EngineStats:
        return EngineStats(
            requests=self.requests,
            paid_requests=self.paid_requests,
            packs=self.packs,
            packs_verified=self.packs_verified,
            packs_split=self.packs_split,
            singles=self.singles,
            rate_limited=self.rate_limited,
            transient=self.transient,
            tokens_in=self.tokens_in,
            tokens_out=self.tokens_out,
            sizes=tuple(sorted(self.sizes.items())),
        )


def _token_counts(text: str) -> Counter[str]:
    return Counter(f"[X{m['n']}X]" for m in TOKEN_LIKE.finditer(text))


def verifies(requests: Sequence[Request], texts: list[str] | None) -> bool:
    """Same count, and each text carries exactly its own request's tokens."""
    if texts is None or len(texts) != len(requests):
        return False
    for req, text in zip(requests, texts, strict=True):
        if not text.strip() and req.text.strip():
            return False
        if _token_counts(text) != Counter(req.tokens):
            return False
    return True


class Slots:
    """A semaphore whose waiters are served by priority, then arrival order.

    Retries and split halves (priority 0) go before fresh packs (1): failures are resolved
    while fresh work still fills the pace, instead of piling up at the end of a run where
    their back-off would leave the rate unused.
    """

    def __init__(self, size: int) -> None:
        self._free = size
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    @asynccontextmanager
    async def hold(self, priority: int = 1) -> AsyncIterator[None]:
        if self._free > 0 and not self._waiters:
            self._free -= 1
        else:
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            heapq.heappush(self._waiters, (priority, next(self._order), future))
            try:
                await future
            except asyncio.CancelledError:
                if future.done() and not future.cancelled():
                    self._release()  # granted, then cancelled: hand the slot on
                else:
                    future.cancel()
                raise
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        while self._waiters:
            *_, future = heapq.heappop(self._waiters)
            if not future.done():
                future.set_result(None)
                return
        self._free += 1


class PackingTranslator:
    """Drives an engine's `send` with packing, pacing, retries and verification."""

    def __init__(
        self,
        send: SendPack,
        *,
        pacer: Pacer,
        policy: RetryPolicy | None = None,
        concurrency: int = 1,
        max_pack: int = 1,
        max_input_tokens: int | None = None,
        overhead_tokens: int = 0,
        estimate: Callable[[str], int] = estimate_tokens,
        request_tokens: Callable[[Request], int] | None = None,
        packable: Callable[[Request], bool] | None = None,
        output_tokens: Callable[[Sequence[Request]], int] = max_output_tokens,
        sizing: PackSizing | None = None,
    ) -> None:
        """`request_tokens`: input tokens one request adds to a call (default: its text's
        estimate + 4); `packable`: False keeps a request in a call of its own;
        `output_tokens`: the `max_tokens` the engine sends for a call (its spending bound);
        `sizing`: all of these at once, as the engine's module defines them."""
        self._send, self._pacer = send, pacer
        self._policy = policy or RetryPolicy()
        self.concurrency = max(1, concurrency)
        self._semaphores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Slots]
        self._semaphores = weakref.WeakKeyDictionary()
        self.sizing = sizing or PackSizing(
            max_pack=max(1, max_pack),
            max_input_tokens=max_input_tokens,
            overhead_tokens=overhead_tokens,
            request_tokens=request_tokens or (lambda r: estimate(r.text) + 4),
            packable=packable or always_packable,
            output_tokens=output_tokens,
        )
        self.max_pack = self.sizing.max_pack
        self.pack_size = self.max_pack
        self._streak = 0
        self.token_ratio = 1.0
        """Provider-counted input tokens per estimated token, learnt from replies."""
        self.stats = PackStats()
        self._fatal: Fatal | None = None
        """Set by the first Fatal of a `translate` call: nothing else is sent after it."""

    @property
    def _slots(self) -> Slots:
        """One set of slots per event loop: the translator outlives `asyncio.run` calls."""
        loop = asyncio.get_running_loop()
        slots = self._semaphores.get(loop)
        if slots is None:
            slots = self._semaphores[loop] = Slots(self.concurrency)
        return slots

    def _packs(self, batch: Sequence[Request]) -> list[list[int]]:
        return self.sizing.packs(batch, self.pack_size)

    async def translate(self, batch: Sequence[Request]) -> list[Result]:
        results: list[Result | None] = [None] * len(batch)
        self._fatal = None

        async def run(indices: list[int]) -> None:
            replies = await self._run_pack([batch[i] for i in indices])
            for i, res in zip(indices, replies, strict=True):
                results[i] = res

        tasks = [asyncio.create_task(run(p)) for p in self._packs(batch)]
        try:
            await asyncio.gather(*tasks)
        except BaseException:  # Fatal (or a bug): stop the other calls, keep nothing half-sent
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        missing = [batch[i].key for i, r in enumerate(results) if r is None]
        if missing:  # pragma: no cover - a bug in the split logic, never a silent shift
            raise AssertionError(f"no result for {missing}")
        return [r for r in results if r is not None]

    def estimate_call(self, requests: Sequence[Request]) -> int:
        """Input tokens one call carrying `requests` is expected to cost (uncalibrated)."""
        return self.sizing.call_tokens(requests)

    async def _call(self, requests: Sequence[Request], priority: int = 1) -> PackReply:
        estimated = self.estimate_call(requests)
        calls = CallStats()
        reserved = 0

        async def attempt() -> PackReply:
            nonlocal reserved
            async with self._slots.hold(priority if calls.attempts <= 1 else 0):
                reserved = math.ceil(estimated * self.token_ratio)  # calibrated at send time
                await self._pacer.acquire(reserved)
                if self._fatal is not None:
                    raise self._fatal
                hold = hold_for(max(estimated, reserved), self.sizing.output_tokens(requests))
                async with spending(hold, final=len(requests) == 1) as bill:
                    self.stats.requests += 1
                    try:
                        reply = await self._send(requests)
                    except Fatal as exc:
                        self._fatal = exc
                        raise
                    if reply.has_usage:
                        bill.paid(reply.tokens_in, reply.tokens_out)
                        self.stats.paid_requests += 1
                    return reply

        try:
            reply = await with_retries(attempt, self._policy, stats=calls)
        finally:
            self.stats.rate_limited += calls.rate_limited
            self.stats.transient += calls.transient
        if reply.tokens_in:
            self._pacer.settle(reserved, reply.tokens_in)
            ratio = reply.tokens_in / max(1, estimated)
            self.token_ratio = 0.7 * self.token_ratio + 0.3 * ratio
        self.stats.tokens_in += reply.tokens_in
        self.stats.tokens_out += reply.tokens_out
        return reply

    async def _run_pack(self, requests: list[Request], priority: int = 1) -> list[Result]:
        try:
            reply = await self._call(requests, priority)
        except Fatal:
            raise
        except OverBudget as exc:  # a pack too dear for what is left: its halves may fit
            if len(requests) == 1:
                return [Result(r.key, None, exc) for r in requests]
            return await self._split(requests)
        except Rejected as exc:
            if len(requests) == 1:
                return [Result(requests[0].key, None, exc)]
            return await self._split(requests)
        except EngineError as exc:  # retries exhausted: not stored, tried again next run
            return [Result(r.key, None, exc) for r in requests]
        shares = _shares(requests, reply)
        if reply.truncated and len(requests) == 1:
            cut = Rejected("the translation was cut at max_tokens (finish_reason=length)")
            return [Result(requests[0].key, None, cut, *shares[0], reply.model)]
        if len(requests) == 1:
            self.stats.singles += 1
            self.stats.sizes[1] += 1
            text = reply.texts[0] if reply.texts else None
            error = None if text is not None else Rejected("the engine returned no text")
            return [Result(requests[0].key, text, error, *shares[0], reply.model)]
        self.stats.packs += 1
        if not reply.truncated and verifies(requests, reply.texts):
            self.stats.packs_verified += 1
            self.stats.sizes[len(requests)] += 1
            self._streak += 1
            if self._streak >= GROW_AFTER and self.pack_size < self.max_pack:
                self.pack_size += 1
                self._streak = 0
            assert reply.texts is not None
            return [
                Result(r.key, t, None, *share, reply.model)
                for r, t, share in zip(requests, reply.texts, shares, strict=True)
            ]
        self.stats.packs_split += 1
        self._streak = 0
        self.pack_size = max(1, min(self.pack_size, len(requests)) // 2)
        return await self._split(requests)

    async def _split(self, requests: list[Request]) -> list[Result]:
        half = len(requests) // 2
        left, right = await asyncio.gather(
            self._run_pack(requests[:half], 0), self._run_pack(requests[half:], 0)
        )
        return left + right


def _shares(requests: Sequence[Request], reply: PackReply) -> list[tuple[int, int]]:
    """Split a reply's usage across its strings by length (the ledger is per string)."""
    weights = [max(1, len(r.text)) for r in requests]
    total = sum(weights)
    out, given_in, given_out = [], 0, 0
    for i, w in enumerate(weights):
        if i == len(weights) - 1:
            out.append((reply.tokens_in - given_in, reply.tokens_out - given_out))
        else:
            tin, tout = reply.tokens_in * w // total, reply.tokens_out * w // total
            given_in, given_out = given_in + tin, given_out + tout
            out.append((tin, tout))
    return out
