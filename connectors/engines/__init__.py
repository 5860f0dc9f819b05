"""Translation engines: the Engine protocol, its values and errors, and the registry."""

from locflow.connectors.engines.base import (
    Engine,
    EngineError,
    EngineStats,
    Fatal,
    Limits,
    ProbeResult,
    RateLimited,
    Rejected,
    Request,
    Result,
    Transient,
)
from locflow.connectors.engines.registry import ENGINES, create_engine

__all__ = [
    "ENGINES",
    "Engine",
    "EngineError",
    "EngineStats",
    "Fatal",
    "Limits",
    "ProbeResult",
    "RateLimited",
    "Rejected",
    "Request",
    "Result",
    "Transient",
    "create_engine",
]
