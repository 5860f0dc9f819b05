"""The engine contract: what goes in, what comes out, and how an engine fails.

Engines see masked text only (placeholders already replaced by `[X0X]` tokens) and return
one Result per Request, in order. Failures that concern one string travel inside its
Result; failures that concern the whole call are raised.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import ClassVar, Protocol, runtime_checkable


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
    markup: str = ""
    """The text's syntax when it has one ("markdown" for doc blocks): a hint, the masked
    tokens already protect the syntax itself."""


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


@dataclass(frozen=True)
class EngineStats:
    """What an engine's calls came to so far: `engine` in a run's record and JSON."""

    requests: int = 0
    """HTTP attempts sent, failed ones included."""
    paid_requests: int = 0
    """Requests answered 2xx with usage (what the provider bills)."""
    packs: int = 0
    """Multi-string replies received."""
    packs_verified: int = 0
    packs_split: int = 0
    singles: int = 0
    rate_limited: int = 0
    transient: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    sizes: tuple[tuple[int, int], ...] = ()
    """(strings in a verified call, calls of that size), smallest size first."""
    pack_sizes: tuple[tuple[str, int], ...] = ()
    """(target locale, strings per pack now), for an engine whose pack sizes adapt."""
    pack_trajectory: tuple[tuple[str, int, int], ...] = ()
    """(target locale, multi-string replies received so far, size) at each size change:
    how the sizes moved during the run, oldest first."""

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {f.name: getattr(self, f.name) for f in fields(self)}
        out["sizes"] = dict(self.sizes)
        # lists, not a dict: a fan-in adds up the numbers and dicts of its children's stats
        # (pipeline/summary.add_engine_stats), and sizes do not add up
        out["pack_sizes"] = [list(p) for p in self.pack_sizes]
        out["pack_trajectory"] = [list(t) for t in self.pack_trajectory]
        return out


@dataclass(frozen=True, kw_only=True)
class ProbeResult:
    """What `locflow probe` and `doctor` show of an engine; never its API key.

    This class is an offline engine's answer: nothing was sent. A network engine returns a
    subclass holding what its one tiny request showed (`sent` True), whose `as_dict` keeps
    the keys, and their order, that this engine has always shown."""

    sent: ClassVar[bool] = False
    engine: str
    limits: Limits

    def as_dict(self) -> dict[str, object]:
        return {
            "engine": self.engine,
            "limits": asdict(self.limits),
            "note": "offline engine: nothing to probe",
        }


@runtime_checkable
class Engine(Protocol):
    """Everything the pipeline, the flows and the CLI use of an engine. Engines are built
    by the registry (`create_engine`), which hands network engines the shared limiter."""

    @property
    def name(self) -> str:
        """The name users type in `[engine] name`."""
        ...

    @property
    def model(self) -> str:
        """The model that answers ("" while a local server has not named its own yet)."""
        ...

    def limits(self) -> Limits: ...

    async def translate(self, batch: Sequence[Request]) -> list[Result]:
        """One Result per Request, same order and keys."""
        ...

    async def probe(self) -> ProbeResult:
        """One tiny real request, not retried (an offline engine sends nothing)."""
        ...

    def stats(self) -> EngineStats | None:
        """What the calls so far came to; None for an engine that counts nothing (offline)."""
        ...


@runtime_checkable
class AdaptivePacking(Protocol):
    """An engine whose pack sizes adapt while it runs, one size per target locale (additive
    increase after verified packs, halved after a misaligned one). The pipeline stores the
    sizes per engine and locale, so the next run starts where this one ended."""

    def pack_sizes(self) -> dict[str, int]:
        """Strings per pack right now, by target locale (only locales seen or resumed)."""
        ...

    def resume_pack_sizes(self, sizes: Mapping[str, int]) -> None:
        """Start from `sizes` (target locale -> strings per pack), within the engine's cap."""
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


class Unanswered(Transient):
    """Sent, but no answer came (a read timeout, a connection reset): the provider may have
    done, and billed, the work, so the request is charged its full reservation."""


class RateLimited(EngineError):
    """Throttled (429): retry after `retry_after` seconds when the provider said so."""

    def __init__(
        self, message: str = "", *, retry_after: float | None = None, secrets: Iterable[str] = ()
    ) -> None:
        super().__init__(message, secrets=secrets)
        self.retry_after = retry_after


class Rejected(EngineError):
    """This string cannot be translated (invalid input, moderation): mark it, go on."""


class OverBudget(EngineError):
    """The run's cost cap leaves no room for this request: it was not sent, and nothing
    else is; the strings are tried again by the next run."""


class Fatal(EngineError):
    """Credentials, billing, quota, unknown model: stop the run, keep what is done."""


class LocaleRefused(Fatal):
    """The engine cannot translate into this target locale: nothing more is sent for it,
    the run goes on with the other locales and ends partial (a caller that does not know
    this kind stops, as for any Fatal)."""
