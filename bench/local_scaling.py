"""Does openai_compat use every parallel slot of a local server?

For N = 1, 2, 4, 8 it starts the loopback fake server (tests/fakes/chat_server.py) acting as
llama.cpp started with `--parallel N`: `GET /props` says `total_slots: N`, N requests are
decoded at once, each takes a fixed latency, one more waits for a free slot. The engine
(OpenAICompatEngine, the real openai client over HTTP on 127.0.0.1, `[engine] concurrency`
unset so it comes from /props) translates the same strings in packs of a fixed size, so the
request count is known. Printed per N: requests, wall time, requests/s, the speed-up over
N = 1 and the speed-up ÷ N (1.0: every slot busy all the time; target ≥ 0.8 for every N).

    python -m bench.local_scaling [--requests 48] [--latency 0.2] [--pack 4]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass

from locflow.connectors.engines.base import Request
from locflow.connectors.engines.openai_compat import OpenAICompatEngine
from locflow.settings import EngineSettings
from tests.fakes.chat_server import ChatServer, fake_translate

SLOTS = (1, 2, 4, 8)
TARGET = 0.8
"""Speed-up ÷ N at least this for every N."""


@dataclass(frozen=True)
class Row:
    slots: int
    concurrency: int
    """What the engine took from /props."""
    requests: int
    wall: float
    max_in_flight: int
    correct: bool


def strings(count: int) -> list[Request]:
    return [
        Request(
            key=f"k{i}",
            text=f"Open the file number {i} in [X0X]",
            source_locale="en",
            target_locale="fr",
            tokens=("[X0X]",),
        )
        for i in range(count)
    ]


def measure(slots: int, requests: int, latency: float, pack: int) -> Row:
    batch = strings(requests * pack)
    with ChatServer(total_slots=slots, delay=latency) as server:
        settings = EngineSettings(
            name="openai_compat",
            model="local-model",
            base_url=server.url,
            timeout=30,
            extra=(("pack_size", pack),),
        )
        engine = OpenAICompatEngine(settings)
        concurrency = engine.limits().concurrency  # asks /props, as a run does first
        started = time.perf_counter()
        results = asyncio.run(engine.translate(batch))
        wall = time.perf_counter() - started
        correct = all(r.text == fake_translate(q.text) for q, r in zip(batch, results, strict=True))
        return Row(
            slots=slots,
            concurrency=concurrency,
            requests=len(server.bodies("/chat/completions")),
            wall=wall,
            max_in_flight=server.max_in_flight,
            correct=correct,
        )


def table(rows: list[Row]) -> tuple[str, bool]:
    """The printed table, and whether every N met the target."""
    base = rows[0].wall
    lines = [
        "| N (total_slots) | concurrency | requests | wall s | requests/s | speed-up | "
        "speed-up ÷ N | max in flight | all correct |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    ok = True
    for row in rows:
        speedup = base / row.wall
        efficiency = speedup / row.slots
        ok = ok and efficiency >= TARGET and row.correct
        lines.append(
            f"| {row.slots} | {row.concurrency} | {row.requests} | {row.wall:.2f} | "
            f"{row.requests / row.wall:.1f} | {speedup:.2f} | {efficiency:.2f} | "
            f"{row.max_in_flight} | {'yes' if row.correct else 'NO'} |"
        )
    return "\n".join(lines), ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=48, help="requests per N (default 48)")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per request")
    parser.add_argument("--pack", type=int, default=4, help="strings per request (fixed)")
    args = parser.parse_args(argv)
    rows = [measure(n, args.requests, args.latency, args.pack) for n in SLOTS]
    text, ok = table(rows)
    print(
        f"{args.requests} requests of {args.pack} strings per N, {args.latency:g} s each, "
        f"concurrency from GET /props total_slots\n"
    )
    print(text)
    print(f"\ntarget speed-up ÷ N ≥ {TARGET}: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
