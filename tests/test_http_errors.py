"""Provider errors → Transient / RateLimited / Rejected / Fatal, by code and message."""

from __future__ import annotations

import asyncio
import email.utils
from collections.abc import Iterator

import openai
import pytest

from locflow.connectors.engines.base import EngineError, Fatal, RateLimited, Rejected, Transient
from locflow.connectors.engines.http_errors import classify, from_openai_error, parse_retry_after
from tests.fakes.qwen_sim import QwenSim


@pytest.mark.parametrize(
    ("status", "code", "message", "kind"),
    [
        (
            429,
            "Throttling.RateQuota",
            "Requests rate limit exceeded, please try again later.",
            RateLimited,
        ),
        (429, "limit_requests", "Requests rate limit exceeded", RateLimited),
        (429, "Throttling.BurstRate", "Request rate increased too quickly", RateLimited),
        (
            429,
            "Throttling.AllocationQuota",
            "Allocated quota exceeded, please increase your quota limit.",
            RateLimited,
        ),
        (
            429,
            "insufficient_quota",
            "Allocated quota exceeded, please increase your quota limit.",
            RateLimited,
        ),
        (429, "Throttling.AllocationQuota", "Free allocated quota exceeded.", Fatal),
        (429, "insufficient_quota", "You exceeded your current quota", Fatal),
        (429, "PrepaidBillOverdue", "The prepaid bill is overdue.", Fatal),
        (
            400,
            "Arrearage",
            "Access denied, please make sure your account is in good standing.",
            Fatal,
        ),
        (403, "AllocationQuota.FreeTierOnly", "free tier only", Fatal),
        (400, "InvalidParameter", "暂时不支持当前设置的语种！", Fatal),
        (400, "InvalidParameter", "Range of input length should be [1, 8192]", Rejected),
        (400, "DataInspectionFailed", "Input data may contain inappropriate content.", Rejected),
        (400, "data_inspection_failed", "Output data may contain inappropriate content.", Rejected),
        (401, "InvalidApiKey", "Invalid API-key provided.", Fatal),
        (401, "NOT AUTHORIZED", "workspace not authorised", Fatal),
        (403, "AccessDenied", "Access denied.", Fatal),
        (404, "model_not_found", "The model `x` does not exist", Fatal),
        (500, "InternalError", "Role must be in [user, assistant]", Fatal),
        (500, "InternalError", "An internal error has occured", Transient),
        (500, "RequestTimeOut", "Request timed out", Transient),
        (503, "ModelUnavailable", "The model is overloaded", Transient),
        (502, "", "Bad gateway", Transient),
        (None, "", "connection reset", Transient),
    ],
)
def test_classify(status: int | None, code: str, message: str, kind: type[EngineError]) -> None:
    error = classify(status, code, message)
    assert type(error) is kind
    assert "\n" not in str(error)


def test_messages_keep_the_code_and_hide_secrets() -> None:
    error = classify(401, "invalid_api_key", "Incorrect API key provided: sk-abcdef123456789.")
    assert "invalid_api_key" in str(error) and "HTTP 401" in str(error)
    assert "sk-abcdef123456789" not in str(error)
    custom = classify(500, "InternalError", "boom for key MYSECRET", secrets=["MYSECRET"])
    assert "MYSECRET" not in str(custom)


def test_retry_after_travels_with_rate_limits() -> None:
    error = classify(429, "Throttling.RateQuota", "Requests rate limit exceeded", retry_after=3)
    assert isinstance(error, RateLimited) and error.retry_after == 3


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "2"}, 2.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"Retry-After": "-3"}, 0.0),
        ({}, None),
        (None, None),
        ({"Retry-After": "soon"}, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str] | None, expected: float | None) -> None:
    assert parse_retry_after(headers) == expected


def test_parse_retry_after_http_date() -> None:
    date = email.utils.formatdate(1_000_030, usegmt=True)
    assert parse_retry_after({"Retry-After": date}, now=1_000_000) == pytest.approx(30)


# --- real errors raised by the openai client against the simulator ----------------------


@pytest.fixture
def sim() -> Iterator[QwenSim]:
    with QwenSim(retry_after=4, timeout_sleep=1.0) as s:
        yield s


def _call(sim: QwenSim, *, key: str | None = None, timeout: float = 5.0) -> BaseException:
    async def go() -> BaseException:
        client = openai.AsyncOpenAI(
            api_key=key or sim.api_key, base_url=sim.base_url, max_retries=0, timeout=timeout
        )
        try:
            await client.chat.completions.create(
                model="qwen-mt-flash",
                messages=[{"role": "user", "content": "Hi"}],
                extra_body={
                    "translation_options": {"source_lang": "English", "target_lang": "French"}
                },
            )
        except openai.APIError as exc:
            return exc
        finally:
            await client.close()
        raise AssertionError("no error")

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        ("429", RateLimited),
        ("429_free_quota", Fatal),
        ("500", Transient),
        ("503", Transient),
        ("arrearage", Fatal),
        ("403", Fatal),
        ("role", Fatal),
    ],
)
def test_from_openai_error(sim: QwenSim, fault: str, kind: type[EngineError]) -> None:
    sim.script(fault)
    assert type(from_openai_error(_call(sim))) is kind


def test_retry_after_header_is_read(sim: QwenSim) -> None:
    sim.script("429_retry_after")
    error = from_openai_error(_call(sim))
    assert isinstance(error, RateLimited) and error.retry_after == 4


def test_timeout_and_connection_errors_are_transient(sim: QwenSim) -> None:
    sim.script("timeout")
    assert isinstance(from_openai_error(_call(sim, timeout=0.2)), Transient)
    url = sim.base_url
    sim.stop()

    async def refused() -> BaseException:
        client = openai.AsyncOpenAI(api_key="k", base_url=url, max_retries=0, timeout=2)
        try:
            await client.chat.completions.create(model="qwen-mt-flash", messages=[])
        except openai.APIError as exc:
            return exc
        raise AssertionError("no error")

    assert isinstance(from_openai_error(asyncio.run(refused())), Transient)


def test_wrong_key_maps_to_fatal_without_the_key(sim: QwenSim) -> None:
    key = "sk-0123456789wrongkey"
    error = from_openai_error(_call(sim, key=key), secrets=[key])
    assert isinstance(error, Fatal) and key not in str(error)
    assert "invalid_api_key" in str(error)
