"""Rate limits and retries shared by the network engines.

Providers enforce per-second rates too (Qwen-MT: RPS = RPM/60, TPS = TPM/60), so requests
are spaced evenly rather than fired in bursts: each acquisition reserves the next free slot
for both requests and tokens (a generic cell rate algorithm with no burst). Retries are
decided by the error's type: transient and rate-limited errors back off with full jitter
(honouring Retry-After), everything else is raised at once. A SharedRateLimit, given to an
engine when it is built, adds the account's limits across processes after the local slot.

Every interval is stretched by EDGE_MARGIN: a provider counts its limits over a sliding
window (Qwen-MT: 60 requests in any 60 s), and spacing requests exactly 60/RPM apart puts
every RPM+1-th one on the window's edge, where clock skew and latency jitter make it a 429.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from locflow.connectors.engines.base import RateLimited, Transient

T = TypeVar("T")

EDGE_MARGIN = 0.02
"""Requests are spaced 60/RPM x (1 + EDGE_MARGIN) apart, tokens likewise: any RPM + 1
consecutive requests span more than the provider's 60 s window (by 1.2 s at 60 RPM), at a
cost of 2 % of the throughput."""


class SharedRateLimit(Protocol):
    """Rate limits other processes share (the account's RPM/TPM across workers):
    `await limit(tokens)` returns once they admit one request of `tokens` input tokens.
    The flows implement it (flows/scale.SharedLimiter); engines never import Prefect."""

    async def __call__(self, tokens: int) -> None: ...


class Pacer:
    """Spaces requests at `rpm` and input tokens at `tpm`, evenly (per second, no bursts),
    then waits for the `shared` limits, when there are any."""

    def __init__(
        self,
        rpm: float | None,
        tpm: float | None,
        *,
        shared: SharedRateLimit | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.rpm, self.tpm = rpm, tpm
        self._shared = shared
        self._clock, self._sleep = clock, sleep
        self._next_request = 0.0
        self._next_token = 0.0
        self._blocked_until = 0.0

    def reserve(self, tokens: int) -> float:
        """Reserve a slot for a request of `tokens` input tokens; returns its start time."""
        now = self._clock()
        start = max(now, self._next_request, self._next_token, self._blocked_until)
        if self.rpm:
            self._next_request = start + self.request_interval
        if self.tpm:
            self._next_token = start + max(tokens, 0) * self.token_interval
        return start

    @property
    def request_interval(self) -> float:
        """Seconds between two requests (0 without an RPM), the edge margin included."""
        return 60.0 / self.rpm * (1 + EDGE_MARGIN) if self.rpm else 0.0

    @property
    def token_interval(self) -> float:
        """Seconds one input token occupies (0 without a TPM), the edge margin included."""
        return 60.0 / self.tpm * (1 + EDGE_MARGIN) if self.tpm else 0.0

    async def acquire(self, tokens: int) -> None:
        """Wait for this request's slot. `reserve` never awaits, so no lock is needed (and
        none is bound to an event loop: one Pacer serves several `asyncio.run` calls)."""
        start = self.reserve(tokens)
        delay = start - self._clock()
        if delay > 0:
            await self._sleep(delay)
        if self._shared is not None:
            await self._shared(tokens)

    async def turn(self) -> None:
        """Wait until a request reserved now would start at once, reserving nothing: a
        pack formed after this is formed as late as its send allows, from all queued by
        then (the local limits only; the shared ones are waited for by `acquire`)."""
        delay = max(self._next_request, self._next_token, self._blocked_until) - self._clock()
        if delay > 0:
            await self._sleep(delay)

    def settle(self, estimated: int, actual: int) -> None:
        """Correct the token budget once the provider reports real usage."""
        if self.tpm and actual != estimated:
            self._next_token += (actual - estimated) * self.token_interval

    def block_for(self, seconds: float) -> None:
        """Nobody sends before `seconds` from now (a provider-wide Retry-After)."""
        self._blocked_until = max(self._blocked_until, self._clock() + seconds)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 8
    """Total tries per call, the first included."""
    base: float = 0.25
    cap: float = 60.0

    @classmethod
    def for_retries(cls, retries: int | None) -> RetryPolicy:
        """`[engine] retries` (None: the default): that many tries after the first."""
        return cls() if retries is None else cls(attempts=max(0, retries) + 1)

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
        r = rng or random
        return r.uniform(0, min(self.cap, self.base * (2**attempt)))


@dataclass
class CallStats:
    """What the retry loop saw, for the run's ledger."""

    attempts: int = 0
    rate_limited: int = 0
    transient: int = 0


async def with_retries(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    stats: CallStats | None = None,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    rng: random.Random | None = None,
) -> T:
    """Run `call`, retrying Transient and RateLimited errors; others propagate at once."""
    stats = stats if stats is not None else CallStats()
    for attempt in range(policy.attempts):
        stats.attempts += 1
        try:
            return await call()
        except RateLimited as exc:
            stats.rate_limited += 1
            if attempt + 1 >= policy.attempts:
                raise
            wait = exc.retry_after if exc.retry_after is not None else policy.backoff(attempt, rng)
            await sleep(wait)
        except Transient:
            stats.transient += 1
            if attempt + 1 >= policy.attempts:
                raise
            await sleep(policy.backoff(attempt, rng))
    raise AssertionError("unreachable")  # pragma: no cover


def estimate_tokens(text: str) -> int:
    """A cheap upper-ish estimate of tokens for pacing before the provider reports usage."""
    ascii_chars = sum(1 for c in text if ord(c) < 128)
    other = len(text) - ascii_chars
    return max(1, ascii_chars // 4 + other)
