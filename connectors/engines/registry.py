"""Engine names users type in `[engine] name = …`, and the factories behind them."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from locflow.connectors.engines.base import Engine
from locflow.connectors.engines.pseudo import PseudoEngine
from locflow.settings import EngineSettings

EngineFactory = Callable[[EngineSettings], Engine]


def lazy_factory(module: str, attr: str) -> EngineFactory:
    """A factory that imports its engine module on first use (keeps the SDKs off startup)."""

    def factory(settings: EngineSettings) -> Engine:
        return getattr(importlib.import_module(module), attr)(settings)

    factory.__qualname__ = f"lazy_factory({module}.{attr})"
    return factory


ENGINES: dict[str, EngineFactory] = {
    "pseudo": PseudoEngine.from_settings,
    "qwen_mt": lazy_factory("locflow.connectors.engines.qwen_mt", "QwenMTEngine"),
    "openai_compat": lazy_factory("locflow.connectors.engines.openai_compat", "OpenAICompatEngine"),
}


def create_engine(settings: EngineSettings) -> Engine:
    """The configured engine; ValueError naming the known engines for an unknown name."""
    factory = ENGINES.get(settings.name)
    if factory is None:
        known = ", ".join(sorted(ENGINES))
        raise ValueError(f"unknown engine {settings.name!r}; known engines: {known}")
    return factory(settings)
