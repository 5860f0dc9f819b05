"""QwenMTEngine over real HTTP (the `openai` client) against the strict simulator."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Iterator
from typing import Any

import pytest

from locflow.connectors.engines import packing
from locflow.connectors.engines.base import Fatal, Rejected, Request, Result, Transient
from locflow.connectors.engines.pacing import RetryPolicy, with_retries
from locflow.connectors.engines.qwen_mt import QwenMTEngine, pack_texts, unpack_texts
from locflow.connectors.engines.registry import create_engine
from locflow.settings import EngineSettings
from tests.fakes.qwen_rules import sim_translate
from tests.fakes.qwen_sim import QwenSim

FAST = RetryPolicy(attempts=4, base=0.05, cap=0.2)


@pytest.fixture
def sim() -> Iterator[QwenSim]:
    with QwenSim() as s:
        yield s


def make(
    sim: QwenSim, policy: RetryPolicy | None = FAST, key: str | None = None, **settings: Any
) -> QwenMTEngine:
    values: dict[str, Any] = {
        "name": "qwen_mt",
        "base_url": sim.base_url,
        "rpm": 60_000,
        "tpm": 100_000_000,
        "concurrency": 4,
        "timeout": 5.0,
    }
    values.update(settings)
    return QwenMTEngine(
        EngineSettings(**values), env={"DASHSCOPE_API_KEY": key or sim.api_key}, policy=policy
    )


def req(key: str, text: str, target: str = "de", **kw: Any) -> Request:
    tokens = tuple(t for t in ("[X0X]", "[X1X]", "[X2X]") if t in text)
    return Request(
        key=key, text=text, source_locale="en", target_locale=target, tokens=tokens, **kw
    )


def batch(n: int = 8, **kw: Any) -> list[Request]:
    texts = [
        "Open [X0X]",
        "Close the window",
        "Save [X0X] as [X1X]",
        "Delete this file?",
        "Rename",
        "You have [X0X] new messages",
        "Cancel",
        "Settings for [X0X]",
    ]
    return [req(f"k{i}", f"{texts[i % len(texts)]} {i}", **kw) for i in range(n)]


def run(engine: QwenMTEngine, requests: list[Request]) -> list[Result]:
    return asyncio.run(engine.translate(requests))


def assert_all_right(requests: list[Request], results: list[Result]) -> None:
    assert [r.key for r in results] == [r.key for r in requests]
    for request, result in zip(requests, results, strict=True):
        assert result.error is None, result.error
        assert result.text == sim_translate(request.text, request.terms)


# --- what goes over the wire -------------------------------------------------------------


def test_every_request_is_one_user_message_with_options(sim: QwenSim) -> None:
    requests = [
        req("a", "Open the file [X0X]", terms=(("file", "Datei"),)),
        req("b", "Close", memory=(("Close all", "Alle schließen"),)),
        req("c", "Open the file", terms=(("file", "Datei"),)),
    ]
    results = run(make(sim, domains="UI strings of a desktop app; concise"), requests)
    assert_all_right(requests, results)
    assert sim.counters.invalid == 0 and sim.counters.ok == len(sim.bodies) == 1
    [body] = sim.bodies
    assert set(body) == {"model", "messages", "max_tokens", "translation_options"}
    assert body["model"] == "qwen-mt-flash"
    assert body["messages"] == [{"role": "user", "content": pack_texts([r.text for r in requests])}]
    assert body["translation_options"] == {
        "source_lang": "English",
        "target_lang": "German",
        "terms": [{"source": "file", "target": "Datei"}],  # merged, deduplicated
        "tm_list": [{"source": "Close all", "target": "Alle schließen"}],
        "domains": "UI strings of a desktop app; concise",
    }


def test_every_body_the_engine_sends_is_accepted_and_well_formed(sim: QwenSim) -> None:
    glossary = [("file", "Datei"), ("folder", "Ordner"), ("save", "speichern")]
    targets = ["de", "fr", "zh_TW", "nb_NO", "fa", "pt_BR", "fil"]
    requests = []
    for i in range(42):
        terms = tuple(glossary[j] for j in range(3) if (i >> j) & 1)
        memory = (("Open file", f"Datei öffnen {i % 2}"),) if i % 5 == 0 else ()
        text = f"Item {i}: " + " and ".join(s for s, _ in terms)
        text = text.strip() + (" [X0X]" if i % 3 else "")
        requests.append(
            req(f"k{i}", text, target=targets[i % len(targets)], terms=terms, memory=memory)
        )
    sim.script("merge", "chatter", "503", "reorder")
    assert_all_right(requests, run(make(sim, domains="Desktop UI, terse"), requests))
    assert sim.counters.invalid == 0 and sim.counters.throttled == 0
    by_text = {r.text: r for r in requests}
    for body in sim.bodies:
        assert set(body) == {"model", "messages", "max_tokens", "translation_options"}
        assert 0 < body["max_tokens"] <= 8192  # a multiple of the input, within the model's
        [message] = body["messages"]
        assert set(message) == {"role", "content"} and message["role"] == "user"
        content = message["content"]
        texts = [content] if content in by_text else unpack_texts(content, content.count("⟦"))
        assert texts and all(t in by_text for t in texts)  # only the source text, nothing else
        sent = [by_text[t] for t in texts]
        options = body["translation_options"]
        assert options["source_lang"] == "English" and options["domains"] == "Desktop UI, terse"
        assert {r.target_locale for r in sent} == {sent[0].target_locale}
        terms = {(t["source"], t["target"]) for t in options.get("terms", [])}
        assert terms == {pair for r in sent for pair in r.terms}  # only those given
        assert len(terms) == len(options.get("terms", []))  # deduplicated
        memory = {(t["source"], t["target"]) for t in options.get("tm_list", [])}
        assert memory == {pair for r in sent for pair in r.memory}
        assert set(options) <= {"source_lang", "target_lang", "terms", "tm_list", "domains"}


def test_single_string_is_sent_bare_without_empty_options(sim: QwenSim) -> None:
    results = run(make(sim), [req("a", "Open [X0X]", target="nb_NO")])
    assert results[0].ok
    [body] = sim.bodies
    assert body["messages"] == [{"role": "user", "content": "Open [X0X]"}]
    assert body["translation_options"] == {
        "source_lang": "English",
        "target_lang": "Norwegian Bokmål",
    }


def test_pack_false_sends_one_string_per_request(sim: QwenSim) -> None:
    requests = batch(6)
    assert_all_right(requests, run(make(sim, pack=False), requests))
    assert sorted(b["messages"][0]["content"] for b in sim.bodies) == sorted(
        r.text for r in requests
    )


def test_language_pairs_are_never_mixed_in_a_pack(sim: QwenSim) -> None:
    requests = [req(f"k{i}", f"Item {i}", target=("fr", "ja", "pt_BR")[i % 3]) for i in range(9)]
    assert_all_right(requests, run(make(sim), requests))
    targets = sorted(b["translation_options"]["target_lang"] for b in sim.bodies)
    assert targets == ["French", "Japanese", "Portuguese"]


def test_lite_model_spells_persian_its_way(sim: QwenSim) -> None:
    assert run(make(sim, model="qwen-mt-lite"), [req("a", "Hello", target="fa")])[0].ok
    assert run(make(sim), [req("a", "Hello", target="fa")])[0].ok
    assert [b["translation_options"]["target_lang"] for b in sim.bodies] == [
        "Persian",
        "Western Persian",
    ]


@pytest.mark.parametrize("target", ["ga", "pa", "am"])
def test_unsupported_target_refused_before_any_request(sim: QwenSim, target: str) -> None:
    requests = [*batch(3), req("x", "Hello", target=target)]
    with pytest.raises(Fatal) as info:
        run(make(sim), requests)
    assert repr(target) in str(info.value) and "qwen-mt-flash" in str(info.value)
    assert sim.counters.attempts == 0


def test_lite_refuses_serbian_before_any_request(sim: QwenSim) -> None:
    with pytest.raises(Fatal, match="qwen-mt-lite"):
        run(make(sim, model="qwen-mt-lite"), [req("a", "Hello", target="sr")])
    assert sim.counters.attempts == 0


def test_empty_strings_need_no_request(sim: QwenSim) -> None:
    results = run(make(sim), [req("e", ""), req("w", "  "), req("x", "Save")])
    assert [(r.key, r.text) for r in results[:2]] == [("e", ""), ("w", "  ")]
    assert results[2].ok and sim.counters.attempts == 1


def test_strings_with_line_breaks_or_markers_go_alone(sim: QwenSim) -> None:
    requests = [req("a", "One"), req("b", "Two\nlines"), req("c", "Three ⟦1⟧"), req("d", "Four")]
    assert_all_right(requests, run(make(sim), requests))
    contents = sorted(b["messages"][0]["content"] for b in sim.bodies)
    assert contents == sorted(["Two\nlines", "Three ⟦1⟧", pack_texts(["One", "Four"])])


# --- packing verification --------------------------------------------------------------


@pytest.mark.parametrize("fault", ["merge", "reorder", "drop_token", "chatter", "truncate"])
def test_bad_packed_replies_are_split_and_every_string_comes_back_right(
    sim: QwenSim, fault: str
) -> None:
    sim.script(fault)
    engine = make(sim, concurrency=1)
    requests = batch(8)
    assert_all_right(requests, run(engine, requests))
    assert engine.stats().packs_split >= 1 if fault != "truncate" else sim.counters.ok >= 3
    assert sim.counters.injected[fault] == 1 and sim.counters.ok >= 3


def test_pack_size_setting(sim: QwenSim) -> None:
    requests = batch(7)
    assert_all_right(requests, run(make(sim, extra=(("pack_size", 3),)), requests))
    markers = sorted(b["messages"][0]["content"].count("⟧") for b in sim.bodies)
    assert markers == [0, 3, 3]  # 3 + 3 + a single, which goes bare


def test_pack_size_adapts_after_a_failed_pack(sim: QwenSim) -> None:
    engine = make(sim, concurrency=1)
    sim.script("merge")
    run(engine, batch(8))
    assert engine.stats().packs_split == 1 and engine._translator.pack_size < 20


def test_truncated_single_is_rejected(sim: QwenSim) -> None:
    sim.script("truncate")
    [result] = run(make(sim), [req("a", "Save the file")])
    assert isinstance(result.error, Rejected) and "finish_reason=length" in str(result.error)


def test_pack_round_trip_and_parser_strictness() -> None:
    texts = ["Open [X0X]", "Close", "Save"]
    assert unpack_texts(pack_texts(texts), 3) == texts
    assert unpack_texts("⟦1⟧ a ⟦2⟧ b\n⟦3⟧ c", 3) == ["a", "b", "c"]  # markers kept inline
    assert unpack_texts("〚1〛 a\n⟦ 2 ⟧ b", 2) == ["a", "b"]
    assert unpack_texts("⟦1⟧ a\n⟦3⟧ c", 2) is None
    assert unpack_texts("⟦2⟧ b\n⟦1⟧ a", 2) is None
    assert unpack_texts("Sure:\n⟦1⟧ a\n⟦2⟧ b", 2) is None
    assert unpack_texts("⟦1⟧ a\n⟦2⟧ b\nHope this helps", 2) is None
    assert unpack_texts("no markers", 1) is None


# --- errors -----------------------------------------------------------------------------


def test_retry_after_is_honoured(sim: QwenSim, monkeypatch: pytest.MonkeyPatch) -> None:
    """The retry waits what Retry-After says, not its own back-off (at most 0.01 s here):
    the waits asked for are recorded rather than timed, so a busy machine cannot fail it."""
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(seconds)

    monkeypatch.setattr(packing, "with_retries", functools.partial(with_retries, sleep=sleep))
    sim.retry_after = 1.0
    sim.script("429_retry_after")
    engine = make(sim, policy=RetryPolicy(attempts=3, base=0.01, cap=0.01))
    [result] = run(engine, [req("a", "Save")])
    assert result.ok and waits == [1.0]
    assert sim.charged_at[1] - sim.charged_at[0] >= 0.95  # never sooner (the sim's clock)
    assert engine.stats().rate_limited == 1 and sim.counters.attempts == 2


def test_429_without_retry_after_backs_off_and_succeeds(sim: QwenSim) -> None:
    sim.script("429", "429")
    engine = make(sim)
    [result] = run(engine, [req("a", "Save")])
    assert result.ok and engine.stats().rate_limited == 2 and sim.counters.attempts == 3


@pytest.mark.parametrize("fault", ["500", "503", "timeout"])
def test_transient_failures_are_retried(sim: QwenSim, fault: str) -> None:
    # a timed-out answer never comes (stop() ends it), and an answer that does has seconds
    # to spare: a busy machine cannot turn a slow answer into one more timeout
    sim.timeout_sleep = 600
    sim.script(fault, fault)
    engine = make(sim, timeout=2.0)
    requests = batch(3)
    assert_all_right(requests, run(engine, requests))
    assert engine.stats().transient == 2 and sim.counters.attempts == 3


def test_retries_exhausted_leave_errors_not_crashes(sim: QwenSim) -> None:
    sim.set_faults(**{"503": 1.0})
    results = run(make(sim, policy=RetryPolicy(attempts=2, base=0.01, cap=0.01)), batch(3))
    assert all(isinstance(r.error, Transient) for r in results)
    assert sim.counters.attempts == 2


def test_moderation_rejects_only_that_string(sim: QwenSim) -> None:
    requests = batch(7)
    requests.insert(3, req("bad", "Say DATA_INSPECTION_FAIL"))
    results = run(make(sim), requests)
    by_key = {r.key: r for r in results}
    assert isinstance(by_key["bad"].error, Rejected)
    assert "moderation" in str(by_key["bad"].error)
    good = [r for r in requests if r.key != "bad"]
    assert_all_right(good, [by_key[r.key] for r in good])


def test_invalid_input_is_not_retried(sim: QwenSim) -> None:
    [result] = run(make(sim), [req("a", "word " * 8200)])
    assert isinstance(result.error, Rejected) and sim.counters.attempts == 1


@pytest.mark.parametrize(
    ("fault", "fragment"),
    [
        ("429_free_quota", "free quota"),
        ("arrearage", "billing"),
        ("401", "401"),
        ("403", "403"),
        ("role", "Role must be in"),
    ],
)
def test_fatal_errors_stop_at_once(sim: QwenSim, fault: str, fragment: str) -> None:
    sim.script(fault)
    with pytest.raises(Fatal) as info:
        run(make(sim, concurrency=1, pack=False), batch(1))
    message = str(info.value)
    assert fragment in message and "\n" not in message and sim.api_key not in message
    assert sim.counters.attempts == 1


def test_wrong_key_is_fatal_and_never_shown(sim: QwenSim) -> None:
    key = "sk-wrong-0123456789abcdefSECRET"
    with pytest.raises(Fatal) as info:
        run(make(sim, key=key), batch(4))
    assert "invalid_api_key" in str(info.value) and key not in str(info.value)
    assert "SECRET" not in repr(info.value) and sim.counters.attempts == 1


def test_unknown_model_is_fatal_without_retry(sim: QwenSim) -> None:
    with pytest.raises(Fatal, match="404"):
        run(make(sim, model="qwen-mt-nonexistent"), batch(2))
    assert sim.counters.attempts == 1


# --- configuration ----------------------------------------------------------------------


def test_missing_key_is_fatal_one_line() -> None:
    with pytest.raises(Fatal) as info:
        QwenMTEngine(EngineSettings(name="qwen_mt"), env={})
    assert "DASHSCOPE_API_KEY" in str(info.value) and "\n" not in str(info.value)


def test_registry_reads_the_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-from-env-123456789")
    engine = create_engine(EngineSettings(name="qwen_mt"))
    assert isinstance(engine, QwenMTEngine) and engine.name == "qwen_mt"
    assert engine.model == "qwen-mt-flash" and "dashscope-intl" in engine.base_url
    monkeypatch.delenv("DASHSCOPE_API_KEY")
    with pytest.raises(Fatal, match="DASHSCOPE_API_KEY is not set"):
        create_engine(EngineSettings(name="qwen_mt"))


@pytest.mark.parametrize(
    ("region", "url", "tpm"),
    [
        ("singapore", "https://dashscope-intl.aliyuncs.com/compatible-mode/v1", 100_000),
        ("beijing", "https://dashscope.aliyuncs.com/compatible-mode/v1", 35_000),
        ("us", "https://dashscope-us.aliyuncs.com/compatible-mode/v1", 100_000),
        ("Virginia", "https://dashscope-us.aliyuncs.com/compatible-mode/v1", 100_000),
        ("hongkong", "https://cn-hongkong.dashscope.aliyuncs.com/compatible-mode/v1", 35_000),
    ],
)
def test_regions_and_default_limits(region: str, url: str, tpm: int) -> None:
    engine = QwenMTEngine(
        EngineSettings(name="qwen_mt", region=region), env={"DASHSCOPE_API_KEY": "sk-x"}
    )
    assert engine.base_url == url
    limits = engine.limits()
    assert (limits.rpm, limits.tpm) == (60, tpm)
    assert limits.max_input_tokens is not None and limits.max_input_tokens < 8192


def test_overrides_and_bad_settings() -> None:
    env = {"DASHSCOPE_API_KEY": "sk-x"}
    engine = QwenMTEngine(
        EngineSettings(
            name="qwen_mt",
            base_url="http://h/v1/",
            rpm=30,
            tpm=5000,
            concurrency=3,
            model="qwen-mt-plus",
        ),
        env=env,
    )
    assert engine.base_url == "http://h/v1" and engine.model == "qwen-mt-plus"
    assert (engine.limits().rpm, engine.limits().tpm, engine.limits().concurrency) == (30, 5000, 3)
    with pytest.raises(Fatal, match="region"):
        QwenMTEngine(EngineSettings(name="qwen_mt", region="mars"), env=env)
    with pytest.raises(Fatal, match="not a Qwen-MT model"):
        QwenMTEngine(EngineSettings(name="qwen_mt", model="gpt-4o"), env=env)
    with pytest.raises(Fatal, match="domains"):
        QwenMTEngine(EngineSettings(name="qwen_mt", domains="Benutzeroberfläche"), env=env)
    with pytest.raises(Fatal, match="pack_size"):
        QwenMTEngine(EngineSettings(name="qwen_mt", extra=(("pack_size", "many"),)), env=env)
    curly = QwenMTEngine(EngineSettings(name="qwen_mt", domains="the app’s UI — terse"), env=env)
    assert curly.domains == "the app's UI - terse"


def test_probe_reports_without_the_key(sim: QwenSim) -> None:
    probe = asyncio.run(make(sim).probe())
    assert probe.sent and probe.model == "qwen-mt-flash" and probe.base_url == sim.base_url
    assert probe.limits.rpm == 60_000 and probe.latency_s >= 0
    assert probe.prompt_tokens > 53 and probe.text == sim_translate("Hello, world!")
    shown = probe.as_dict()  # what `locflow probe` and `doctor` show, in this order
    assert list(shown) == [
        "engine", "model", "region", "base_url", "limits", "latency_s", "usage", "reply_model",
        "text",
    ]  # fmt: skip
    assert shown["limits"] == {
        "rpm": 60_000, "tpm": 100_000_000, "max_input_tokens": 7936, "concurrency": 4
    }  # fmt: skip
    assert shown["usage"] == {
        "prompt_tokens": probe.prompt_tokens, "completion_tokens": probe.completion_tokens
    }  # fmt: skip
    assert sim.api_key not in repr(probe) and sim.api_key not in repr(shown)
    options = sim.bodies[0]["translation_options"]
    assert (options["source_lang"], options["target_lang"]) == ("English", "Chinese")


def test_one_engine_serves_several_event_loops(sim: QwenSim) -> None:
    engine = make(sim, concurrency=1)
    for _ in range(3):  # as the test helpers and flows do: asyncio.run per locale
        requests = batch(5)
        assert_all_right(requests, run(engine, requests))
