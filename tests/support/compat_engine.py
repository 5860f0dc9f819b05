"""What the OpenAI-compatible engine tests share: a loopback chat server, an engine factory
(fixtures `server` and `make`), requests, a fast retry policy and a batch."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest

from locflow.connectors.engines import (
    Request,
    Result,
)
from locflow.connectors.engines.openai_compat import OpenAICompatEngine
from locflow.connectors.engines.pacing import RetryPolicy
from locflow.settings import EngineSettings
from tests.fakes.chat_server import ChatServer, fake_translate

FAST = RetryPolicy(attempts=3, base=0.001, cap=0.01)


Make = Callable[..., OpenAICompatEngine]


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with ChatServer() as s:
        yield s


@pytest.fixture
def make(server: ChatServer, monkeypatch: pytest.MonkeyPatch) -> Make:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)

    def build(
        model: str = "",
        domains: str = "",
        policy: RetryPolicy = FAST,
        concurrency: int | None = 1,
        pack: bool = True,
        **extra: object,
    ) -> OpenAICompatEngine:
        settings = EngineSettings(
            name="openai_compat",
            model=model,
            base_url=server.url,
            domains=domains,
            concurrency=concurrency,
            pack=pack,
            timeout=5,
            extra=tuple(sorted(extra.items())),
        )
        return OpenAICompatEngine(settings, policy=policy)

    return build


def req(
    key: str, text: str, tokens: tuple[str, ...] = (), target: str = "fr", **kw: object
) -> Request:
    return Request(
        key=key, text=text, source_locale="en", target_locale=target, tokens=tokens, **kw
    )  # type: ignore[arg-type]


def run(engine: OpenAICompatEngine, batch: list[Request]) -> list[Result]:
    return asyncio.run(engine.translate(batch))


BATCH = [
    req("a", "Open [X0X]", ("[X0X]",)),
    req("b", "Save the file"),
    req("c", "[X0X] of [X1X] done", ("[X0X]", "[X1X]")),
    req("d", "Close"),
]


def assert_translated(batch: list[Request], results: list[Result]) -> None:
    assert [r.key for r in results] == [q.key for q in batch]
    for q, r in zip(batch, results, strict=True):
        assert r.error is None, r.error
        assert r.text == fake_translate(q.text)
