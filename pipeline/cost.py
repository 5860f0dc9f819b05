"""The cost ledger's arithmetic: prices per million tokens, and a pre-run estimate.

Default prices are Model Studio's international (Singapore) list prices in USD as of the
reference notes; check the live price page and set `[engine] prices` to override.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from locflow.connectors.engines.pacing import estimate_tokens
from locflow.pipeline.plan import LocalePlan
from locflow.pipeline.translate import Job, form_requests, jobs_of
from locflow.settings import EngineSettings, Prices

DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "qwen-mt-flash": (0.16, 0.49),
    "qwen-mt-turbo": (0.16, 0.49),
    "qwen-mt-plus": (2.46, 7.37),
    "qwen-mt-lite": (0.12, 0.36),
}
DEFAULT_MODELS = {"qwen_mt": "qwen-mt-flash"}
REQUEST_OVERHEAD = {"qwen_mt": 53}
"""Prompt tokens a provider adds around the text (Qwen-MT's hidden wrapper)."""
DEFAULT_PACK = {"qwen_mt": 20, "openai_compat": 16}
OUTPUT_RATIO = 1.3
"""Translations run longer than their English source; a conservative multiplier."""


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
    strings: int
    requests: int
    tokens_in: int
    tokens_out: int
    cost: float

    def as_dict(self) -> dict[str, float | int]:
        return dict(self.__dict__)


def pack_size(settings: EngineSettings) -> int:
    if not settings.pack:
        return 1
    configured = settings.option("pack_size")
    return int(configured) if isinstance(configured, int) else DEFAULT_PACK.get(settings.name, 1)


def estimate(plans: Iterable[LocalePlan], settings: EngineSettings, source_locale: str) -> Estimate:
    """Strings, requests, tokens and cost a translate run would need, without calling out."""
    jobs = [job for plan in plans for job in jobs_of(plan)]
    return estimate_jobs(jobs, settings, source_locale)


def estimate_jobs(jobs: Sequence[Job], settings: EngineSettings, source_locale: str) -> Estimate:
    overhead = REQUEST_OVERHEAD.get(settings.name, 0)
    forms = tokens_in = tokens_out = 0
    for job in jobs:
        item = job.lead
        extra = sum(estimate_tokens(a) + estimate_tokens(b) for a, b in item.memory)
        for form in form_requests(item, source_locale):
            forms += 1
            text = estimate_tokens(form.masked.text)
            tokens_in += text + extra
            tokens_out += math.ceil(text * OUTPUT_RATIO)
    requests = math.ceil(forms / pack_size(settings)) if forms else 0
    tokens_in += requests * overhead
    return Estimate(
        len(jobs), requests, tokens_in, tokens_out, prices_for(settings).cost(tokens_in, tokens_out)
    )
