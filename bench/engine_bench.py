"""`make bench`: QwenMTEngine against the simulated provider, under injected 429s and 5xx.

Translates N generated UI strings (placeholders masked as the pipeline does) through the
engine, then a sample through a naive client (one string per call, sequential, retrying
like the engine but with no pacing or packing), each against a fresh simulator with the same
limits. For each it prints, from the server's own counters (injected failures included):

- wall ÷ limit, where limit = max(attempts × 60 / RPM, input tokens × 60 / TPM): 1.0 means
  the run went exactly as fast as the provider's limits allow;
- successful requests per 1,000 strings;
- lost strings: no correct translation at the end (compared with the simulator's own
  deterministic translation, so a misaligned pack counts as lost).

Targets for the engine: wall/limit ≤ 1.15, ≤ 60 requests per 1,000 strings, 0 lost.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from locflow.catalog.placeholders import mask
from locflow.connectors.engines.base import EngineError, Request, Result
from locflow.connectors.engines.http_errors import from_openai_error
from locflow.connectors.engines.pacing import RetryPolicy, with_retries
from locflow.connectors.engines.qwen_mt import QwenMTEngine
from locflow.settings import EngineSettings
from tests.fakes.qwen_rules import sim_translate
from tests.fakes.qwen_sim import QwenSim

FAULTS = {"429": 0.10, "429_retry_after": 0.10, "500": 0.025, "503": 0.025}
"""20 % 429s (half with Retry-After) and 5 % 5xx on every attempt."""
TARGETS = ("de", "fr", "ja")
GLOSSARY = {
    "file": "Datei",
    "folder": "Ordner",
    "account": "Konto",
    "project": "Projekt",
    "workspace": "Arbeitsbereich",
    "server": "Server",
}
_VERBS = [
    "Open",
    "Save",
    "Delete",
    "Rename",
    "Share",
    "Download",
    "Upload",
    "Archive",
    "Restore",
    "Move",
    "Copy",
    "Export",
    "Import",
    "Sync",
    "Close",
    "Edit",
]
_NOUNS = [
    "file",
    "folder",
    "account",
    "project",
    "workspace",
    "server",
    "report",
    "invoice",
    "message",
    "contact",
    "calendar",
    "setting",
    "device",
    "backup",
    "template",
]
_TEMPLATES = [
    ("{verb} {noun}", ()),
    ("{verb} the selected {noun}s?", ()),
    ("{verb} %d {noun}s", ("c-format",)),
    ("Could not {lverb} “%s”: %s", ("c-format",)),
    ("<b>{{name}}</b> wants to {lverb} your {noun}", ("python-brace-format",)),
    ("{verb} {noun} in %(place)s", ("python-format",)),
    ("You have {{count}} new {noun}s in {{where}}", ("python-brace-format",)),
    ("The {noun} was {lverb}d successfully.", ()),
    ("Are you sure you want to {lverb} this {noun}? This cannot be undone.", ()),
    ('See <a href="https://example.com/help">the help page</a> to {lverb} a {noun}.', ()),
]


def ui_strings(count: int, seed: int = 1) -> list[Request]:
    """`count` masked UI-like requests, round-robin over a few target locales."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        template, flags = _TEMPLATES[i % len(_TEMPLATES)]
        verb, noun = rng.choice(_VERBS), rng.choice(_NOUNS)
        text = template.format(verb=verb, lverb=verb.lower(), noun=noun) + f" #{i}"
        masked = mask(text, flags)
        terms = tuple(
            (s, t)
            for s, t in GLOSSARY.items()
            if re.search(rf"(?<!\w){re.escape(s)}(?!\w)", masked.text, re.I)
        )
        out.append(
            Request(
                key=str(i),
                text=masked.text,
                source_locale="en",
                target_locale=TARGETS[i % len(TARGETS)],
                tokens=masked.token_strings,
                terms=terms,
            )
        )
    return out


@dataclass(frozen=True)
class Report:
    client: str
    strings: int
    wall: float
    attempts: int
    tokens: int
    limit: float
    ok_requests: int
    throttled: int
    lost: int

    @property
    def ratio(self) -> float:
        return self.wall / self.limit if self.limit else float("inf")

    @property
    def per_1000(self) -> float:
        return 1000 * self.ok_requests / max(1, self.strings)


def lost(requests: Sequence[Request], results: Sequence[Result | None]) -> int:
    bad = 0
    for request, result in zip(requests, results, strict=True):
        if result is None or result.text != sim_translate(request.text, request.terms):
            bad += 1
    return bad


def measure(
    client: str,
    sim: QwenSim,
    requests: Sequence[Request],
    wall: float,
    results: Sequence[Result | None],
    rpm: float,
    tpm: float,
) -> Report:
    c = sim.counters
    limit = max(c.charged * 60 / rpm, c.prompt_tokens * 60 / tpm)
    return Report(
        client,
        len(requests),
        wall,
        c.charged,
        c.prompt_tokens,
        limit,
        c.ok,
        c.throttled,
        lost(requests, results),
    )


async def run_engine(
    sim: QwenSim, requests: list[Request], args: argparse.Namespace
) -> tuple[float, list[Result]]:
    settings = EngineSettings(
        name="qwen_mt",
        base_url=sim.base_url,
        rpm=args.rpm,
        tpm=args.tpm,
        concurrency=args.concurrency,
        timeout=args.timeout,
    )
    engine = QwenMTEngine(settings, env={"DASHSCOPE_API_KEY": sim.api_key})
    started = time.perf_counter()
    results = await engine.translate(requests)
    wall = time.perf_counter() - started
    await engine.aclose()
    print(f"  engine pack stats: {engine.stats().as_dict()}", file=sys.stderr)
    return wall, results


async def run_naive(
    sim: QwenSim, requests: list[Request], args: argparse.Namespace
) -> tuple[float, list[Result | None]]:
    """What one writes without pacing or packing: one string per call, one call at a time."""
    import openai

    from locflow.connectors.engines.languages import qwen_language

    client = openai.AsyncOpenAI(
        api_key=sim.api_key, base_url=sim.base_url, max_retries=0, timeout=args.timeout
    )
    policy = RetryPolicy()
    results: list[Result | None] = []
    started = time.perf_counter()
    for r in requests:
        options = {
            "source_lang": qwen_language(r.source_locale),
            "target_lang": qwen_language(r.target_locale),
        }
        if r.terms:
            options["terms"] = [{"source": s, "target": t} for s, t in r.terms]

        async def call(r: Request = r, options: dict = options) -> str:
            try:
                reply = await client.chat.completions.create(
                    model="qwen-mt-flash",
                    messages=[{"role": "user", "content": r.text}],
                    extra_body={"translation_options": options},
                )
            except openai.APIError as exc:
                raise from_openai_error(exc) from None
            return reply.choices[0].message.content or ""

        try:
            results.append(Result(r.key, await with_retries(call, policy)))
        except EngineError:
            results.append(None)
    wall = time.perf_counter() - started
    await client.close()
    return wall, results


def fresh_sim(args: argparse.Namespace) -> QwenSim:
    return QwenSim(
        rpm=args.rpm,
        tpm=args.tpm,
        latency=args.latency,
        faults=FAULTS,
        retry_after=args.retry_after,
        seed=args.seed,
    ).start()


def show(report: Report) -> None:
    print(
        f"{report.client:<7} {report.strings:>7} {report.wall:>8.1f} {report.limit:>8.1f} "
        f"{report.ratio:>7.3f} {report.attempts:>8} {report.tokens:>9} {report.throttled:>6} "
        f"{report.per_1000:>9.1f} {report.lost:>5}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bench.engine_bench", description=(__doc__ or "").split("\n")[0]
    )
    p.add_argument("--strings", type=int, default=5000, help="strings through the engine")
    p.add_argument(
        "--naive-strings",
        type=int,
        default=300,
        help="strings through the naive client (it is slow by design; 0 skips it)",
    )
    p.add_argument("--rpm", type=float, default=1200.0)
    p.add_argument("--tpm", type=float, default=2_000_000.0)
    p.add_argument("--latency", type=float, default=0.1, help="seconds per request at the server")
    p.add_argument("--retry-after", type=float, default=1.0, help="Retry-After on injected 429s")
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)

    requests = ui_strings(args.strings, args.seed)
    print(
        f"{args.strings} strings, RPM {args.rpm:g}, TPM {args.tpm:g}, "
        f"latency {args.latency:g} s, faults {FAULTS}"
    )
    reports = []
    for client, count, runner in (
        ("engine", args.strings, run_engine),
        ("naive", args.naive_strings, run_naive),
    ):
        if count <= 0:
            continue
        sample = requests[:count]
        sim = fresh_sim(args)
        try:
            wall, results = asyncio.run(runner(sim, sample, args))
            reports.append(measure(client, sim, sample, wall, results, args.rpm, args.tpm))
        finally:
            sim.stop()
    print(
        f"{'client':<7} {'strings':>7} {'wall s':>8} {'limit s':>8} {'ratio':>7} "
        f"{'attempts':>8} {'tokens':>9} {'429real':>6} {'ok/1000':>9} {'lost':>5}"
    )
    for report in reports:
        show(report)
    engine = reports[0] if reports and reports[0].client == "engine" else None
    if engine is None:
        return 0
    met = engine.ratio <= 1.15 and engine.per_1000 <= 60 and engine.lost == 0
    print(
        f"targets (wall/limit ≤ 1.15, ≤ 60 requests/1000 strings, 0 lost): "
        f"{'met' if met else 'NOT met'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
