"""The cost ledger's arithmetic: prices per million tokens, and a pre-run estimate.

Default prices are Model Studio's international (Singapore) list prices in USD as of the
reference notes; check the live price page and set `[engine] prices` to override.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from locflow.connectors.engines.registry import sizing_for
from locflow.connectors.engines.sizing import PACKING_RATIO
from locflow.pipeline.plan import LocalePlan
from locflow.pipeline.translate import Job, build_requests, jobs_of
from locflow.settings import EngineSettings, Prices

DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "qwen-mt-flash": (0.16, 0.49),
    "qwen-mt-turbo": (0.16, 0.49),
    "qwen-mt-plus": (2.46, 7.37),
    "qwen-mt-lite": (0.12, 0.36),
}
DEFAULT_MODELS = {"qwen_mt": "qwen-mt-flash"}
BATCH = 40
"""Strings per stored batch (the batch loop's unit, pipeline/batches.py). Packs span stored
batches (the engine packs one queue across the batches in flight), so the estimate packs a
locale's strings as one stream."""


def prices_for(settings: EngineSettings) -> Prices:
    """`[engine] prices` when set, else the engine's list price (zero when it has none)."""
    if settings.prices is not None:
        return settings.prices
    model = settings.model or DEFAULT_MODELS.get(settings.name, "")
    if settings.name == "qwen_mt" and model in DEFAULT_PRICES:
        return Prices(*DEFAULT_PRICES[model])
    return Prices()


@dataclass(frozen=True)
class Estimate:
    """What a run would need: strings, requests (one per call the packer would make, no
    retries), tokens and cost."""

    strings: int
    requests: int
    tokens_in: int
    tokens_out: int
    cost: float

    def as_dict(self) -> dict[str, float | int]:
        return dict(self.__dict__)


def estimate(plans: Iterable[LocalePlan], settings: EngineSettings, source_locale: str) -> Estimate:
    """Strings, requests, tokens and cost a translate run would need, without calling out:
    each locale's strings in the batch loop's batches, packed and sized (input and reply
    tokens) by the engine's own sizing."""
    parts = [estimate_jobs(jobs_of(plan), settings, source_locale) for plan in plans]
    return Estimate(
        sum(p.strings for p in parts),
        sum(p.requests for p in parts),
        sum(p.tokens_in for p in parts),
        sum(p.tokens_out for p in parts),
        sum(p.cost for p in parts),
    )


def estimate_jobs(jobs: Sequence[Job], settings: EngineSettings, source_locale: str) -> Estimate:
    """`jobs` packed as the engine's queue packs them: each language pair's strings as one
    stream, oldest first, cut at the pack size cap and the token budget (at the provider's
    limit the queue holds several stored batches when a pack is formed)."""
    sizing = sizing_for(settings)
    requests = tokens_in = tokens_out = 0
    stream = [
        r for j, job in enumerate(jobs) for r in build_requests(job, source_locale, str(j))[0]
    ]
    for pack in sizing.packs(stream, ratio=PACKING_RATIO):
        calls = [stream[i] for i in pack]
        requests += 1
        tokens_in += sizing.call_tokens(calls)
        tokens_out += sizing.reply_tokens(calls)
    cost = prices_for(settings).cost(tokens_in, tokens_out)
    return Estimate(len(jobs), requests, tokens_in, tokens_out, cost)
