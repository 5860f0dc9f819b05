"""Adaptive pack sizes against fixed ones (issue 16), on a simulator whose packs misalign more
often the more strings they carry.

    python -m bench.pack_bench                       # q = 0.005 per string, 2 x 1,200 strings
    python -m bench.pack_bench --q 0.002 --strings 2000

A real model keeps a pack's line markers less reliably as the pack grows; the simulator's
faults are per request. Here each request misaligns (a merged line) with probability
1 - (1 - q)^n for a pack of n strings. The engine (real HTTP, the `openai` client, the
default cap of 100 and the token budget of TPM / RPM) translates stored batches of 40 strings,
four at a time per locale, two locales at once, on one event loop as the flows do, once with
`adaptive = true` and once with `adaptive = false`. Printed per run: paid requests, strings
per paid request, input tokens billed (a misaligned pack's are paid and wasted), packs split,
and each locale's pack-size trajectory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
from dataclasses import dataclass

from locflow.connectors.engines.base import EngineStats, Request
from locflow.connectors.engines.qwen_mt import QwenMTEngine
from locflow.settings import EngineSettings
from tests.fakes.qwen_sim import QwenSim

KEY = "sk-pack-bench-0000000000"
BATCH, WINDOW = 40, 4


class SizedFaults(QwenSim):
    """A packed request misaligns with probability 1 - (1 - q)^n (n: strings in it)."""

    def __init__(self, q: float, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.q, self._draw_lock = q, threading.Lock()

    def handle(self, auth: str | None, raw: bytes):  # type: ignore[no-untyped-def]
        try:
            content = json.loads(raw)["messages"][0]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            return super().handle(auth, raw)
        n = max(1, content.count("⟦"))
        with self._draw_lock:  # the probability and the draw belong to this request
            self.set_faults(merge=1 - (1 - self.q) ** n if n > 1 else 0.0)
            return super().handle(auth, raw)


@dataclass(frozen=True)
class Run:
    adaptive: bool
    strings: int
    stats: EngineStats
    billed_in: int

    def line(self) -> str:
        s = self.stats
        return (
            f"adaptive={str(self.adaptive).lower():5}: {s.paid_requests} paid requests "
            f"({self.strings / max(1, s.paid_requests):.1f} strings each), {self.billed_in} "
            f"input tokens billed, {s.packs_split} of {s.packs} packs split"
        )

    def trajectories(self) -> list[str]:
        out = []
        for locale in sorted({t[0] for t in self.stats.pack_trajectory}):
            steps = [(n, size) for loc, n, size in self.stats.pack_trajectory if loc == locale]
            shown = " ".join(f"{size}@{n}" for n, size in steps[:40])
            out.append(f"    {locale}: {shown}{' …' if len(steps) > 40 else ''} (size@pack)")
        return out


def requests_for(locale: str, count: int) -> list[Request]:
    words = ["Open", "the", "file", "Save", "changes", "to", "folder", "Delete", "item"]
    return [
        Request(
            f"{locale}{i}",
            " ".join(words[(i + k) % len(words)] for k in range(2 + i % 6)) + f" {i} [X0X]",
            "en",
            locale,
            tokens=("[X0X]",),
        )
        for i in range(count)
    ]


async def _locale(engine: QwenMTEngine, requests: list[Request]) -> None:
    window = asyncio.Semaphore(WINDOW)

    async def one(batch: list[Request]) -> None:
        async with window:
            await engine.translate(batch)

    batches = [requests[i : i + BATCH] for i in range(0, len(requests), BATCH)]
    await asyncio.gather(*(one(b) for b in batches))


def measure(adaptive: bool, q: float, strings: int, seed: int) -> Run:
    with SizedFaults(q, api_key=KEY, seed=seed) as sim:
        settings = EngineSettings(
            name="qwen_mt",
            base_url=sim.base_url,
            rpm=6000,  # 100x the real pace, with the real TPM / RPM ratio (the pack budget)
            tpm=10_000_000,
            concurrency=4,
            adaptive=adaptive,
        )
        engine = QwenMTEngine(settings, env={"DASHSCOPE_API_KEY": KEY})

        async def both() -> None:
            locales = ("de", "fr")
            await asyncio.gather(*(_locale(engine, requests_for(x, strings)) for x in locales))

        asyncio.run(both())
        return Run(adaptive, 2 * strings, engine.stats(), sim.counters.billed_prompt_tokens)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--q", type=float, default=0.005, help="misalignment per string")
    parser.add_argument("--strings", type=int, default=1200, help="strings per locale")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    for adaptive in (True, False):
        run = measure(adaptive, args.q, args.strings, args.seed)
        print(run.line())
        for line in run.trajectories():
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
