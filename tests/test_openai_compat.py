"""openai_compat (and its prompts) against a real HTTP test server, through the real client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import replace

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
from locflow.connectors.engines.pacing import RetryPolicy
from locflow.connectors.engines.prompts import (
    chat_messages,
    completion_prompt,
    parse_items,
    response_format,
    strip_think,
)
from locflow.settings import EngineSettings
from tests.fakes.chat_server import SECRET_IN_ERRORS, ChatServer, fake_translate

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
        concurrency: int = 1,
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


# --- chat mode: request shape ----------------------------------------------------------


def test_chat_request_shape(server: ChatServer, make: Make) -> None:
    batch = [
        req(
            "a",
            "Delete [X0X]?",
            ("[X0X]",),
            target="de",
            context="menu|file",
            terms=(("file", "Datei"),),
            memory=(("Open file", "Datei öffnen"),),
        ),
        req("b", "[X0X] files", ("[X0X]",), target="de", plural_sample=5),
    ]
    results = run(make(domains="Desktop software UI, concise"), batch)
    assert all(r.ok for r in results)
    [body] = server.bodies("/chat/completions")
    assert body["model"] == "test-model"  # discovered from /v1/models
    assert body["chat_template_kwargs"] == {"enable_thinking": False}
    assert "reasoning_effort" not in body
    assert body["temperature"] == 0
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema"
    items = fmt["json_schema"]["schema"]["properties"]["items"]
    assert items["minItems"] == items["maxItems"] == 2
    assert set(items["items"]["required"]) == {"id", "text"}
    system, user = body["messages"]
    assert (system["role"], user["role"]) == ("system", "user")
    assert "from English to German" in system["content"]
    assert "[X0X]" in system["content"] and "Desktop software UI, concise" in system["content"]
    assert "file → Datei" in user["content"] and "Open file → Datei öffnen" in user["content"]
    sent = json.loads(user["content"].splitlines()[-1])["items"]
    assert sent == [
        {"id": "1", "text": "Delete [X0X]?", "context": "menu|file"},
        {"id": "2", "text": "[X0X] files", "plural_form_for_n": 5},
    ]
    assert "translation_options" not in json.dumps(body)
    assert len(system["content"]) + len(user["content"]) < 1200  # a short prompt


def test_ollama_also_gets_reasoning_effort_none(server: ChatServer, make: Make) -> None:
    run(make(server="ollama"), [req("a", "Close")])
    [body] = server.bodies("/chat/completions")
    assert body["reasoning_effort"] == "none"
    assert body["chat_template_kwargs"] == {"enable_thinking": False}


def test_configured_model_and_api_key_from_environment(
    server: ChatServer, make: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(make(model="qwen3-8b"), [req("a", "Close")])
    monkeypatch.setenv("OPENAI_API_KEY", "sk-local-123456789")
    run(make(model="qwen3-8b"), [req("a", "Close")])
    first, second = server.requests
    assert [r.path for r in server.requests] == ["/v1/chat/completions"] * 2  # no discovery
    assert first.body["model"] == "qwen3-8b"
    assert first.headers["authorization"] == "Bearer not-needed"
    assert second.headers["authorization"] == "Bearer sk-local-123456789"


def test_packs_several_strings_per_request_and_reports_usage(
    server: ChatServer, make: Make
) -> None:
    engine = make(pack_size=3)
    results = run(engine, BATCH)
    assert_translated(BATCH, results)
    assert len(server.bodies("/chat/completions")) == 2  # 3 + 1
    stats = engine.stats()
    assert stats.packs_verified == 1 and stats.singles == 1 and stats.sizes == ((1, 1), (3, 1))
    assert sum(r.tokens_in for r in results) == stats.tokens_in > 0
    assert sum(r.tokens_out for r in results) == stats.tokens_out > 0
    assert all(r.model == "test-model" for r in results)


@pytest.mark.parametrize("settings", [{"pack": False}, {"pack_size": 1}])
def test_packing_can_be_turned_off(server: ChatServer, make: Make, settings: dict) -> None:
    assert_translated(BATCH, run(make(**settings), BATCH))
    assert len(server.bodies("/chat/completions")) == len(BATCH)


def test_falls_back_to_json_object_on_a_server_that_refuses_json_schema(make: Make) -> None:
    with ChatServer(formats={"text", "json_object"}) as strict:
        settings = EngineSettings(name="openai_compat", model="m", base_url=strict.url, timeout=5)
        engine = OpenAICompatEngine(settings, policy=FAST)
        assert_translated(BATCH, run(engine, BATCH))
        assert_translated(BATCH, run(engine, BATCH))
        kinds = [b["response_format"]["type"] for b in strict.bodies("/chat/completions")]
        assert kinds == ["json_schema", "json_object", "json_object"]  # refused once, then kept
        assert strict.bodies()[1]["response_format"]["schema"]["properties"]["items"]
        assert engine.stats().transient == 0
    with ChatServer(formats={"text"}) as plain:
        engine = OpenAICompatEngine(replace(settings, base_url=plain.url), policy=FAST)
        assert_translated(BATCH, run(engine, BATCH))
        assert [b.get("response_format") for b in plain.bodies()][-1] is None


# --- chat mode: replies that need care --------------------------------------------------


@pytest.mark.parametrize(
    "fault", ["think", "think_open", "think_close", "fence", "chatter", "reorder"]
)
def test_tolerated_replies_verify_without_splitting(
    server: ChatServer, make: Make, fault: str
) -> None:
    engine = make()
    server.script(fault)
    assert_translated(BATCH, run(engine, BATCH))
    assert len(server.bodies("/chat/completions")) == 1
    stats = engine.stats()
    assert stats.packs_verified == 1 and stats.packs_split == 0


@pytest.mark.parametrize(
    "fault", ["count", "swap", "drop_token", "invalid_json", "empty", "echo", "bad_body"]
)
def test_bad_pack_replies_are_split_and_retried(server: ChatServer, make: Make, fault: str) -> None:
    engine = make()
    server.script(fault)
    assert_translated(BATCH, run(engine, BATCH))
    stats = engine.stats()
    assert stats.packs_split + stats.transient >= 1
    assert len(server.requests) >= 3  # the bad pack, then its halves
    assert engine.pack_size < 4 or fault == "bad_body"


def test_a_pack_that_never_verifies_ends_in_single_strings_judged_by_the_checks(
    server: ChatServer, make: Make
) -> None:
    engine = make()
    server.always.add("drop_token")
    results = run(engine, BATCH)
    assert engine.stats().singles == len(BATCH)
    assert [r.key for r in results] == [q.key for q in BATCH]
    assert all(r.error is None and r.text is not None for r in results)
    assert results[0].text is not None and "[X0X]" not in results[0].text  # returned as it is


def test_an_unreadable_single_reply_is_rejected(server: ChatServer, make: Make) -> None:
    server.always.add("invalid_json")
    [result] = run(make(), [req("a", "Close")])
    assert isinstance(result.error, Rejected) and result.text is None


# --- completion mode --------------------------------------------------------------------


def test_completion_request_shape(server: ChatServer, make: Make) -> None:
    engine = make(mode="completion", domains="IT")
    batch = [
        req(
            "a",
            "Delete [X0X]?",
            ("[X0X]",),
            terms=(("file", "fichier"),),
            memory=(("Open", "Ouvrir"),),
            context="toolbar",
        )
    ]
    [result] = run(engine, batch)
    assert result.text == fake_translate("Delete [X0X]?")
    assert [r.path for r in server.requests] == ["/v1/models", "/v1/completions"]
    body = server.bodies("/completions")[0]
    assert body["stop"] == ["\n"] and body["temperature"] == 0
    assert isinstance(body["max_tokens"], int) and "messages" not in body
    prompt: str = body["prompt"]
    assert prompt.startswith("Translate from English to French.")
    assert "Domain: IT" in prompt and "Context: toolbar" in prompt
    assert "English: Open file\nFrench: Ouvrir le fichier\n" in prompt  # built-in shots
    assert "English: file\nFrench: fichier\n" in prompt  # glossary as a shot
    assert "English: Open\nFrench: Ouvrir\n" in prompt  # memory as a shot
    assert prompt.endswith("English: Delete [X0X]?\nFrench:")
    assert "translation_options" not in json.dumps(body)


def test_completion_sends_one_string_per_request(server: ChatServer, make: Make) -> None:
    engine = make(mode="completion", pack_size=8)
    results = run(engine, BATCH)
    assert_translated(BATCH, results)
    assert len(server.bodies("/completions")) == len(BATCH)
    assert all("\n" not in (r.text or "") for r in results)  # cut at the stop string
    assert all(r.tokens_in > 0 and r.tokens_out > 0 for r in results)


def test_completion_keeps_a_raw_newline_on_one_prompt_line(server: ChatServer, make: Make) -> None:
    [result] = run(make(mode="completion"), [req("a", "Line one\nLine two")])
    prompt = server.bodies("/completions")[0]["prompt"]
    assert prompt.endswith("English: Line one[X999X]Line two\nFrench:")
    assert result.text == fake_translate("Line one\nLine two")


@pytest.mark.parametrize("fault", ["think", "think_open"])
def test_completion_strips_think(server: ChatServer, make: Make, fault: str) -> None:
    server.always.add(fault)
    [result] = run(make(mode="completion"), [req("a", "Close")])
    assert result.text == fake_translate("Close")


def test_completion_without_shots_for_an_unknown_language(server: ChatServer, make: Make) -> None:
    run(make(mode="completion"), [req("a", "Close", target="eo")])
    prompt = server.bodies("/completions")[0]["prompt"]
    assert "to Esperanto" in prompt and prompt.endswith("English: Close\nEsperanto:")
    assert "Open file" not in prompt


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
        "engine", "mode", "base_url", "model", "latency_s", "tokens_in", "tokens_out", "text"
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
