"""Qwen-MT pack sizes (issue 16): AIMD per target locale, and packs sized by a token budget
(`pack_tokens`, bounded by `max_input_tokens` and the output limit), against the simulator
over real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from locflow.connectors.engines.base import AdaptivePacking, Fatal, Request, Result
from locflow.connectors.engines.qwen_mt import QwenMTEngine, sizing, unpack_texts
from locflow.connectors.engines.qwen_settings import MAX_OUTPUT_TOKENS, output_room
from locflow.connectors.engines.sizing import max_output_tokens
from tests.fakes.qwen_sim import QwenSim
from tests.support.qwen_engine import qwen_on, qwen_settings


@pytest.fixture
def sim() -> Iterator[QwenSim]:
    with QwenSim() as s:
        yield s


settings = qwen_settings
make = qwen_on


def batch(n: int, target: str = "de", words: int = 1) -> list[Request]:
    text = " ".join(["word"] * words)
    return [
        Request(f"{target}{i}", f"{text} {i} [X0X]", "en", target, tokens=("[X0X]",))
        for i in range(n)
    ]


def run(engine: QwenMTEngine, *batches: list[Request]) -> list[list[Result]]:
    async def all_of() -> list[list[Result]]:
        return list(await asyncio.gather(*(engine.translate(b) for b in batches)))

    results = asyncio.run(all_of())
    assert all(r.ok for rs in results for r in rs)
    return results


def pack_lengths(sim: QwenSim) -> list[int]:
    return [max(1, b["messages"][0]["content"].count("⟦")) for b in sim.bodies]


# --- AIMD ----------------------------------------------------------------------------------


def test_the_engine_is_adaptive_packing_and_starts_at_the_cap(sim: QwenSim) -> None:
    engine = make(sim, pack_size=8)
    assert isinstance(engine, AdaptivePacking) and engine.pack_sizes() == {}
    run(engine, batch(8))
    assert engine.pack_sizes() == {"de": 8} and pack_lengths(sim) == [8]


def test_a_misaligned_pack_halves_its_locale_only(sim: QwenSim) -> None:
    engine = make(sim, pack_size=8)
    sim.script("merge")
    run(engine, batch(8), batch(8, "fr"))
    assert engine.pack_sizes() == {"de": 4, "fr": 8}
    stats = engine.stats()
    assert stats.packs_split == 1 and dict(stats.pack_sizes) == {"de": 4, "fr": 8}
    assert stats.pack_trajectory == (("de", 0, 8), ("de", 1, 4), ("fr", 1, 8))
    sim.reset()
    run(engine, batch(8))
    assert pack_lengths(sim) == [4, 4]  # the halved size holds for the next packs


def test_verified_packs_grow_additively_up_to_the_cap(sim: QwenSim) -> None:
    engine = make(sim, pack_size=100)
    engine.resume_pack_sizes({"de": 10, "fr": 1000})
    assert engine.pack_sizes() == {"de": 10, "fr": 100}  # resumed within the cap
    run(engine, batch(10))
    assert engine.pack_sizes()["de"] == 20  # +10 (a tenth of the cap) after a verified pack
    run(engine, batch(7))
    assert engine.pack_sizes()["de"] == 30
    engine.resume_pack_sizes({"de": 98})
    run(engine, batch(98))
    assert engine.pack_sizes()["de"] == 100  # never above the cap
    sizes = [size for locale, _, size in engine.stats().pack_trajectory if locale == "de"]
    assert sizes == [10, 20, 30, 98, 100]
    assert engine.stats().as_dict()["pack_sizes"] == [["de", 100], ["fr", 100]]


def test_a_size_of_one_grows_again(sim: QwenSim) -> None:
    engine = make(sim, pack_size=100)
    engine.resume_pack_sizes({"de": 1})
    run(engine, batch(3))
    assert pack_lengths(sim) == [1, 2] and engine.pack_sizes() == {"de": 21}


def test_split_halves_do_not_grow_the_size(sim: QwenSim) -> None:
    engine = make(sim, pack_size=8)
    sim.script("reorder")
    run(engine, batch(8))
    assert engine.pack_sizes() == {"de": 4}  # its halves of 4 verified, and are not fresh


def test_without_adaptation_every_pack_may_hold_the_cap(sim: QwenSim) -> None:
    engine = make(sim, pack_size=8, adaptive=False)
    engine.resume_pack_sizes({"de": 2})  # ignored: the size is the cap
    sim.script("merge")
    run(engine, batch(16))
    assert engine.pack_sizes() == {"de": 8}
    assert sorted(pack_lengths(sim)) == [4, 4, 8, 8]  # split as always, no smaller next pack


# --- the token budget -------------------------------------------------------------------


def test_pack_tokens_default_is_the_accounts_tpm_per_request() -> None:
    assert sizing(settings()).max_input_tokens == 1633  # 100,000 / 60, less 2 %
    assert sizing(settings(region="beijing")).max_input_tokens == 571  # 35,000 / 60
    assert sizing(settings(rpm=120, tpm=100_000)).max_input_tokens == 816
    assert sizing(settings(rpm=30)).max_input_tokens == output_room(200) == 1640
    assert sizing(settings(rpm=60_000)).max_input_tokens == 530  # the TPM binds anyway: the
    # floor keeps a request's 53 overhead tokens under a tenth of a pack
    assert sizing(settings(max_input_tokens=1000)).max_input_tokens == 1000 - 256
    assert sizing(settings(pack_tokens=500)).max_input_tokens == 500
    assert sizing(settings(pack_size=20)).max_pack == 20
    assert sizing(settings(batch_size=30)).max_pack == 30  # the old name
    assert sizing(settings()).max_pack == 200


@pytest.mark.parametrize("cap", [1, 20, 100, 500])
def test_a_full_pack_at_the_budget_keeps_max_tokens_within_the_output_limit(cap: int) -> None:
    """The budget is bounded so that a full pack's `max_tokens` is never clipped (a reply
    the model could not finish)."""
    s = sizing(settings(pack_size=cap, rpm=1, tpm=10_000_000))  # the bounds bind
    requests = batch(2000, words=3)
    packs = s.packs(requests)
    assert max(len(p) for p in packs) == cap or s.max_input_tokens == output_room(cap)
    for pack in packs:
        wanted = max_output_tokens([requests[i] for i in pack])
        assert wanted <= MAX_OUTPUT_TOKENS


def test_no_pack_exceeds_pack_tokens(sim: QwenSim) -> None:
    engine = make(sim, pack_tokens=300)
    requests = batch(60, words=6) + batch(40, "fr", words=2)
    run(engine, requests[:50], requests[50:])
    by_text = {r.text: r for r in requests}
    budget = sizing(settings(pack_tokens=300))
    sent = 0
    for body in sim.bodies:
        content = body["messages"][0]["content"]
        texts = unpack_texts(content, content.count("⟦"))
        assert texts is not None
        assert budget.call_tokens([by_text[t] for t in texts]) <= 300
        sent += len(texts)
    assert sent == 100 and len(sim.bodies) > 3  # the budget, not the count, cut the packs


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("pack_size", 0),
        ("pack_size", "many"),
        ("pack_size", 2.5),
        ("pack_size", True),
        ("pack_size", 501),
        ("batch_size", -1),
        ("pack_tokens", 0),
        ("pack_tokens", "lots"),
        ("pack_tokens", 5000),  # above what a full pack's reply may take
        ("max_input_tokens", 200),  # not more than the headroom
        ("max_input_tokens", 8192.5),
    ],
)
def test_bad_sizing_keys_are_one_line_fatals_naming_the_key(key: str, value: object) -> None:
    with pytest.raises(Fatal, match=rf"\[engine\] {key} must be") as caught:
        sizing(settings(**{key: value}))
    assert "\n" not in str(caught.value)
    with pytest.raises(Fatal, match=key):  # the engine itself checks them the same way
        QwenMTEngine(settings(**{key: value}), env={"DASHSCOPE_API_KEY": "sk-x-0123456789"})
