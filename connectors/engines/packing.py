"""Verified packing: several strings per request, never trusted blindly.

A network engine supplies `send(requests) -> PackReply`, one HTTP call carrying one or more
strings. This driver queues the strings of every concurrent `translate` call in one queue
(pack_queue), packs them oldest first when a slot frees, paces and retries each call, and
verifies every packed reply (count, order by placeholder tokens). A reply that does not
verify is split in halves and retried, down to single strings, whose text is returned as it
is (the checks judge it). Pack sizes adapt per target locale (AIMD: a full verified pack
grows the size by a step, a misaligned one halves it). Outcomes are counted so users can see
them.

A concurrency slot is held only while a call waits for its pacing slot and runs, never during
a retry's back-off, so sleeping retries do not starve the others; retries and split halves
get the next free slot before fresh packs. Token estimates for pacing are calibrated against
the usage the provider reports (a moving ratio), so a provider that counts more tokens than
the estimate does not get overrun. After a Fatal nothing else is sent.
"""

from __future__ import annotations

import asyncio
import math
import weakref
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
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
from locflow.connectors.engines.pack_queue import Dispatcher, Item, Lease, PackQueue, Slots
from locflow.connectors.engines.sizing import PackSizing, always_packable, max_output_tokens
from locflow.connectors.engines.spend import hold_for, spending

GROW_FRACTION = 10
"""A verified full pack grows its locale's size by 1/GROW_FRACTION of the cap (at least
one string): 20 at a cap of 200, back from a halving to 100 in five full packs."""
TRAJECTORY_MAX = 1000
"""Pack-size changes kept for the stats (the first ones: a run's shape shows early)."""


def grow_step(cap: int) -> int:
    return max(1, cap // GROW_FRACTION)


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
    pack_sizes: dict[str, int] = field(default_factory=dict)
    """Strings per pack now, by target locale (the driver's adaptive state lives here, so
    an engine that shares one PackStats across drivers shares the sizes too)."""
    trajectory: list[tuple[str, int, int]] = field(default_factory=list)
    """(target locale, multi-string replies received so far, size) at each size change."""

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
            pack_sizes=tuple(sorted(self.pack_sizes.items())),
            pack_trajectory=tuple(self.trajectory),
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


class PackingTranslator:
    """Drives an engine's `send` with packing, pacing, retries and verification.

    `translate` calls on one event loop share one queue (see pack_queue): packs span the
    callers' batches. Pack sizes adapt per target locale (AIMD, see `_verified` and
    `_misaligned`) unless `adaptive` is False, when every pack may hold `max_pack`."""

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
        adaptive: bool = True,
        start_size: int | None = None,
    ) -> None:
        """`request_tokens`: input tokens one request adds to a call (default: its text's
        estimate + 4); `packable`: False keeps a request in a call of its own;
        `output_tokens`: the `max_tokens` the engine sends for a call (its spending bound);
        `sizing`: all of these at once, as the engine's module defines them; `start_size`:
        strings per pack for a locale seen for the first time, not resumed (default: the
        cap, `max_pack`: the first failure halves it)."""
        self._send, self._pacer = send, pacer
        self._policy = policy or RetryPolicy()
        self.concurrency = max(1, concurrency)
        self._dispatchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Dispatcher]
        self._dispatchers = weakref.WeakKeyDictionary()
        self.sizing = sizing or PackSizing(
            max_pack=max(1, max_pack),
            max_input_tokens=max_input_tokens,
            overhead_tokens=overhead_tokens,
            request_tokens=request_tokens or (lambda r: estimate(r.text) + 4),
            packable=packable or always_packable,
            output_tokens=output_tokens,
        )
        self.max_pack = self.sizing.max_pack
        self.adaptive = adaptive
        self.start_size = self._clamp(start_size or self.max_pack)
        self.token_ratio = 1.0
        """Provider-counted input tokens per estimated token, learnt from replies."""
        self.stats = PackStats()
        self._fatal: Fatal | None = None
        """Set by the first Fatal: nothing else is sent until every caller has returned."""

    # --- pack sizes (AdaptivePacking) ---------------------------------------------------

    def _clamp(self, size: int) -> int:
        return max(1, min(self.max_pack, int(size)))

    def _set_size(self, locale: str, size: int) -> None:
        size = self._clamp(size)
        if self.stats.pack_sizes.get(locale) != size:
            self.stats.pack_sizes[locale] = size
            if len(self.stats.trajectory) < TRAJECTORY_MAX:
                self.stats.trajectory.append((locale, self.stats.packs, size))

    def size_for(self, locale: str) -> int:
        """Strings per pack for `locale` now (its start size the first time)."""
        if locale not in self.stats.pack_sizes:
            self._set_size(locale, self.start_size if self.adaptive else self.max_pack)
        return self.stats.pack_sizes[locale]

    def pack_sizes(self) -> dict[str, int]:
        return dict(self.stats.pack_sizes)

    def resume_pack_sizes(self, sizes: Mapping[str, int]) -> None:
        """Start from `sizes`, within the cap (ignored when adaptation is off)."""
        if self.adaptive:
            for locale, size in sizes.items():
                self._set_size(locale, size)

    @property
    def pack_size(self) -> int:
        """The smallest pack size of any locale now (before any: the start size)."""
        return min(self.stats.pack_sizes.values(), default=self.start_size)

    @pack_size.setter
    def pack_size(self, size: int) -> None:
        """Every locale's size, and the start size of those not seen yet."""
        self.start_size = self._clamp(size)
        for locale in self.stats.pack_sizes:
            self._set_size(locale, size)

    def _verified(self, locale: str, count: int) -> None:
        """Additive increase after a verified fresh pack (a split half is not formed at the
        size, so it says nothing): GROW_FRACTION of the cap, never above it."""
        if self.adaptive:
            self._set_size(locale, self.size_for(locale) + grow_step(self.max_pack))

    def _misaligned(self, locale: str, count: int) -> None:
        """Multiplicative decrease: half the failed pack, never above the size now (two
        failed packs in flight at once halve it once)."""
        if self.adaptive:
            self._set_size(locale, min(self.size_for(locale), count // 2))

    # --- the queue ----------------------------------------------------------------------

    def _dispatcher(self) -> Dispatcher:
        """One queue and set of slots per event loop: the translator outlives `asyncio.run`."""
        loop = asyncio.get_running_loop()
        found = self._dispatchers.get(loop)
        if found is None:
            found = self._dispatchers[loop] = Dispatcher(
                self.concurrency, self._form, self._run_leased, self._stopped, self._pacer.turn
            )
        return found

    @property
    def _slots(self) -> Slots:
        return self._dispatcher().slots

    def _form(self, queue: PackQueue) -> list[Item]:
        return queue.take(self.sizing, self.size_for, self.token_ratio)

    def _stopped(self, exc: BaseException) -> None:
        if isinstance(exc, Fatal):
            self._fatal = exc

    async def _run_leased(self, requests: list[Request], lease: Lease) -> list[Result]:
        return await self._run_pack(requests, 1, lease)

    async def translate(self, batch: Sequence[Request]) -> list[Result]:
        """One Result per request, in order, once all of them are resolved; concurrent calls
        share the queue (see pack_queue)."""
        dispatcher = self._dispatcher()
        if dispatcher.callers == 0:
            self._fatal = None
        results = await dispatcher.submit(batch)
        missing = [r.key for r, res in zip(batch, results, strict=True) if res.key != r.key]
        if missing:  # pragma: no cover - a bug in the split logic, never a silent shift
            raise AssertionError(f"no result for {missing}")
        return results

    def estimate_call(self, requests: Sequence[Request]) -> int:
        """Input tokens one call carrying `requests` is expected to cost (uncalibrated)."""
        return self.sizing.call_tokens(requests)

    # --- one pack -----------------------------------------------------------------------

    async def _call(
        self, requests: Sequence[Request], priority: int = 1, lease: Lease | None = None
    ) -> PackReply:
        estimated = self.estimate_call(requests)
        calls = CallStats()
        reserved = 0

        async def attempt() -> PackReply:
            nonlocal reserved
            held = lease is not None and lease.take()
            async with self._slots.hold(priority if calls.attempts <= 1 else 0, held=held):
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

    async def _run_pack(
        self, requests: list[Request], priority: int = 1, lease: Lease | None = None
    ) -> list[Result]:
        try:
            reply = await self._call(requests, priority, lease)
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
            locale = requests[0].target_locale
            if priority and text is not None and self.size_for(locale) == 1:
                self._verified(locale, 1)  # a fresh single at size 1: no dead end there
            return [Result(requests[0].key, text, error, *shares[0], reply.model)]
        self.stats.packs += 1
        locale = requests[0].target_locale
        if not reply.truncated and verifies(requests, reply.texts):
            self.stats.packs_verified += 1
            self.stats.sizes[len(requests)] += 1
            if priority:  # a fresh pack, not a split half: sized by the current size
                self._verified(locale, len(requests))
            assert reply.texts is not None
            return [
                Result(r.key, t, None, *share, reply.model)
                for r, t, share in zip(requests, reply.texts, shares, strict=True)
            ]
        self.stats.packs_split += 1
        self._misaligned(locale, len(requests))
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
