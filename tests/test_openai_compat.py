"""openai_compat (and its prompts) against a real HTTP test server, through the real client."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from locflow.connectors.engines import (
    Rejected,
)
from locflow.connectors.engines.openai_compat import OpenAICompatEngine
from locflow.settings import EngineSettings
from tests.fakes.chat_server import ChatServer, fake_translate
from tests.support.compat_engine import BATCH, FAST, Make, assert_translated, req, run

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
