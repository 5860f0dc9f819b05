"""One queue of strings across concurrent `translate` calls, packed when a slot frees.

The flows translate several stored batches (of several locales) at once on one event loop.
Packing each call's batch on its own capped packs at the batch (40 strings) and let a small
batch, or a batch's tail, spend a whole request of the provider's RPM. Here each call only
queues its strings and waits for their results; a pack is formed when a concurrency slot is
free, from what is queued for one language pair (Qwen-MT takes one target language per
request), oldest first: batches complete in the order they came, and a crash re-pays at
most about one pack per slot. Among pairs, the one whose oldest string has waited longest
goes next, so no slot idles while anything is queued.

Each queued string keeps the context of the call that queued it (the spend guard travels
in a context variable, set per batch by the pipeline): a pack's request runs in the context
of its oldest string. Packs are one locale, so per-locale totals stay exact.
"""

from __future__ import annotations

import asyncio
import contextvars
import heapq
import itertools
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial

from locflow.connectors.engines.base import Request, Result
from locflow.connectors.engines.sizing import PackSizing

Pair = tuple[str, str]


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

    async def acquire(self, priority: int = 1) -> None:
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, next(self._order), future))
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release()  # granted, then cancelled: hand the slot on
            else:
                future.cancel()
            raise

    def release(self) -> None:
        while self._waiters:
            *_, future = heapq.heappop(self._waiters)
            if not future.done():
                future.set_result(None)
                return
        self._free += 1

    @asynccontextmanager
    async def hold(self, priority: int = 1, *, held: bool = False) -> AsyncIterator[None]:
        """A slot for the block; `held`: the caller already acquired it (it is released)."""
        if not held:
            await self.acquire(priority)
        try:
            yield
        finally:
            self.release()


class Lease:
    """A slot acquired for a pack before its task runs: the pack's first attempt takes it
    over (`take`); if the task ends without doing so (cancelled before it started), the
    dispatcher releases it."""

    def __init__(self) -> None:
        self._live = True

    def take(self) -> bool:
        live, self._live = self._live, False
        return live


@dataclass(eq=False)
class Item:
    """One queued string, the call waiting for it, and that call's context."""

    request: Request
    seq: int
    context: contextvars.Context
    future: asyncio.Future[Result]

    @property
    def pair(self) -> Pair:
        return (self.request.source_locale, self.request.target_locale)


class PackQueue:
    """Queued strings by language pair, oldest first."""

    def __init__(self) -> None:
        self._pairs: dict[Pair, deque[Item]] = {}
        self._seq = itertools.count()

    def __len__(self) -> int:
        return sum(len(q) for q in self._pairs.values())

    def put(self, batch: Sequence[Request]) -> list[Item]:
        loop, context = asyncio.get_running_loop(), contextvars.copy_context()
        items = [Item(r, next(self._seq), context, loop.create_future()) for r in batch]
        for item in items:
            self._pairs.setdefault(item.pair, deque()).append(item)
        return items

    def oldest_pair(self) -> Pair | None:
        heads = [(q[0].seq, pair) for pair, q in self._pairs.items() if q]
        return min(heads)[1] if heads else None

    def take(self, sizing: PackSizing, size: Callable[[str], int], ratio: float) -> list[Item]:
        """The next pack: from the pair whose oldest string is oldest (see PackSizing.take);
        `size(target)`: strings per pack for that target locale now."""
        pair = self.oldest_pair()
        if pair is None:
            return []
        queue = self._pairs[pair]
        picked = sizing.take((i.request for i in queue), size(pair[1]), ratio)
        chosen = set(picked)
        items = [queue[k] for k in picked]
        rest = deque(item for k, item in enumerate(queue) if k not in chosen)
        if rest:
            self._pairs[pair] = rest
        else:
            del self._pairs[pair]
        return items

    def discard(self, items: Iterable[Item]) -> None:
        """Drop `items` that are still queued (their caller is gone)."""
        gone = set(items)
        for pair in list(self._pairs):
            kept = deque(i for i in self._pairs[pair] if i not in gone)
            if kept:
                self._pairs[pair] = kept
            else:
                del self._pairs[pair]

    def drain(self) -> list[Item]:
        items = [i for q in self._pairs.values() for i in q]
        self._pairs.clear()
        return items


RunPack = Callable[[list[Request], Lease], Awaitable[list[Result]]]


class Dispatcher:
    """One event loop's queue, slots and packs in flight.

    `form(queue)` takes the next pack (called when a slot is free and `ready()` has returned:
    the pace allows a request now, so the pack holds all that is queued by the time it can
    go); `run(requests, lease)`
    sends it on that slot (its first attempt takes the lease) and returns its results. An
    exception out of `run` (a Fatal, or a bug) stops everything: queued strings of every
    caller fail with it, packs in flight are cancelled, and nothing else is sent until every
    caller has returned (`on_stop` is told first)."""

    def __init__(
        self,
        concurrency: int,
        form: Callable[[PackQueue], list[Item]],
        run: RunPack,
        on_stop: Callable[[BaseException], None],
        ready: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.slots = Slots(concurrency)
        self.queue = PackQueue()
        self._form, self._run, self._on_stop = form, run, on_stop
        self._ready = ready
        self._feeder: asyncio.Task[None] | None = None
        self._inflight: dict[asyncio.Task[None], list[Item]] = {}
        self.error: BaseException | None = None
        self.callers = 0

    async def submit(self, batch: Sequence[Request]) -> list[Result]:
        """Queue `batch`, return its results in order once all of its strings are done."""
        if self.callers == 0:
            self.error = None  # a new start once everyone has returned
        if self.error is not None:
            raise self.error
        items = self.queue.put(batch)
        self.callers += 1
        if self._feeder is None:
            self._feeder = asyncio.create_task(self._feed())
        try:
            return list(await asyncio.gather(*(i.future for i in items)))
        except BaseException:
            for item in items:
                item.future.cancel()
            self.queue.discard(items)
            self._cancel_orphans()
            self._stop_feeder_if_idle()
            raise
        finally:
            self.callers -= 1

    async def _feed(self) -> None:
        """Forms a pack each time a slot is free, while anything is queued."""
        try:
            while len(self.queue) and self.error is None:
                await self.slots.acquire(1)
                try:
                    if self._ready is not None:
                        await self._ready()
                except BaseException:
                    self.slots.release()
                    raise
                items = self._form(self.queue) if self.error is None else []
                if not items:
                    self.slots.release()
                    continue
                lease = Lease()
                task = asyncio.create_task(
                    self._send(items, lease), context=items[0].context.copy()
                )
                self._inflight[task] = items
                task.add_done_callback(partial(self._sent, lease))
        finally:
            if self._feeder is asyncio.current_task():
                self._feeder = None

    def _stop_feeder_if_idle(self) -> None:
        """A feeder waiting for a slot or its turn with nothing left to pack ends now, not
        when the pace allows (a loop closed meanwhile would find it pending)."""
        feeder = self._feeder
        idle = self.error is not None or not len(self.queue)
        if feeder is not None and idle and feeder is not asyncio.current_task():
            self._feeder = None
            feeder.cancel()

    def _sent(self, lease: Lease, task: asyncio.Task[None]) -> None:
        self._inflight.pop(task, None)
        if lease.take():
            self.slots.release()

    async def _send(self, items: list[Item], lease: Lease) -> None:
        try:
            results = await self._run([i.request for i in items], lease)
        except asyncio.CancelledError:
            for item in items:
                item.future.cancel()
            raise
        except BaseException as exc:  # a Fatal, or a bug: stop everything
            self._stop(exc, items)
            return
        for item, result in zip(items, results, strict=True):
            if not item.future.done():
                item.future.set_result(result)

    def _stop(self, exc: BaseException, own: list[Item]) -> None:
        self.error = exc
        self._on_stop(exc)
        current = asyncio.current_task()
        failed = [*own, *self.queue.drain()]
        for task, items in list(self._inflight.items()):
            if task is not current:
                failed.extend(items)
                task.cancel()
        for item in failed:  # before the cancellations land: callers see `exc`
            if not item.future.done():
                item.future.set_exception(exc)
        self._stop_feeder_if_idle()

    def _cancel_orphans(self) -> None:
        """Packs in flight whose every caller is gone are not worth sending on."""
        for task, items in list(self._inflight.items()):
            if all(i.future.done() for i in items):
                task.cancel()
