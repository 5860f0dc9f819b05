"""What a local server says of itself: llama.cpp's `GET /props` (its `total_slots`), and
what `locflow probe` shows of the server.

llama.cpp's server decodes `total_slots` requests at once (`--parallel`); one more waits
for a free slot. So when `[engine] concurrency` is not set, that number is how many
requests are worth having in flight. `/props` is served at the server's root (the base URL
without its `/v1`); vLLM and Ollama have no such route, and a server that does not answer,
or answers something else, counts as one slot: asking never fails a run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from locflow.connectors.engines.base import ProbeResult

PROPS_TIMEOUT = 2.0
"""Seconds `/props` may take: it is a nicety, never worth a long wait."""
MAX_SLOTS = 64
"""A reported slot count is capped here (a garbled huge number must not flood anything)."""


@dataclass(frozen=True)
class Concurrency:
    """How many requests to keep in flight, and where that number came from."""

    value: int
    source: str
    """"setting" ([engine] concurrency), "server" (/props total_slots) or "default"."""


def props_url(base_url: str) -> str:
    """`/props` at the server's root: `http://host:8080/v1` → `http://host:8080/props`."""
    root = base_url.rstrip("/")
    if root.endswith("/v1"):
        root = root[: -len("/v1")]
    return f"{root}/props"


def total_slots(payload: object) -> int | None:
    """`total_slots` of a `/props` body when it is a positive whole number, else None."""
    if not isinstance(payload, dict):
        return None
    slots = payload.get("total_slots")
    if isinstance(slots, bool) or not isinstance(slots, int) or slots < 1:
        return None
    return min(slots, MAX_SLOTS)


def ask_total_slots(base_url: str, api_key: str, timeout: float) -> int | None:
    """The server's `total_slots`, or None when it has no `/props` or says nothing usable
    (any failure: refused, timed out, 404, not JSON)."""
    import httpx  # lazily, as `openai`: only a network engine asks

    try:
        response = httpx.get(
            props_url(base_url),
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=min(PROPS_TIMEOUT, timeout),
        )
        if response.status_code != 200:
            return None
        return total_slots(response.json())
    except (httpx.HTTPError, httpx.InvalidURL, ValueError, OSError):
        return None


@dataclass(frozen=True, kw_only=True)
class CompatProbe(ProbeResult):
    """What `OpenAICompatEngine.probe` saw."""

    sent: ClassVar[bool] = True
    mode: str
    base_url: str
    model: str
    latency_s: float
    tokens_in: int
    tokens_out: int
    text: str | None
    concurrency: int
    concurrency_source: str
    """"setting", "server" (llama.cpp's /props total_slots) or "default"."""

    def as_dict(self) -> dict[str, object]:
        return {
            "engine": self.engine,
            "mode": self.mode,
            "base_url": self.base_url,
            "model": self.model,
            "latency_s": self.latency_s,
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "text": self.text,
            "concurrency": self.concurrency,
            "concurrency_source": self.concurrency_source,
        }
