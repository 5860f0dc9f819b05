"""Misalignment of packed replies, as the Qwen-MT simulator defines it (qwen_sim.py's
docstring): which kinds packing's verification catches, and the one it cannot. Through
QwenMTEngine (the real openai client over HTTP to the simulator)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from locflow.connectors.engines.base import Request, Result
from locflow.connectors.engines.packing import verifies
from locflow.connectors.engines.qwen_mt import QwenMTEngine, pack_texts, unpack_texts
from tests.fakes.qwen_rules import CATCHABLE, MISALIGNMENTS, is_pack, misaligned, sim_translate
from tests.fakes.qwen_sim import QwenSim
from tests.support.qwen_engine import qwen_on

TEXTS = [
    "Open [X0X]",
    "Close the window",
    "Save [X0X] as [X1X]",
    "Delete this file?",
    "Rename [X0X]",
    "Cancel",
]


@pytest.fixture
def sim() -> Iterator[QwenSim]:
    with QwenSim() as s:
        yield s


def make(sim: QwenSim, **settings: Any) -> QwenMTEngine:
    return qwen_on(sim, policy=None, **settings)


def requests(texts: list[str] = TEXTS) -> list[Request]:
    return [
        Request(
            key=f"k{i}",
            text=text,
            source_locale="en",
            target_locale="de",
            tokens=tuple(t for t in ("[X0X]", "[X1X]") if t in text),
        )
        for i, text in enumerate(texts)
    ]


def run(engine: QwenMTEngine, batch: list[Request]) -> list[Result]:
    return asyncio.run(engine.translate(batch))


def own(request: Request) -> str:
    """The string's own correct translation (the simulator's, for its text alone)."""
    return sim_translate(request.text)


def test_each_kind_is_what_verification_makes_of_it() -> None:
    batch = requests()
    clean = sim_translate(pack_texts([r.text for r in batch]))
    assert verifies(batch, unpack_texts(clean, len(batch)))
    for kind in ("drop_line", "merge_lines", "swap_markers"):  # the markers do not parse
        bad = misaligned(kind, clean)
        assert bad is not None and bad != clean and unpack_texts(bad, len(batch)) is None, kind
    for kind, caught in (("swap_texts_tokens", True), ("swap_texts_same", False)):
        bad = misaligned(kind, clean)
        texts = unpack_texts(bad or "", len(batch))
        assert texts is not None and sorted(texts) == sorted(unpack_texts(clean, len(batch)) or [])
        assert verifies(batch, texts) is not caught, kind  # the tokens decide
    assert set(CATCHABLE) | {"swap_texts_same"} == set(MISALIGNMENTS)


@pytest.mark.parametrize("kind", CATCHABLE)
def test_a_catchable_misalignment_is_split_and_every_string_ends_right(
    sim: QwenSim, kind: str
) -> None:
    sim.script(kind)
    engine = make(sim)
    batch = requests()
    results = run(engine, batch)
    assert [r.text for r in results] == [own(r) for r in batch]
    assert all(r.error is None for r in results)
    assert sim.counters.misaligned == {kind: 1}
    assert engine.stats().packs_split >= 1


def test_swap_texts_same_is_not_caught_the_two_strings_come_back_exchanged(
    sim: QwenSim,
) -> None:
    """The limit of verification: two texts exchanged under their kept markers, with the
    same placeholder tokens (here none), parse and verify. Nothing in the reply tells."""
    sim.script("swap_texts_same")
    engine = make(sim)
    batch = requests()
    results = run(engine, batch)
    # the first two lines whose tokens are the same: "Open [X0X]", "Rename [X0X]"
    expected = [own(r) for r in batch]
    expected[0], expected[4] = expected[4], expected[0]
    assert [r.text for r in results] == expected
    assert results[0].text == own(batch[4]) and results[4].text == own(batch[0])
    assert all(r.error is None for r in results)
    stats = engine.stats()
    assert (stats.packs_verified, stats.packs_split) == (1, 0)
    assert sim.counters.misaligned == {"swap_texts_same": 1}


def test_a_single_string_has_nothing_to_misalign(sim: QwenSim) -> None:
    sim.script("swap_markers")
    [request] = requests(["Open [X0X]"])
    [result] = run(make(sim), [request])
    assert result.text == own(request) and sim.counters.misaligned == {}


def test_misalign_probability_hits_only_packed_replies_and_all_are_caught() -> None:
    with QwenSim(misalign=1.0, seed=3) as sim:
        engine = make(sim, pack_size=4)
        batch = requests(TEXTS * 3)
        results = run(engine, batch)
        assert [r.text for r in results] == [own(r) for r in batch]
        packed = [b for b in sim.bodies if is_pack(b["messages"][0]["content"])]
        assert sum(sim.counters.misaligned.values()) == len(packed) >= 5
        assert set(sim.counters.misaligned) <= set(CATCHABLE)
        assert engine.stats().packs_verified == 0  # every pack misaligned, split to singles


def test_misalign_kinds_can_include_the_uncatchable_one() -> None:
    with QwenSim(misalign=1.0, misalign_kinds=("swap_texts_same",)) as sim:
        batch = requests()
        results = run(make(sim), batch)
        wrong = [r.key for r, q in zip(results, batch, strict=True) if r.text != own(q)]
        assert wrong == ["k0", "k4"]  # stored as if right: only a reviewer could tell
    with pytest.raises(ValueError, match="misalignment"):
        QwenSim(misalign=0.1, misalign_kinds=("tear_line",))
