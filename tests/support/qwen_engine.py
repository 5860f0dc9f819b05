"""A QwenMTEngine on the Qwen-MT simulator, for engine tests: limits too high to pace,
one call at a time, a short timeout and fast retries (FAST) unless a test says otherwise."""

from __future__ import annotations

from typing import Any

from locflow.connectors.engines.pacing import RetryPolicy
from locflow.connectors.engines.qwen_mt import QwenMTEngine
from locflow.settings import EngineSettings
from tests.fakes.qwen_sim import QwenSim

FAST = RetryPolicy(attempts=3, base=0.01, cap=0.05)
OPTIONS = ("pack_size", "batch_size", "pack_tokens", "max_input_tokens")
"""Engine-specific keys (EngineSettings.extra) a test may pass as keywords."""


def qwen_settings(**kw: Any) -> EngineSettings:
    """`[engine] name = "qwen_mt"` with `kw`, the engine-specific ones among them too."""
    extra = tuple((k, kw.pop(k)) for k in OPTIONS if k in kw)
    return EngineSettings(name="qwen_mt", extra=extra, **kw)


def qwen_on(sim: QwenSim, *, policy: RetryPolicy | None = FAST, **kw: Any) -> QwenMTEngine:
    """The engine talking to `sim` (`policy` None: the engine's own retries)."""
    kw = {"rpm": 60_000, "tpm": 100_000_000, "concurrency": 1, "timeout": 5.0, **kw}
    settings = qwen_settings(base_url=sim.base_url, **kw)
    return QwenMTEngine(settings, env={"DASHSCOPE_API_KEY": sim.api_key}, policy=policy)
