"""Typed run results (pipeline/results.py): the one place their dicts are made. The key order
is what `locflow run --json` and `locflow docs --json` print; a fan-out parent reads its
children's summaries back from their `runs` rows."""

from __future__ import annotations

from locflow.pipeline.docs import DocsSyncReport
from locflow.pipeline.docs_export import DocResult
from locflow.pipeline.export import FileResult
from locflow.pipeline.fan_in import ChildRun, RecordedRun, fan_in
from locflow.pipeline.results import DocsRunResult, DocSummary, RunResult
from locflow.pipeline.summary import LocaleSummary
from locflow.pipeline.sync import SyncReport
from locflow.pipeline.translate import StoreCounts

LOCALE_KEYS = [
    "queued", "up_to_date", "reused", "machine", "needs_review", "issues", "deferred",
    "superseded", "glossary_retried", "glossary_stale", "glossary_flagged",
    "glossary_compliance", "requests", "paid_requests", "tokens_in", "tokens_out", "cost",
    "unanswered_cost",
    "left_to_translators", "error",
]  # fmt: skip


def _summary(locale: str = "fr") -> LocaleSummary:
    counts = StoreCounts(
        machine=5, needs_review=2, reused=3, deferred=1, retried=1, superseded=1,
        issues={"engine": 1, "placeholders": 1},
    )  # fmt: skip
    return LocaleSummary(
        locale, queued=9, up_to_date=4, requests=12, paid_requests=10, tokens_in=300,
        tokens_out=280,
        cost=0.123456789, glossary_stale=1, glossary_flagged=2, glossary_compliance=87.5,
        counts=counts,
    )  # fmt: skip


def test_a_locale_summary_round_trips_through_its_dict() -> None:
    d = _summary().to_dict()
    assert list(d) == LOCALE_KEYS
    assert d["cost"] == 0.123457 and d["glossary_retried"] == 1
    back = LocaleSummary.from_dict("fr", d)
    assert back.to_dict() == d
    assert back.counts.issues == {"engine": 1, "placeholders": 1} and back.engine_errors == 1


def test_a_docs_locale_shows_engine_errors_and_no_glossary_bookkeeping() -> None:
    d = _summary().docs_dict()
    assert list(d) == [
        "queued", "up_to_date", "reused", "machine", "needs_review", "deferred",
        "engine_errors", "issues", "requests", "paid_requests", "tokens_in", "tokens_out",
        "cost", "unanswered_cost", "left_to_translators", "error",
    ]  # fmt: skip
    assert d["engine_errors"] == 1


def test_a_run_result_prints_in_the_cli_order_with_optional_keys_last() -> None:
    bare = RunResult(7, "abc")
    assert bare.to_dict() == {
        "run_id": 7, "flow_run_id": "abc", "locales": {}, "files": [], "status": "completed",
        "gaps": [],
    }  # fmt: skip
    result = RunResult(7, "abc", sync=SyncReport(new=3), engine={"requests": 12})
    result.locales["fr"] = _summary()
    result.files = [FileResult("locale/fr.po", "fr", True, True, 5, 2, 9)]
    result.stop("cost cap reached")
    d = result.to_dict()
    assert list(d) == [
        "run_id", "flow_run_id", "locales", "files", "status", "gaps", "sync", "message",
        "engine",
    ]  # fmt: skip
    assert d["files"] == [
        {"path": "locale/fr.po", "locale": "fr", "changed": True, "written": True,
         "translated": 5, "fuzzy": 2, "total": 9, "reasons": (), "entries": (), "demoted": (),
         "flagged": (), "notes": ()},
    ]  # fmt: skip
    assert result.recorded_counts() == {
        "requests": 12,
        "paid_requests": 10,
        "locales": {"fr": _summary().to_dict()},
        "engine": {"requests": 12},
        "files_changed": 1,
        "gaps": [g.to_dict() for g in result.gaps()],
    }
    assert [g.kind for g in result.gaps()] == ["deferred", "refused"]


def test_docs_failures_name_structure_problems_refusals_and_a_stop() -> None:
    broken = DocResult("a.md", "fr", "out/fr/a.md", 3, 2, 0, 1, False, False, ("a.md:4: lost",))
    fine = DocResult("b.md", "fr", "out/fr/b.md", 2, 2, 1, 0, True, True)
    result = DocsRunResult(3, "", changed_since="HEAD~1", selected=["a.md"])
    result.sync = DocsSyncReport(problems=["c.md:1: not UTF-8"])
    result.locales["fr"] = _summary()
    result.docs = [DocSummary(broken, translated=1, engine_errors=1), DocSummary(fine)]
    result.stop("API key refused")
    assert result.failures() == [
        "c.md:1: not UTF-8",
        "a.md:4: lost [fr]",
        "fr: the engine refused 1 block(s)",
        "stopped: API key refused",
    ]
    d = result.to_dict()
    assert list(d) == [
        "run_id", "flow_run_id", "status", "changed_since", "selected", "locales", "docs",
        "sync", "message", "failed", "gaps", "totals",
    ]  # fmt: skip
    assert [(x["translated"], x["reused"], x["engine_errors"]) for x in d["docs"]] == [
        (1, 1, 1),
        (0, 2, 0),
    ]
    assert result.recorded_counts()["docs_written"] == 1
    assert result.recorded_counts()["docs_failed"] == 1


def test_a_fan_out_adds_up_its_children_and_names_the_ones_that_did_not_complete() -> None:
    children = [
        ChildRun("fr", "1", "Completed"),
        ChildRun("ru", "2", "Failed", completed=False, state_message="boom"),
        ChildRun("ar", "3", "", completed=False),
        ChildRun("de", "4", "Completed"),
    ]
    engine = {"requests": 3, "packs": {"4": 1}, "degraded": True, "model": "m"}
    recorded = {
        "1": RecordedRun("completed", "", {"locales": {"fr": _summary().to_dict()}}),
        "2": RecordedRun("failed", "", {"locales": {"ru": {"requests": 2}}, "engine": engine}),
        "4": RecordedRun("stopped", "cost cap", {"engine": engine}),
    }
    out = fan_in(children, recorded)
    assert (out.status, out.message) == (
        "failed",
        "fan-out runs failed: ru (Failed: boom); ar (no state)",
    )
    assert out.locales["fr"].to_dict() == _summary().to_dict()
    assert out.locales["ru"].requests == 2
    assert out.engine == {"requests": 6, "packs": {"4": 2}}  # numbers add up; flags do not
    everyone_done = [
        ChildRun(c.locale, c.flow_run_id, "Completed")
        for c in children
        if c.flow_run_id in recorded
    ]
    stopped = fan_in(everyone_done, recorded)
    assert (stopped.status, stopped.message) == ("stopped", "de: cost cap")
    parent = RunResult(1, "p")
    parent.take_fan_out(stopped)
    assert parent.to_dict()["children"][0] == {
        "locale": "fr",
        "flow_run_id": "1",
        "state": "Completed",
    }
    assert parent.recorded_counts()["engine"] == stopped.engine
