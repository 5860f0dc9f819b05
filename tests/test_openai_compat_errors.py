"""The OpenAI-compatible engine when the server fails or is shared: retries, transient,
rejected and fatal errors (redacted), an unreachable server, a strict server's 500s,
concurrency, probing, one engine across event loops, and the prompts read back."""

from __future__ import annotations

import asyncio

import openai
import pytest

from locflow.connectors.engines import (
    Fatal,
    Rejected,
    Request,
    Result,
    Transient,
    create_engine,
)
from locflow.connectors.engines.http_errors import from_openai_error
from locflow.connectors.engines.openai_compat import OpenAICompatEngine
from locflow.connectors.engines.prompts import (
    chat_messages,
    completion_prompt,
    parse_items,
    response_format,
    strip_think,
)
from locflow.settings import EngineSettings
from tests.fakes.chat_server import SECRET_IN_ERRORS, ChatServer, fake_translate
from tests.support.compat_engine import BATCH, FAST, Make, assert_translated, req, run

# --- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "counter"), [("429", "rate_limited"), ("500", "transient"), ("503", "transient")]
)
def test_retryable_errors_are_retried(
    server: ChatServer, make: Make, fault: str, counter: str
) -> None:
    engine = make()
    server.script(fault)
    assert_translated(BATCH, run(engine, BATCH))
    assert getattr(engine.stats(), counter) == 1


def test_persistent_server_errors_end_as_transient_results(server: ChatServer, make: Make) -> None:
    server.always.add("503")
    results = run(make(model="m"), BATCH[:2])
    assert all(isinstance(r.error, Transient) and r.text is None for r in results)
    assert len(server.requests) == FAST.attempts


def test_invalid_input_rejects_only_that_string(server: ChatServer, make: Make) -> None:
    server.script("400")  # the pack is refused: split, and the halves go through
    results = run(make(), BATCH[:2])
    assert all(r.ok for r in results)
    server.always.add("400")
    [result] = run(make(), [req("a", "Close")])
    assert isinstance(result.error, Rejected)


@pytest.mark.parametrize("fault", ["401", "404"])
def test_auth_and_unknown_model_are_fatal_and_redacted(
    server: ChatServer, make: Make, fault: str
) -> None:
    server.always.add(fault)
    with pytest.raises(Fatal) as info:
        run(make(model="m"), BATCH)
    assert SECRET_IN_ERRORS not in str(info.value)
    assert len(server.requests) == 1  # no retry, no further packs


def test_unreachable_server_is_transient(make: Make, server: ChatServer) -> None:
    from tests.support.env import free_port

    settings = EngineSettings(
        name="openai_compat", model="m", timeout=2, base_url=f"http://127.0.0.1:{free_port()}/v1"
    )
    results = run(OpenAICompatEngine(settings, policy=FAST), [req("a", "Close")])
    assert isinstance(results[0].error, Transient)
    with pytest.raises(Transient):  # no model configured: discovery fails for the whole call
        run(
            OpenAICompatEngine(EngineSettings(base_url=settings.base_url, timeout=2), policy=FAST),
            [req("a", "Close")],
        )


def test_a_wrongly_typed_field_gets_500_like_llama_cpp_and_maps_to_transient(
    server: ChatServer,
) -> None:
    async def call() -> None:
        async with openai.AsyncOpenAI(base_url=server.url, api_key="x", max_retries=0) as client:
            await client.completions.create(model="m", prompt="hi", max_tokens="ten")  # type: ignore[arg-type]

    with pytest.raises(openai.InternalServerError) as info:
        asyncio.run(call())
    assert isinstance(from_openai_error(info.value), Transient)


def test_concurrency_is_honoured(server: ChatServer, make: Make) -> None:
    server.delay = 0.05
    batch = [req(f"k{i}", f"String {i}") for i in range(6)]
    run(make(mode="completion"), batch)
    assert server.max_in_flight == 1  # llama.cpp serves one request at a time
    server.max_in_flight = 0
    run(make(mode="completion", concurrency=3), batch)
    assert server.max_in_flight >= 2


def test_limits_and_settings() -> None:
    engine = OpenAICompatEngine(EngineSettings(name="openai_compat", rpm=60, tpm=5000))
    limits = engine.limits()
    assert (limits.rpm, limits.tpm, limits.concurrency) == (60, 5000, 1)
    assert OpenAICompatEngine(EngineSettings()).limits().rpm is None
    assert isinstance(create_engine(EngineSettings(name="openai_compat")), OpenAICompatEngine)
    with pytest.raises(ValueError, match="mode"):
        OpenAICompatEngine(EngineSettings(extra=(("mode", "telepathy"),)))
    with pytest.raises(ValueError, match="temperature"):
        OpenAICompatEngine(EngineSettings(extra=(("temperature", "hot"),)))


def test_probe(server: ChatServer, make: Make) -> None:
    probe = asyncio.run(make(mode="completion").probe())
    assert probe.sent and probe.model == "test-model" and probe.mode == "completion"
    assert probe.base_url == server.url and probe.text == fake_translate("Hello")
    assert isinstance(probe.latency_s, float) and probe.tokens_in > 0
    # what `locflow probe` and `doctor` show, key by key in this order
    assert list(probe.as_dict()) == [
        "engine", "mode", "base_url", "model", "latency_s", "tokens_in", "tokens_out", "text",
        "concurrency", "concurrency_source",
    ]  # fmt: skip
    assert probe.as_dict()["engine"] == "openai_compat"


def test_one_engine_across_event_loops_and_in_one_loop(server: ChatServer, make: Make) -> None:
    engine = make(concurrency=2)
    assert_translated(BATCH, run(engine, BATCH))
    assert_translated(BATCH, run(engine, BATCH))  # a fresh loop: a fresh client

    async def together() -> list[list[Result]]:
        return list(await asyncio.gather(engine.translate(BATCH), engine.translate(BATCH[:2])))

    first, second = asyncio.run(together())
    assert_translated(BATCH, first)
    assert_translated(BATCH[:2], second)
    assert engine._http is None  # the last call out closed the client


# --- prompts, read back -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("<think>\nhmm\n</think>\n\nBonjour", "Bonjour"),
        ("<think></think>Bonjour", "Bonjour"),
        ("<THINK>a</THINK><think>b</think> Bonjour", "Bonjour"),
        ("reasoning the template opened\n</think>\nBonjour", "Bonjour"),
        ("<think>\nBonjour", "Bonjour"),
        ("Bonjour <think>a trailing note</think>", "Bonjour"),
        ("Bonjour", "Bonjour"),
        ("Le <b>fichier</b>", "Le <b>fichier</b>"),
    ],
)
def test_strip_think(raw: str, want: str) -> None:
    assert strip_think(raw) == want


ITEMS = '{"items": [{"id": "1", "text": "Un"}, {"id": "2", "text": "Deux"}]}'


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        (ITEMS, ["Un", "Deux"]),
        (f"```json\n{ITEMS}\n```", ["Un", "Deux"]),
        (f"```\n{ITEMS}```", ["Un", "Deux"]),
        (f"Here you go:\n{ITEMS}\nHope this helps", ["Un", "Deux"]),
        (f"<think>x</think>{ITEMS}", ["Un", "Deux"]),
        (f'<think>The format is {{"items": [...]}}.</think>\n{ITEMS}', ["Un", "Deux"]),
        ('{"items": [{"id": "2", "text": "Deux"}, {"id": "1", "text": "Un"}]}', ["Un", "Deux"]),
        (
            '{"translations": [{"id": "a", "text": "Un"}, {"id": "b", "text": "Deux"}]}',
            ["Un", "Deux"],
        ),
        ('["Un", "Deux"]', ["Un", "Deux"]),
        ('{"items": [{"id": "1", "text": "Un"}]}', None),  # wrong count
        ('{"items": [{"id": "1", "text": "Un"}, {"id": "2"}]}', None),
        ('{"items": [{"id": "1", "text": "Un"}, {"id": "2", "text": 2}]}', None),
        ('{"items": [{"id": "1", "text": "Un"}, {"id": "2", "te', None),
        ("Un\nDeux", None),
        ("", None),
    ],
)
def test_parse_items(raw: str, want: list[str] | None) -> None:
    assert parse_items(raw, 2) == want


def test_prompts_carry_language_names_for_locales() -> None:
    pt = Request("k", "Close", "en", "pt_BR")
    assert "to Portuguese" in chat_messages([pt])[0]["content"]
    assert completion_prompt(pt, "Close").endswith("English: Close\nPortuguese:")
    assert "Tem certeza de que deseja sair?" in completion_prompt(pt, "Close")


def test_completion_shots_with_tokens_only_for_strings_with_tokens() -> None:
    plain = completion_prompt(Request("k", "Close", "en", "de"), "Close")
    assert "[X" not in plain  # a small model copies a shot's token into a string without any
    assert "English: Your changes have been saved.\nGerman: Ihre Änderungen" in plain
    tokens = completion_prompt(Request("k", "Close [X0X]", "en", "de", ("[X0X]",)), "Close [X0X]")
    assert "Copy tokens such as [X0X] unchanged." in tokens
    assert "English: Delete [X0X]?\nGerman: [X0X] löschen?\n" in tokens
    assert response_format(3)["json_schema"]["schema"]["properties"]["items"]["maxItems"] == 3
