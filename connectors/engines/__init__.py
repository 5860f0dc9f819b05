"""Translation engines: the Engine protocol, its errors, and the registry of engines."""

from locflow.connectors.engines.base import (
    Engine,
    EngineError,
    Fatal,
    Limits,
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
    "Fatal",
    "Limits",
    "RateLimited",
    "Rejected",
    "Request",
    "Result",
    "Transient",
    "create_engine",
]
