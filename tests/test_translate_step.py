"""Translate/check/store as plain functions: plural samples, deferral, rejection, memory,
estimates and the cost cap."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from locflow.catalog.plural_sample import count_placeholder, restore_count, with_sample
from locflow.catalog.plurals import plural_info
from locflow.catalog.segment import Segment
from locflow.connectors.engines.base import (
    Rejected,
    Transient,
)
from locflow.connectors.engines.pseudo import PseudoEngine
from locflow.db import repo, run_repo
from locflow.db.models import SegmentRow
from locflow.db.states import State
from locflow.pipeline.cost import estimate, prices_for
from locflow.pipeline.plan import WorkItem, plan_locale
from locflow.pipeline.translate import form_requests
from locflow.settings import EngineSettings, Prices
from tests.fakes.scripted_engine import ScriptedEngine
from tests.support.helpers import config_for, sync, translate


@pytest.mark.parametrize(
    ("text", "flags", "expected"),
    [
        ("%(count)d notes saved", ("python-format",), "%(count)d"),
        ("Deleted %d of %d notes", ("c-format",), None),
        ("%d notes selected", ("c-format",), "%d"),
        ("{count} files in {folder}", ("python-brace-format",), "{count}"),
        ("{n} files", ("python-brace-format",), "{n}"),
        ("%(name)s shared %(num)d notebooks", ("python-format",), "%(num)d"),
        ("%s notes", ("c-format",), None),
    ],
)
def test_count_placeholder(text, flags, expected):
    assert count_placeholder(text, flags) == expected


@pytest.mark.parametrize(
    ("translated", "n", "expected"),
    [
        ("5 заметок сохранено", 5, "%d заметок сохранено"),
        ("1 000 000 de notes", 1000000, "%d de notes"),
        ("1,000,000 notes", 1000000, "%d notes"),
        ("notes: 2, 2 saved", 2, None),
        ("no number here", 3, None),
        ("25 notes", 5, None),
    ],
)
def test_restore_count(translated, n, expected):
    assert restore_count(translated, n, "%d") == expected


def test_each_plural_form_is_sent_with_its_own_sample_number():
    seg = Segment(msgid="%d note saved", msgid_plural="%d notes saved", flags=("c-format",))
    item = WorkItem(1, "ru", seg, seg.source_hash, plural_info("ru"))
    forms = form_requests(item, "en")
    assert [f.sample for f in forms] == [1, 2, 5]
    assert [f.masked.text for f in forms] == ["1 note saved", "2 notes saved", "5 notes saved"]
    fr = WorkItem(
        1,
        "fr",
        Segment(msgid="One note", msgid_plural="%d notes", flags=("c-format",)),
        "h",
        plural_info("fr"),
    )
    # French "one" covers 0 and 1, so it must keep the number: built from msgid_plural
    assert form_requests(fr, "en")[0].masked.text == "1 notes"
    assert with_sample("%d of %d", "%d", 3) == "3 of 3"


def test_transient_failures_store_nothing_and_rejections_wait_for_a_human(
    demo_project, Session, db_url
):
    config = config_for(demo_project, db_url, LOCFLOW_LOCALES="de")
    sync(Session, config)
    engine = ScriptedEngine(
        {
            "Settings": Transient("503 overloaded"),
            "Sync failed": Rejected("content moderation: inappropriate"),
        }
    )
    stored, _ = translate(Session, config, engine)
    assert stored.deferred == 1 and stored.needs_review >= 1
    with Session() as s:
        rows = {r.msgid: r for r in s.scalars(select(SegmentRow))}
        assert repo.versions(s, rows["Settings"].id, "de") == []
        (rejected,) = repo.versions(
            s, rows["Sync failed. Check your connection and try again."].id, "de"
        )
        assert rejected.state == State.NEEDS_REVIEW and rejected.forms == [""]
        assert "moderation" in rejected.issues[0]["message"]
    engine2 = ScriptedEngine({})
    translate(Session, config, engine2)
    assert [r.text for r in engine2.seen] == ["Settings"]  # only the deferred one is re-sent


def test_similar_approved_translations_travel_as_memory(demo_project, Session, db_url):
    config = config_for(demo_project, db_url, LOCFLOW_LOCALES="de")
    sync(Session, config)
    with Session() as s, s.begin():
        row = s.scalar(
            select(SegmentRow).where(
                SegmentRow.msgid == "Sync failed. Check your connection and try again."
            )
        )
        repo.add_version(
            s,
            repo.NewVersion(
                segment_id=row.id,
                locale="de",
                forms=("Synchronisierung fehlgeschlagen.",),
                state=State.APPROVED,
                origin="human",
                source_hash=row.source_hash,
            ),
        )
        pot = demo_project / "locale" / "messages.pot"
        pot.write_text(
            pot.read_text() + '\nmsgid "Sync failed. Check your settings and try again."\n'
            'msgstr ""\n'
        )
    sync(Session, config)
    engine = ScriptedEngine({})
    translate(Session, config, engine)
    sent = {r.text: r for r in engine.seen}
    assert sent["Sync failed. Check your settings and try again."].memory == (
        ("Sync failed. Check your connection and try again.", "Synchronisierung fehlgeschlagen."),
    )
    assert sent["Notes"].memory == ()


def test_estimate_counts_requests_tokens_and_cost_without_calling_out(
    demo_project, Session, db_url
):
    config = config_for(demo_project, db_url, LOCFLOW_LOCALES="ru")
    sync(Session, config)
    with Session() as s:
        plan = plan_locale(s, repo.find_project(s, config.project), "ru")
    pseudo = estimate([plan], config.engine, "en")
    assert (pseudo.strings, pseudo.requests, pseudo.cost) == (19, 25, 0.0)
    qwen = EngineSettings(name="qwen_mt")
    est = estimate([plan], qwen, "en")
    assert est.requests == 1  # 25 forms in one pack (the cap is 100, the budget 1,633 tokens)
    twenty = EngineSettings(name="qwen_mt", extra=(("pack_size", 20),))
    assert estimate([plan], twenty, "en").requests == 2  # 25 forms in packs of 20
    assert est.tokens_in > pseudo.tokens_in  # Qwen's hidden prompt per request
    assert est.cost == pytest.approx(prices_for(qwen).cost(est.tokens_in, est.tokens_out))
    assert (
        prices_for(EngineSettings(name="qwen_mt", model="qwen-mt-plus")).input_per_million == 2.46
    )
    custom = EngineSettings(name="pseudo", prices=Prices(1.0, 2.0))
    assert prices_for(custom).cost(1_000_000, 500_000) == pytest.approx(2.0)


def test_pseudo_requests_are_recorded_with_usage_and_cost(demo_project, Session, db_url):
    toml = demo_project / "locflow.toml"
    toml.write_text(
        toml.read_text().replace(
            'name = "pseudo"', 'name = "pseudo"\nprices = { input = 1000.0, output = 1000.0 }'
        )
    )
    config = config_for(demo_project, db_url, LOCFLOW_LOCALES="de")
    sync(Session, config)
    with Session() as s:
        project = repo.find_project(s, config.project)
        plan = plan_locale(s, project, "de")
    from locflow.pipeline.translate import jobs_of, store_outcomes, translate_jobs

    outcomes = asyncio.run(translate_jobs(PseudoEngine(), jobs_of(plan), "en"))
    with Session() as s, s.begin():
        store_outcomes(
            s,
            outcomes,
            source_locale="en",
            engine_name="pseudo",
            run_id=None,
            cost_of=prices_for(config.engine).cost,
        )
    with Session() as s:
        usage = run_repo.usage_by_locale(s, project.id)["de"]
    assert usage["tokens_in"] == sum(o.tokens_in for o in outcomes) > 0
    assert usage["cost"] == pytest.approx(
        (usage["tokens_in"] + usage["tokens_out"]) * 1000.0 / 1e6, rel=1e-6
    )


def test_similar_translations_index_finds_what_scoring_everything_finds():
    """Above EXACT_UP_TO entries the trigram index narrows the candidates; on real msgids
    its best example scores as well as scoring the whole memory in nearly every case."""
    from pathlib import Path

    import django
    from rapidfuzz import fuzz, process

    from locflow.connectors.po import read_po
    from locflow.pipeline.plan import MEMORY_MIN_SCORE, SimilarTranslations

    class Indexed(SimilarTranslations):
        EXACT_UP_TO = 100  # the index path, on every size of memory

    site = Path(django.__file__).resolve().parent.parent
    msgids: list[str] = []
    for po in sorted(site.glob("*/**/locale/fr/LC_MESSAGES/*.po")):
        msgids.extend(e.segment.msgid for e in read_po(po).entries if e.segment.msgid)
    msgids = list(dict.fromkeys(msgids))
    assert len(msgids) > 1000
    queries, memory = msgids[::10], [m for i, m in enumerate(msgids) if i % 10]
    similar = Indexed({(None, m, None): (m.upper(),) for m in memory})
    agree = found = 0
    for q in queries:
        best = process.extractOne(q, memory, scorer=fuzz.ratio, score_cutoff=MEMORY_MIN_SCORE)
        got = similar.nearest(q, 3)
        if best is None:
            assert got == ()
            continue
        found += 1
        if got and fuzz.ratio(q, got[0][0]) >= best[1] - 1e-9:
            agree += 1
        for source, target in got:
            assert target == source.upper() and fuzz.ratio(q, source) >= MEMORY_MIN_SCORE
    assert found >= 50
    assert agree / found >= 0.9, f"index agreed on {agree} of {found}"
