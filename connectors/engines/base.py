"""The engine contract: what goes in, what comes out, and how an engine fails.

Engines see masked text only (placeholders already replaced by `[X0X]` tokens) and return
one Result per Request, in order. Failures that concern one string travel inside its
Result; failures that concern the whole call are raised.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Limits:
    """What a provider allows; pacing uses rpm/tpm per second, not in bursts."""

    rpm: float | None
    tpm: float | None
    max_input_tokens: int | None
    concurrency: int

    def __post_init__(self) -> None:
        for name in ("rpm", "tpm", "max_input_tokens"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"Limits.{name} must be positive or None, got {value!r}")
        if self.concurrency < 1:
            raise ValueError(f"Limits.concurrency must be at least 1, got {self.concurrency!r}")


@dataclass(frozen=True)
class Request:
    key: str
    """The caller's id, echoed in the Result."""
    text: str
    """Masked text."""
    source_locale: str
    target_locale: str
    tokens: tuple[str, ...] = ()
    """Placeholder tokens that must come back."""
    context: str = ""
    """msgctxt / extracted comments, as a hint."""
    terms: tuple[tuple[str, str], ...] = ()
    """Glossary (source, target) pairs found in the text."""
    memory: tuple[tuple[str, str], ...] = ()
    """Translation-memory examples (source, target)."""
    plural_sample: int | None = None
    """For one plural form: a number n that selects it."""


@dataclass(frozen=True)
class Result:
    key: str
    text: str | None
    error: EngineError | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    model: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None and self.text is not None


@runtime_checkable
class Engine(Protocol):
    name: str

    def limits(self) -> Limits: ...

    async def translate(self, batch: Sequence[Request]) -> list[Result]:
        """One Result per Request, same order and keys."""
        ...


# --- errors -----------------------------------------------------------------------------

_SECRETS = re.compile(
    r"\b(?:sk|pk|rk)-[A-Za-z0-9_\-]{8,}"
    r"|(?i:bearer)\s+[A-Za-z0-9._~+/\-]+=*"
    r"|(?i:(?:api[_-]?key|access[_-]?token|secret|password|authorization)\s*[=:]\s*)"
    r"(?i:bearer\s+)?\S+"
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Replace API keys and bearer tokens (and the given exact secrets) by `***`."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return _SECRETS.sub("***", text)


class EngineError(Exception):
    """An engine failure. The message is one line and never contains secrets."""

    def __init__(self, message: str = "", *, secrets: Iterable[str] = ()) -> None:
        line = " ".join(redact(str(message), secrets).split())
        super().__init__(line or type(self).__name__)

    @property
    def message(self) -> str:
        return str(self)


class Transient(EngineError):
    """5xx, timeouts, dropped connections: retry with backoff and jitter."""


class RateLimited(EngineError):
    """Throttled (429): retry after `retry_after` seconds when the provider said so."""

    def __init__(
        self, message: str = "", *, retry_after: float | None = None, secrets: Iterable[str] = ()
    ) -> None:
        super().__init__(message, secrets=secrets)
        self.retry_after = retry_after


class Rejected(EngineError):
    """This string cannot be translated (invalid input, moderation): mark it, go on."""


class Fatal(EngineError):
    """Credentials, billing, quota, unknown model: stop the run, keep what is done."""
