"""One stream of stored batches across every locale of a run, so the engine's queue never
runs dry: between batches, between locales, and at the end, where the strings deferred by a
transient failure are sent once more (the last pass) before the run gives up on them.

Each batch is one locale's (up to BATCH strings) and is translated and stored in its own
transaction (batches.translate_batch). Locales follow each other in the stream: the next
locale's batches are sent while the previous one's last packs are in flight. The window
keeps, besides the oldest batch in flight (the one waited for), at least (concurrency + 1)
packs of strings in flight, so the engine can fill a pack for every free slot and have the
next one ready (see `Window`).
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from functools import partial

from locflow.connectors.engines.base import LocaleRefused
from locflow.pipeline.batches import Pending
from locflow.pipeline.budget import Budget, CostCapReached
from locflow.pipeline.cost import BATCH
from locflow.pipeline.summary import BatchResult
from locflow.pipeline.translate import Job, StoreCounts


@dataclass(frozen=True)
class Window:
    """How many batches a stream keeps in flight. A batch is sent while fewer than
    `batches` are in flight, or while those besides the oldest hold fewer than `strings`
    strings; never more than `most` at once (the flow's worker threads)."""

    strings: int
    batches: int = 1
    most: int = 64

    @classmethod
    def for_engine(cls, concurrency: int, max_pack: int, most: int = 64) -> Window:
        """(concurrency + 1) packs of the engine's largest size, besides the oldest batch;
        and never fewer batches than the engine's concurrency (as many calls at once)."""
        return cls((concurrency + 1) * max(1, max_pack), max(1, concurrency), max(1, most))

    def room(self, sizes: Sequence[int]) -> bool:
        """Whether one more batch may go out, `sizes` being the strings of those in flight,
        oldest first."""
        if len(sizes) >= self.most:
            return False
        return len(sizes) < self.batches or sum(sizes[1:]) < self.strings


@dataclass(frozen=True)
class Batch:
    """One stored batch of the stream: one locale's jobs. `last_pass`: deferred jobs sent
    once more (their failures stay deferred)."""

    locale: str
    jobs: tuple[Job, ...]
    last_pass: bool = False

    @property
    def strings(self) -> int:
        return len(self.jobs)


def batches_of(jobs: Mapping[str, Sequence[Job]], size: int = BATCH) -> list[Batch]:
    """Every locale's jobs in batches of `size`, locale after locale (in `jobs` order)."""
    return [
        Batch(locale, tuple(todo[start : start + size]))
        for locale, todo in jobs.items()
        for start in range(0, len(todo), size)
    ]


def items(jobs: Sequence[Job]) -> int:
    """Work items (the strings counted as deferred) of `jobs`."""
    return sum(len(job.items) for job in jobs)


def without_retry(result: BatchResult) -> BatchResult:
    """`result` once its deferred jobs are taken for the last pass: they are no longer
    counted deferred (the last pass counts those that still fail)."""
    counts = StoreCounts()
    counts.add(result.counts)
    counts.deferred -= items(result.retry)
    return replace(result, counts=counts, retry=())


def deferred_only(jobs: Sequence[Job]) -> BatchResult:
    """What jobs taken for the last pass but never sent come to: deferred."""
    return BatchResult(
        counts=StoreCounts(deferred=items(jobs)),
        strings=0,
        requests=0,
        paid_requests=0,
        tokens_in=0,
        tokens_out=0,
        cost=0.0,
    )


OnDone = Callable[[str, BatchResult, int], None]
"""(locale, a batch's result, strings of that locale finished so far)."""
OnRefused = Callable[[str, LocaleRefused], None]


class Stream:
    """The batches of one run, sent and settled in order (see `send_stream`)."""

    def __init__(
        self, batches: Sequence[Batch], on_done: OnDone, on_refused: OnRefused, size: int
    ) -> None:
        self.todo: deque[Batch] = deque(batches)
        self.in_flight: deque[tuple[Batch, Pending]] = deque()
        self.retry: dict[str, list[Job]] = {}
        self.refused: set[str] = set()
        self.finished: Counter[str] = Counter()
        self.on_done, self.on_refused, self.size = on_done, on_refused, size

    def sizes(self) -> list[int]:
        return [batch.strings for batch, _ in self.in_flight]

    def next_batch(self) -> Batch | None:
        """The next first-pass batch of a locale not refused; then the last pass."""
        while self.todo:
            batch = self.todo.popleft()
            if batch.locale not in self.refused:
                return batch
        for locale, jobs in self.retry.items():
            if jobs and locale not in self.refused:
                take, self.retry[locale] = jobs[: self.size], jobs[self.size :]
                return Batch(locale, tuple(take), last_pass=True)
        return None

    def settle_oldest(self) -> None:
        batch, pending = self.in_flight.popleft()
        try:
            result = pending.result()
        except LocaleRefused as exc:  # that locale only: the others go on
            if batch.locale not in self.refused:
                self.refused.add(batch.locale)
                self.on_refused(batch.locale, exc)
            return
        if result.retry and not batch.last_pass:
            self.retry.setdefault(batch.locale, []).extend(result.retry)
            result = without_retry(result)
        elif result.retry:
            result = replace(result, retry=())
        if not batch.last_pass:
            self.finished[batch.locale] += batch.strings
        self.on_done(batch.locale, result, self.finished[batch.locale])

    def put_back(self, batch: Batch) -> None:
        """A batch that was not sent after all: a last-pass one's jobs stay to give up."""
        if batch.last_pass:
            self.retry[batch.locale] = [*batch.jobs, *self.retry.get(batch.locale, [])]

    def drain(self) -> None:
        """Settle every batch in flight: a stop lets them finish and be stored. Their own
        errors are dropped: the run is already stopping for the first one."""
        while self.in_flight:
            with suppress(Exception):
                self.settle_oldest()

    def give_up(self) -> None:
        """Jobs taken for the last pass but never sent stay deferred."""
        for locale, jobs in self.retry.items():
            if jobs:
                self.on_done(locale, deferred_only(jobs), self.finished[locale])
        self.retry.clear()


def send_stream(
    batches: Sequence[Batch],
    submit: Callable[[Batch], Pending],
    *,
    window: Window,
    budget: Budget,
    estimate: Callable[[list[Job]], float],
    on_done: OnDone,
    on_refused: OnRefused,
    size: int = BATCH,
) -> None:
    """Send `batches` in order, as many in flight as `window` allows, then the jobs they
    deferred (BatchResult.retry) once more, in batches of `size`. A batch is started only
    while the budget has room for its estimate. `on_done` is called per batch, in order;
    a locale the engine refuses (LocaleRefused) gets `on_refused` once and its remaining
    batches are dropped. CostCapReached, a Fatal error or any other stops the sending:
    the batches already sent finish and are stored, then the error goes on."""
    stream = Stream(batches, on_done, on_refused, size)
    try:
        while True:
            while stream.in_flight and not window.room(stream.sizes()):
                stream.settle_oldest()
            batch = stream.next_batch()
            if batch is None:
                if not stream.in_flight:
                    break
                stream.settle_oldest()
                continue
            try:
                budget.check(partial(estimate, list(batch.jobs)))
                pending = submit(batch)
            except BaseException:
                stream.put_back(batch)
                raise
            stream.in_flight.append((batch, pending))
        if budget.exhausted:  # the last batch's requests were stopped by the cap
            raise CostCapReached(budget.message())
    except BaseException:
        stream.drain()
        raise
    finally:
        stream.give_up()
