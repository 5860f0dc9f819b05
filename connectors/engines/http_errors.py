"""Provider errors -> the engine error family, decided by code and message, not status alone.

The table follows Model Studio's error reference (see README, "Qwen-MT"): for example 429
`insufficient_quota` means TPM throttling *or* an exhausted free quota, told apart by the
message; a 500 "Role must be in [user, assistant]" is our bug, not the server's.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Iterable, Mapping
from typing import Any

from locflow.connectors.engines.base import (
    EngineError,
    Fatal,
    RateLimited,
    Rejected,
    Transient,
    Unanswered,
)

BILLING_CODES = {
    "arrearage",
    "prepaidbilloverdue",
    "postpaidbilloverdue",
    "commoditynotpurchased",
    "allocationquota.freetieronly",
}
MODERATION_CODES = {"datainspectionfailed", "data_inspection_failed"}
UNSUPPORTED_LANGUAGE = (
    "暂时不支持当前设置的语种",
    "unsupported language",
    "language is not supported",
)
"""Messages of the MT language error: every request of the run would fail the same way."""
AUTH_CODES = {
    "invalidapikey",
    "invalid_api_key",
    "not authorized",
    "accessdenied",
    "accessdenied.unpurchased",
    "model.accessdenied",
    "modelnotfound",
    "model_not_found",
    "model_not_supported",
}


def parse_retry_after(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not headers:
        return None
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


def classify(
    status: int | None,
    code: str,
    message: str,
    *,
    retry_after: float | None = None,
    secrets: Iterable[str] = (),
) -> EngineError:
    """The error to raise for one failed HTTP call."""
    c = (code or "").strip().lower()
    m = message or ""
    ml = m.lower()
    # the code goes last: "invalid_api_key: Incorrect…" would read as a key to `redact`
    where = f"HTTP {status}" if status else "no HTTP status"
    text = f"{m.strip() or 'no message'} ({where}{', ' + code if code else ''})"
    if status is None:
        return Transient(text, secrets=secrets)
    if c in MODERATION_CODES or "inappropriate content" in ml:
        return Rejected(f"content moderation: {m}", secrets=secrets)
    if c in BILLING_CODES or "overdue" in ml or "arrearage" in ml:
        return Fatal(f"billing: {text}", secrets=secrets)
    if "role must be in" in ml:
        return Fatal(f"request rejected by the API's message rules: {m}", secrets=secrets)
    if status == 400 and any(s in ml for s in UNSUPPORTED_LANGUAGE):
        return Fatal(f"language not supported by the model: {text}", secrets=secrets)
    if status == 429:
        if "free" in ml and "quota" in ml:
            return Fatal(f"free quota exhausted: {text}", secrets=secrets)
        throttled = "allocated quota exceeded" in ml or "rate" in ml
        if c == "insufficient_quota" and not throttled:
            return Fatal(f"quota exhausted: {text}", secrets=secrets)
        return RateLimited(text, retry_after=retry_after, secrets=secrets)
    if status == 401 or c in {"invalidapikey", "invalid_api_key", "not authorized"}:
        return Fatal(f"API key refused (keys are per region): {text}", secrets=secrets)
    if status == 404 or c in {"modelnotfound", "model_not_found", "model_not_supported"}:
        return Fatal(f"model not available here: {text}", secrets=secrets)
    if status == 403 or c in AUTH_CODES:
        return Fatal(f"access denied: {text}", secrets=secrets)
    if status == 400 or status == 413 or status == 422:
        return Rejected(text, secrets=secrets)
    if status == 408 or status >= 500:
        return Transient(text, secrets=secrets)
    return Rejected(text, secrets=secrets)


def from_openai_error(exc: BaseException, *, secrets: Iterable[str] = ()) -> EngineError:
    """Map an exception raised by the `openai` client."""
    import openai

    if isinstance(exc, openai.APIConnectionError):
        kind = Transient if _never_sent(exc) else Unanswered
        label = "timeout" if isinstance(exc, openai.APITimeoutError) else "connection error"
        return kind(f"{label}: {exc}", secrets=secrets)
    if isinstance(exc, openai.APIStatusError):
        code, message = _error_fields(exc.body, exc.message)
        retry_after = parse_retry_after(dict(exc.response.headers)) if exc.response else None
        return classify(exc.status_code, code, message, retry_after=retry_after, secrets=secrets)
    if isinstance(exc, EngineError):
        return exc
    return Transient(f"{type(exc).__name__}: {exc}", secrets=secrets)


def _never_sent(exc: BaseException) -> bool:
    """The connection was never made (refused, or it timed out connecting): nothing was
    sent, so nothing can have been billed."""
    import httpx  # lazily, as `openai` above: only a network engine's errors come here

    cause = exc.__cause__ or exc.__context__
    return isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout)


def _error_fields(body: Any, fallback: str) -> tuple[str, str]:
    """(code, message) from an OpenAI-style `{"error": {...}}` or a native top-level body."""
    if isinstance(body, Mapping):
        inner = body.get("error", body)
        if isinstance(inner, Mapping):
            code = inner.get("code") or inner.get("type") or ""
            return str(code), str(inner.get("message") or fallback)
    return "", fallback
