"""One stream of stored batches across locales (pipeline/stream.py) as plain functions: no
Prefect, no engine. A batch is "sent" when submitted and "finishes" when its result is read;
what it returns is scripted per batch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from locflow.connectors.engines.base import Fatal, LocaleRefused
from locflow.pipeline.budget import Budget, CostCapReached
from locflow.pipeline.stream import Batch, Window, batches_of, send_stream
from locflow.pipeline.summary import BatchResult, LocaleSummary
from locflow.pipeline.translate import Job, StoreCounts

Script = Callable[[Batch], BatchResult]


def _jobs(locale: str, n: int) -> list[Job]:
    return [Job((f"{locale}{i}",)) for i in range(n)]  # type: ignore[arg-type]  # one item


def stored(batch: Batch, deferred: int = 0) -> BatchResult:
    """Every job stored, but the last `deferred` ones: deferred, worth a retry."""
    retry = batch.jobs[len(batch.jobs) - deferred :] if deferred else ()
    return BatchResult(
        counts=StoreCounts(machine=batch.strings - deferred, deferred=deferred),
        strings=batch.strings,
        requests=1,
        paid_requests=1,
        tokens_in=0,
        tokens_out=0,
        cost=0.0,
        retry=retry,
    )


@dataclass
class Line:
    script: Script = stored
    events: list[str] = field(default_factory=list)
    flying: list[Batch] = field(default_factory=list)
    waits: list[tuple[int, bool]] = field(default_factory=list)
    """At each wait for a batch: strings of the other batches in flight, and whether the
    stream had first-pass batches left to send."""
    summaries: dict[str, LocaleSummary] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    sent: list[Batch] = field(default_factory=list)
    total: int = 0

    def submit(self, batch: Batch) -> Pending:
        self.sent.append(batch)
        self.flying.append(batch)
        self.events.append(f"send {batch.locale}{'*' if batch.last_pass else ''}")
        return Pending(self, batch)

    def on_done(self, locale: str, result: BatchResult, finished: int) -> None:
        self.summaries.setdefault(locale, LocaleSummary(locale)).add(result)

    def on_refused(self, locale: str, exc: LocaleRefused) -> None:
        self.refused.append(f"{locale}: {exc}")

    def run(self, jobs: dict[str, list[Job]], window: Window, budget: Budget | None = None):
        self.total = sum(len(j) for j in jobs.values())
        send_stream(
            batches_of(jobs, size=40),
            self.submit,
            window=window,
            budget=budget or Budget(None),
            estimate=lambda batch: 1.0,
            on_done=self.on_done,
            on_refused=self.on_refused,
            size=40,
        )


@dataclass
class Pending:
    line: Line
    batch: Batch

    def result(self) -> BatchResult:
        others = sum(b.strings for b in self.line.flying if b is not self.batch)
        first_pass_sent = sum(b.strings for b in self.line.sent if not b.last_pass)
        self.line.waits.append((others, first_pass_sent < self.line.total))
        self.line.flying.remove(self.batch)
        self.line.events.append(f"done {self.batch.locale}{'*' if self.batch.last_pass else ''}")
        return self.line.script(self.batch)


def test_the_window_keeps_concurrency_plus_one_packs_besides_the_batch_waited_for() -> None:
    window = Window.for_engine(concurrency=4, max_pack=20)
    assert (window.strings, window.batches) == (100, 4)
    line = Line()
    line.run({"fr": _jobs("fr", 300), "de": _jobs("de", 300)}, window)
    # while first-pass work was left, every wait had (4 + 1) x 20 strings in flight besides
    assert all(others >= 100 for others, more in line.waits if more), line.waits
    assert max(others for others, _ in line.waits) >= 100
    assert {k: v.counts.machine for k, v in line.summaries.items()} == {"fr": 300, "de": 300}


def test_the_next_locale_goes_out_while_the_previous_one_is_in_flight() -> None:
    line = Line()
    line.run({"fr": _jobs("fr", 50), "de": _jobs("de", 30)}, Window.for_engine(2, 8))
    first_de = line.events.index("send de")
    last_fr_done = max(i for i, e in enumerate(line.events) if e == "done fr")
    assert first_de < last_fr_done, line.events


def test_small_locales_fill_the_window_together() -> None:
    line = Line()
    jobs = {x: _jobs(x, 19) for x in ("fr", "ru", "ar", "de")}
    line.run(jobs, Window.for_engine(concurrency=1, max_pack=8))
    assert line.events[:2] == ["send fr", "send ru"]  # 19 besides the oldest >= (1 + 1) x 8
    assert {k: v.counts.machine for k, v in line.summaries.items()} == dict.fromkeys(jobs, 19)


def test_the_window_never_exceeds_the_worker_threads() -> None:
    line2 = Line()
    window = Window(strings=1000, batches=8, most=3)
    send_stream(
        [Batch("fr", tuple(_jobs("fr", 1))) for _ in range(10)],
        line2.submit,
        window=window,
        budget=Budget(None),
        estimate=lambda batch: 0.0,
        on_done=line2.on_done,
        on_refused=line2.on_refused,
    )
    assert max(others for others, _ in line2.waits) == 2  # two besides the one waited for


def test_deferred_jobs_get_a_last_pass_and_are_counted_once() -> None:
    def flaky(batch: Batch) -> BatchResult:
        if batch.last_pass:  # of 5 sent again, 2 fail again
            return stored(batch, deferred=2)
        return stored(batch, deferred=5 if batch.locale == "fr" else 0)

    line = Line(script=flaky)
    line.run({"fr": _jobs("fr", 45), "de": _jobs("de", 10)}, Window.for_engine(2, 8))
    last = [b for b in line.sent if b.last_pass]
    # 5 from each fr batch, sent once the first pass is out, as soon as each is known
    assert [(b.locale, b.strings) for b in last] == [("fr", 5), ("fr", 5)]
    assert line.events[-1] == "done fr*"
    assert not any(
        e.startswith("send") and "*" not in e for e in line.events[line.events.index("send fr*") :]
    )
    fr = line.summaries["fr"].counts
    # 10 deferred, 6 stored by the last pass, 4 still deferred: each string counted once
    assert (fr.machine, fr.deferred) == (45 - 10 + 6, 4)
    assert line.summaries["de"].counts.deferred == 0


def test_a_deferred_job_is_sent_once_more_only() -> None:
    line = Line(script=lambda batch: stored(batch, deferred=batch.strings))
    line.run({"fr": _jobs("fr", 3)}, Window.for_engine(1, 1))
    assert [b.last_pass for b in line.sent] == [False, True]
    assert line.summaries["fr"].counts.deferred == 3


def test_a_refused_locale_is_dropped_and_the_others_go_on() -> None:
    def refusing(batch: Batch) -> BatchResult:
        if batch.locale == "ga":
            raise LocaleRefused("'ga' is not supported")
        return stored(batch)

    line = Line(script=refusing)
    jobs = {"ga": _jobs("ga", 200), "fr": _jobs("fr", 50)}
    line.run(jobs, Window(strings=1, batches=2, most=2))
    assert line.refused == ["ga: 'ga' is not supported"]
    assert [b.locale for b in line.sent].count("ga") == 2  # those in flight; no more
    assert line.summaries["fr"].counts.machine == 50 and "ga" not in line.summaries


def test_a_fatal_error_lets_the_batches_in_flight_finish_and_stops() -> None:
    def dying(batch: Batch) -> BatchResult:
        if batch.jobs[0].items[0] == "fr40":  # type: ignore[comparison-overlap]
            raise Fatal("401 invalid key")
        return stored(batch, deferred=1)

    line = Line(script=dying)
    with pytest.raises(Fatal, match="401"):
        line.run({"fr": _jobs("fr", 400)}, Window(strings=80, batches=1, most=8))
    assert line.flying == []  # every batch sent was settled
    fr = line.summaries["fr"].counts
    assert not any(b.last_pass for b in line.sent)
    # the batches stored, but the one that failed; their deferred strings stay deferred
    assert len(line.sent) == 4 and (fr.machine, fr.deferred) == (3 * 39, 3)


def test_the_cost_cap_stops_the_stream_and_the_last_pass_stays_deferred() -> None:
    budget = Budget(3.0)
    calls = 0

    def estimate(batch: list[Job]) -> float:
        nonlocal calls
        calls += 1
        return 1.0 if calls <= 2 else 5.0  # the third batch (the last pass) does not fit

    line = Line(script=lambda batch: stored(batch, deferred=2))
    with pytest.raises(CostCapReached):
        send_stream(
            batches_of({"fr": _jobs("fr", 60)}, size=40),
            line.submit,
            window=Window(strings=1, batches=1, most=1),
            budget=budget,
            estimate=estimate,
            on_done=line.on_done,
            on_refused=line.on_refused,
            size=40,
        )
    fr = line.summaries["fr"].counts
    assert [b.last_pass for b in line.sent] == [False, False]
    assert (fr.machine, fr.deferred) == (56, 4)
