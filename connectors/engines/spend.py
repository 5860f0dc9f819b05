"""Spending, request by request: every request reserves its worst case before it is sent.

A request's worst case is its input tokens (estimated, with a margin) plus the `max_tokens`
it sends: the provider cannot bill more output than that. The run's guard (the pipeline's
Budget) admits a reservation only when it fits under the cost cap; when it does not, and
other requests are still out, the request waits for them to settle; when nothing is out and
it still does not fit, the guard refuses with OverBudget: a pack is split and its halves
try again, a single string stops the run's sending.

Each reservation ends one of three ways: answered 2xx with usage (paid: what the usage
says), answered with an error (unpaid: nothing), or no answer at all (unknown: the whole
reservation, as the provider may have done the work).

The guard travels with the work in a context variable, set by the pipeline around a batch
(`guarded`), so engines need no extra argument and concurrent batches each see their own.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol

from locflow.connectors.engines.base import EngineError, Unanswered

INPUT_MARGIN = 1.5
"""Reserved input tokens per estimated one: the provider's tokenizer may count more."""
WAIT = 0.02
"""Seconds between looks while a reservation waits for requests in flight to settle."""


@dataclass(frozen=True)
class Hold:
    """One request's reservation: its worst-case input and output tokens."""

    tokens_in: int
    tokens_out: int


class SpendGuard(Protocol):
    """What the engines ask before and after each request (the pipeline's Budget)."""

    def reserve(self, hold: Hold, *, final: bool = True) -> bool:
        """True: reserved. False: it does not fit now, try again once requests in flight
        have settled. Raises OverBudget when it cannot fit at all; `final`: the request
        cannot be made smaller (one string), so nothing else is sent after it either."""
        ...

    def paid(self, hold: Hold, tokens_in: int, tokens_out: int) -> None:
        """Answered 2xx with usage: the reservation becomes what the usage costs."""
        ...

    def unpaid(self, hold: Hold) -> None:
        """Answered with an error, or never sent: nothing is billed."""
        ...

    def unknown(self, hold: Hold) -> None:
        """Sent, and no answer came: charged the whole reservation."""
        ...


_GUARD: ContextVar[SpendGuard | None] = ContextVar("locflow_spend_guard", default=None)


@contextmanager
def guarded(guard: SpendGuard | None) -> Iterator[None]:
    """Requests sent inside (and in tasks started inside) go through `guard`."""
    token = _GUARD.set(guard)
    try:
        yield
    finally:
        _GUARD.reset(token)


def hold_for(estimated_in: int, max_tokens: int) -> Hold:
    return Hold(math.ceil(max(1, estimated_in) * INPUT_MARGIN), max(0, max_tokens))


class Bill:
    """One request's bill, filled in by the sender once a reply with usage came."""

    def __init__(self) -> None:
        self.usage: tuple[int, int] | None = None

    def paid(self, tokens_in: int, tokens_out: int) -> None:
        self.usage = (tokens_in, tokens_out)


@asynccontextmanager
async def spending(hold: Hold, *, final: bool = True) -> AsyncIterator[Bill]:
    """Reserve `hold` (waiting while it does not fit yet) around one request; the request
    is settled as paid when `bill.paid` was called, unpaid when an answer was an error (or
    it was never sent), unknown otherwise. `final`: see SpendGuard.reserve (a pack that
    does not fit is split by its engine, and its halves may)."""
    guard = _GUARD.get()
    bill = Bill()
    if guard is None:
        yield bill
        return
    while not guard.reserve(hold, final=final):
        await asyncio.sleep(WAIT)
    answered_with_error = False
    try:
        yield bill
    except EngineError as exc:
        answered_with_error = not isinstance(exc, Unanswered)
        raise
    finally:
        if bill.usage is not None:
            guard.paid(hold, *bill.usage)
        elif answered_with_error:
            guard.unpaid(hold)
        else:  # no answer, a 2xx without usage, or cancelled mid-flight: maybe billed
            guard.unknown(hold)
