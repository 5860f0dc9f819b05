"""Engine names users type in `[engine] name = …`, and the factories behind them."""

from __future__ import annotations

import importlib
from typing import Protocol

from locflow.connectors.engines.base import Engine
from locflow.connectors.engines.pacing import SharedRateLimit
from locflow.connectors.engines.pseudo import PseudoEngine
from locflow.connectors.engines.pseudo import sizing as pseudo_sizing
from locflow.connectors.engines.sizing import PackSizing
from locflow.settings import EngineSettings


class EngineFactory(Protocol):
    """Builds an engine from `[engine]`; `shared`: the account's rate limits across
    processes, which a network engine awaits after its own pacing (None: per process)."""

    def __call__(
        self, settings: EngineSettings, *, shared: SharedRateLimit | None = None
    ) -> Engine: ...


def lazy_factory(module: str, attr: str) -> EngineFactory:
    """A factory that imports its engine module on first use (keeps the SDKs off startup)."""

    def factory(settings: EngineSettings, *, shared: SharedRateLimit | None = None) -> Engine:
        return getattr(importlib.import_module(module), attr)(settings, shared=shared)

    factory.__qualname__ = f"lazy_factory({module}.{attr})"
    return factory


ENGINES: dict[str, EngineFactory] = {
    "pseudo": PseudoEngine.from_settings,
    "qwen_mt": lazy_factory("locflow.connectors.engines.qwen_mt", "QwenMTEngine"),
    "openai_compat": lazy_factory("locflow.connectors.engines.openai_compat", "OpenAICompatEngine"),
}


def create_engine(settings: EngineSettings, *, shared: SharedRateLimit | None = None) -> Engine:
    """The configured engine; ValueError naming the known engines for an unknown name.
    `shared`: the account's rate limits across processes (see EngineFactory)."""
    factory = ENGINES.get(settings.name)
    if factory is None:
        known = ", ".join(sorted(ENGINES))
        raise ValueError(f"unknown engine {settings.name!r}; known engines: {known}")
    return factory(settings, shared=shared)


SIZINGS: dict[str, tuple[str, str]] = {
    "qwen_mt": ("locflow.connectors.engines.qwen_mt", "sizing"),
    "openai_compat": ("locflow.connectors.engines.openai_compat", "sizing"),
}


def sizing_for(settings: EngineSettings) -> PackSizing:
    """How the configured engine sizes its calls, without building it (no API key needed):
    the dry-run estimate counts with the packer's own rules."""
    if settings.name == "pseudo":
        return pseudo_sizing(settings)
    if settings.name not in SIZINGS:
        known = ", ".join(sorted(ENGINES))
        raise ValueError(f"unknown engine {settings.name!r}; known engines: {known}")
    module, attr = SIZINGS[settings.name]
    sizing: PackSizing = getattr(importlib.import_module(module), attr)(settings)
    return sizing
