"""Translation engines: the Engine protocol, its errors, and the registry of engines."""

from connectors.engines.base import (
    Engine,
    EngineError,
    EngineSettings,
    Fatal,
    Limits,
    RateLimited,
    Rejected,
    Request,
    Result,
    Transient,
)
from connectors.engines.registry import ENGINES, create_engine

__all__ = [
    "ENGINES",
    "Engine",
    "EngineError",
    "EngineSettings",
    "Fatal",
    "Limits",
    "RateLimited",
    "Rejected",
    "Request",
    "Result",
    "Transient",
    "create_engine",
]
