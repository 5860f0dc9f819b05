"""The `localise` flow sends every locale in one stream of batches (flows/common.py,
pipeline/stream.py): locales in flight together, enough strings for the engine's queue, a
last pass for strings deferred by transient failures, and pack sizes kept per engine and
locale. Real Prefect runs against the session's server."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from locflow.connectors.engines.base import (
    AdaptivePacking,
    EngineStats,
    Fatal,
    Limits,
    ProbeResult,
    Request,
    Result,
)
from locflow.connectors.engines.pseudo import PseudoEngine
from locflow.flows import scale
from locflow.flows.common import TASK_THREADS
from locflow.flows.localise import localise
from locflow.pipeline import units
from locflow.settings import load_config
from tests.fakes.qwen_sim import QwenSim

pytestmark = pytest.mark.usefixtures("prefect_api")

KEY = "sk-stream-test-0123456789"
LOCALES = ["fr", "ru", "ar", "de"]


class HoldingEngine:
    """Pseudo-translates; its first calls wait (at most `patience` seconds) until `need`
    strings are inside translate() at once, recording which locales were in together.
    Implements AdaptivePacking: reports `sizes`, remembers what it was resumed from."""

    name = "holding"
    model = "holding"

    def __init__(
        self, need: int, concurrency: int = 1, sizes: Mapping[str, int] | None = None
    ) -> None:
        self.need, self.concurrency, self.patience = need, concurrency, 20.0
        self.inside: Counter[str] = Counter()
        self.peak = 0
        self.together: set[str] = set()
        self.sizes = dict(sizes or {})
        self.resumed: dict[str, int] | None = None
        self.fail: Exception | None = None
        self._pseudo = PseudoEngine()

    def limits(self) -> Limits:
        return Limits(rpm=None, tpm=None, max_input_tokens=None, concurrency=self.concurrency)

    async def translate(self, batch: Sequence[Request]) -> list[Result]:
        if self.fail is not None:
            raise self.fail
        locale = batch[0].target_locale
        strings = sum(1 for r in batch if r.key.endswith(":0"))
        self.inside[locale] += strings
        try:
            waited = 0.0
            while self.peak < self.need and waited < self.patience:
                self._look()
                await asyncio.sleep(0.01)
                waited += 0.01
            self._look()
            return await self._pseudo.translate(batch)
        finally:
            self.inside[locale] -= strings

    def _look(self) -> None:
        if sum(self.inside.values()) > self.peak:
            self.peak = sum(self.inside.values())
            self.together |= {x for x, n in self.inside.items() if n}

    async def probe(self) -> ProbeResult:
        return ProbeResult(engine=self.name, limits=self.limits())

    def stats(self) -> EngineStats | None:
        return None

    def pack_sizes(self) -> dict[str, int]:
        return dict(self.sizes)

    def resume_pack_sizes(self, sizes: Mapping[str, int]) -> None:
        self.resumed = dict(sizes)


def _engine_table(project: Path, table: str) -> str:
    toml = project / "locflow.toml"
    text = toml.read_text()
    assert 'name = "pseudo"' in text
    toml.write_text(text.replace('name = "pseudo"', table))
    return str(toml)


def test_locales_share_the_stream_and_the_queue_holds_concurrency_plus_one_packs(
    demo_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'stream.db'}")
    # packs of 20 at concurrency 1: (1 + 1) x 20 strings, more than two locales' 19 each
    config = _engine_table(demo_project, 'name = "openai_compat"\npack_size = 20')
    engine = HoldingEngine(need=40)
    monkeypatch.setattr(scale, "run_engine", lambda settings: engine)
    run = localise(config, LOCALES)
    assert run.status == "completed", run.message
    assert engine.peak >= 40  # one batch (19 strings) at a time before
    assert len(engine.together) >= 3, engine.together
    for locale in LOCALES:
        x = run.locales[locale]
        assert (x.queued, x.counts.machine + x.counts.needs_review) == (19, 19)
        assert x.requests > 0
        assert x.glossary_compliance is not None
    assert engine.resumed == {}  # nothing stored yet for this engine


def test_pack_sizes_are_stored_after_a_run_and_resumed_by_the_next(
    demo_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'sizes.db'}")
    config = str(demo_project / "locflow.toml")
    first = HoldingEngine(need=0, sizes={"fr": 5, "de": 11})
    assert isinstance(first, AdaptivePacking)
    monkeypatch.setattr(scale, "run_engine", lambda settings: first)
    assert localise(config, ["fr", "de"], export=False).status == "completed"
    settings = load_config(config)
    assert units.stored_pack_sizes(settings, "holding") == {"fr": 5, "de": 11}

    stopped = HoldingEngine(need=0, sizes={"fr": 7, "ru": 3})
    stopped.fail = Fatal("401 invalid key")
    monkeypatch.setattr(scale, "run_engine", lambda settings: stopped)
    run = localise(config, ["ru"], export=False)
    assert run.status == "stopped" and stopped.resumed == {"fr": 5, "de": 11}
    # a stopped run's sizes are kept too
    assert units.stored_pack_sizes(settings, "holding") == {"fr": 7, "de": 11, "ru": 3}


def test_the_flows_have_a_worker_thread_for_every_batch_the_window_allows() -> None:
    from locflow.flows.docs import translate_docs

    for flow in (localise, translate_docs):
        assert flow.task_runner._max_workers == TASK_THREADS  # type: ignore[attr-defined]


def test_a_pack_whose_tries_run_out_gets_a_last_pass_and_the_run_completes(
    demo_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The measured case: one pack used up its tries to 503s and was left deferred (exit 5)
    though one more request would have done it. One locale in one pack (packs of 40)."""
    monkeypatch.setenv("LOCFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'flaky.db'}")
    monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
    with QwenSim(api_key=KEY) as sim:
        table = f'name = "qwen_mt"\nbase_url = "{sim.base_url}"\nrpm = 6000\n'
        config = _engine_table(demo_project, table + "retries = 1\npack_size = 40")
        sim.script("503", "503")
        run = localise(config, ["fr"], export=False)
        injected, bodies = sim.counters.injected["503"], list(sim.bodies)
    assert injected == 2 and bodies[0] == bodies[1]  # the pack's two tries, both failed
    assert len(bodies) == 3 and bodies[2] == bodies[0]  # and the last pass: one request
    assert run.status == "completed", run.message  # exit 0; without the last pass, 5
    counts = run.locales["fr"].counts
    assert counts.deferred == 0 and counts.machine + counts.needs_review == 19
