"""Glossaries through the pipeline: versions in the database, terms to engines, compliance
detected and retried through both engines' test servers, targeted re-translation."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import select

from locflow.connectors.engines.openai_compat import OpenAICompatEngine
from locflow.connectors.engines.qwen_mt import QwenMTEngine
from locflow.db import glossary_repo, repo, segment_repo
from locflow.db.models import SegmentRow, Translation
from locflow.db.states import State
from locflow.pipeline.plan import apply_glossary_changes, plan_locale
from locflow.pipeline.terms import SegmentTermFinder, compliance, project_glossary
from locflow.settings import EngineSettings
from tests.fakes.chat_server import ChatServer
from tests.fakes.qwen_sim import QwenSim
from tests.fakes.scripted_engine import ScriptedEngine
from tests.support.helpers import config_for, sync, translate


def _with_glossary(project, text: str | None = None) -> None:
    from pathlib import Path

    src = Path(__file__).resolve().parent.parent / "glossaries" / "examples" / "demo.csv"
    (project / "glossary.csv").write_text(text or src.read_text(encoding="utf-8"), encoding="utf-8")
    toml = project / "locflow.toml"
    if "[[glossaries]]" not in toml.read_text():
        toml.write_text(toml.read_text() + '\n[[glossaries]]\npath = "glossary.csv"\n')


def _plan(Session, config, locale):
    with Session() as s:
        return plan_locale(s, repo.find_project(s, config.project), locale)


def test_glossary_versions_are_stored_by_content_hash(demo_project, Session, db_url):
    _with_glossary(demo_project)
    config = config_for(demo_project, db_url)
    assert sync(Session, config).glossaries_changed == ["glossary"]
    assert sync(Session, config).glossaries_changed == []
    text = (demo_project / "glossary.csv").read_text()
    (demo_project / "glossary.csv").write_text(text.replace("paramètres", "réglages"))
    assert sync(Session, config).glossaries_changed == ["glossary"]
    with Session() as s:
        project = repo.find_project(s, config.project)
        history = glossary_repo.glossary_history(s, project.id, "glossary")
        assert len(history) == 2 and history[0].content_hash != history[1].content_hash
        glossary = project_glossary(s, project.id)
    settings = next(t for t in glossary.terms if t.source == "settings")
    assert settings.accepted("fr") == ("réglages",)


def test_terms_reach_the_engine_and_dnt_terms_are_masked(demo_project, Session, db_url):
    _with_glossary(demo_project)
    pot = demo_project / "locale" / "messages.pot"
    pot.write_text(pot.read_text() + '\nmsgid "Welcome to Quillnote settings"\nmsgstr ""\n')
    config = config_for(demo_project, db_url, LOCFLOW_LOCALES="fr")
    sync(Session, config)
    engine = ScriptedEngine({})
    translate(Session, config, engine)
    sent = {r.text: r for r in engine.seen}
    welcome = next(r for t, r in sent.items() if t.startswith("Welcome to"))
    assert "Quillnote" not in welcome.text and welcome.tokens  # protected as a token
    assert welcome.terms == (("settings", "paramètres"),)
    with Session() as s:
        row = s.scalar(select(SegmentRow).where(SegmentRow.msgid.startswith("Welcome")))
        (version,) = repo.versions(s, row.id, "fr")
    assert "Quillnote" in version.forms[0] and "paramètres" in version.forms[0]
    assert version.state == State.MACHINE and version.terms_hash


def test_qwen_mt_violation_is_retried_with_only_the_violated_terms(demo_project, Session, db_url):
    _with_glossary(demo_project)
    config = config_for(demo_project, db_url, LOCFLOW_LOCALES="de")
    sync(Session, config)
    with QwenSim(api_key="sk-glossary-test-000000") as sim:
        sim.script("ignore_terms")
        engine = QwenMTEngine(
            EngineSettings(
                name="qwen_mt", base_url=sim.base_url, rpm=6000, pack=False, concurrency=1
            ),
            env={"DASHSCOPE_API_KEY": sim.api_key},
        )
        stored, _ = translate(Session, config, engine)
        bodies = list(sim.bodies)
    assert stored.retried == 1  # the first answer ignored its terms; asked again once
    first, retry = (
        bodies[0],
        next(
            b
            for b in bodies[1:]
            if b["messages"][0]["content"] == bodies[0]["messages"][0]["content"]
        ),
    )
    sent_terms = first["translation_options"].get("terms", [])
    retry_terms = retry["translation_options"]["terms"]
    assert sent_terms and {t["source"] for t in retry_terms} <= {t["source"] for t in sent_terms}
    with Session() as s:
        clean = s.scalars(select(Translation).where(Translation.locale == "de")).all()
        assert all(v.state == State.MACHINE for v in clean)  # the retry complied
        assert compliance(s, repo.find_project(s, config.project), "de").percent == 100.0


def test_openai_compat_violation_is_stated_in_the_prompt_then_flagged(
    demo_project, Session, db_url
):
    _with_glossary(demo_project)
    config = config_for(demo_project, db_url, LOCFLOW_LOCALES="fr")
    sync(Session, config)
    with ChatServer() as server:  # it ignores glossaries: every term is violated
        engine = OpenAICompatEngine(
            EngineSettings(name="openai_compat", base_url=server.url + "/v1", pack=False)
        )
        translate(Session, config, engine)
        prompts = [json.dumps(b) for b in server.bodies()]
    assert any("Required terminology" in p and "carnet" in p for p in prompts)
    with Session() as s:
        row = s.scalar(select(SegmentRow).where(SegmentRow.msgid.startswith("%(name)s shared")))
        (version,) = repo.versions(s, row.id, "fr")
    assert version.state == State.NEEDS_REVIEW
    reasons = [i["message"] for i in version.issues if i["check"] == "glossary"]
    assert reasons and "carnet" in reasons[0]


def test_a_glossary_edit_replans_only_segments_with_the_changed_term(demo_project, Session, db_url):
    _with_glossary(demo_project)
    pot = demo_project / "locale" / "messages.pot"
    pot.write_text(
        pot.read_text() + '\nmsgid "Open the settings to free some storage"\nmsgstr ""\n'
    )
    config = config_for(demo_project, db_url)
    sync(Session, config)
    translate(Session, config)
    # a reviewer approved one string that contains "settings"; a human edited another
    with Session() as s, s.begin():
        row = s.scalar(select(SegmentRow).where(SegmentRow.msgid == "Settings"))
        (v,) = repo.versions(s, row.id, "fr")
        repo.transition(s, v, State.APPROVED, actor="alice")
    assert all(_plan(Session, config, loc).queued_items == 0 for loc in config.locales)
    text = (demo_project / "glossary.csv").read_text()
    (demo_project / "glossary.csv").write_text(text.replace("paramètres", "réglages"))
    sync(Session, config)
    with Session() as s:
        project = repo.find_project(s, config.project)
        finder = SegmentTermFinder(project_glossary(s, project.id), "en")
        containing = [
            r
            for r in s.scalars(select(SegmentRow))
            if any(
                e.source == "settings"
                for e in finder.for_segment(segment_repo.row_to_segment(r), "fr").expectations
            )
        ]
    plan = _plan(Session, config, "fr")
    assert len(containing) >= 2
    # the approved one is flagged, never replaced; every other one is re-planned
    assert plan.queued_items == len(containing) - 1
    assert len(plan.flagged_by_glossary) == 1 and "réglages" in plan.flagged_by_glossary[0][1]
    assert all(_plan(Session, config, loc).queued_items == 0 for loc in ("ru", "ar", "de"))
    with Session() as s, s.begin():
        apply_glossary_changes(s, plan)
    with Session() as s:
        row = s.scalar(select(SegmentRow).where(SegmentRow.msgid == "Settings"))
        (approved,) = repo.versions(s, row.id, "fr")
        assert approved.state == State.NEEDS_REVIEW  # flagged for a reviewer, text untouched
    stored, _ = translate(Session, config)
    assert stored.machine + stored.needs_review == len(containing) - 1
    # a reviewer re-approves the flagged text on purpose: the flag does not come back
    with Session() as s, s.begin():
        row = s.scalar(select(SegmentRow).where(SegmentRow.msgid == "Settings"))
        (flagged,) = repo.versions(s, row.id, "fr")
        repo.transition(s, flagged, State.APPROVED, actor="alice", comment="house style")
    assert _plan(Session, config, "fr").flagged_by_glossary == []


@pytest.mark.parametrize("bad", ["source,fr\n,carnet\n", "source,xx_QQ\nnote,x\n"])
def test_a_bad_glossary_is_one_line_and_nothing_is_stored(demo_project, Session, db_url, bad):
    from locflow.glossaries import GlossaryError

    _with_glossary(demo_project, bad)
    config = config_for(demo_project, db_url)
    with pytest.raises(GlossaryError) as err:
        sync(Session, config)
    assert "glossary.csv:" in str(err.value) and "\n" not in str(err.value)
    with Session() as s:
        assert s.scalars(select(SegmentRow)).first() is None


def test_check_reports_approved_translations_breaking_the_glossary(demo_project, Session, db_url):
    _with_glossary(demo_project)
    config = config_for(demo_project, db_url, LOCFLOW_LOCALES="fr")
    sync(Session, config)
    with Session() as s, s.begin():
        row = s.scalar(select(SegmentRow).where(SegmentRow.msgid == "Settings"))
        repo.add_version(
            s,
            repo.NewVersion(
                segment_id=row.id,
                locale="fr",
                forms=("Réglages",),
                state=State.APPROVED,
                origin="human",
                source_hash=row.source_hash,
            ),
        )
    with Session() as s:
        result = compliance(s, repo.find_project(s, config.project), "fr")
    assert result.checked == 1 and result.compliant == 0
    assert "paramètres" in result.violations[0].reasons[0]
    asyncio.run(asyncio.sleep(0))


@pytest.mark.slow
def test_glossary_cli_import_list_export_check(demo_project, tmp_path):
    from tests.support.env import run_cli

    env = {"LOCFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}"}
    tbx = demo_project.parent / "demo.tbx"
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    tbx.write_bytes((root / "glossaries" / "examples" / "demo.tbx").read_bytes())
    done = run_cli("glossary", "import", str(tbx), "--json", cwd=demo_project, env=env)
    assert done.returncode == 0, done.stderr
    imported = json.loads(done.stdout)
    assert imported["new_version"] and imported["terms"] == 12
    again = json.loads(
        run_cli("glossary", "import", str(tbx), "--json", cwd=demo_project, env=env).stdout
    )
    assert not again["new_version"]
    listed = json.loads(run_cli("glossary", "list", "--json", cwd=demo_project, env=env).stdout)
    assert [(g["name"], g["terms"], g["versions"]) for g in listed] == [("demo", 12, 1)]
    out = tmp_path / "export.csv"
    assert (
        run_cli("glossary", "export", "demo", "-o", str(out), cwd=demo_project, env=env).returncode
        == 0
    )
    back = json.loads(
        run_cli(
            "glossary", "import", str(out), "--name", "demo", "--json", cwd=demo_project, env=env
        ).stdout
    )
    assert back["content_hash"] == imported["content_hash"]  # CSV export loses nothing
    check = run_cli("glossary", "check", cwd=demo_project, env=env)
    assert check.returncode == 0, check.stdout + check.stderr
    bad = run_cli(
        "glossary", "import", str(demo_project / "locflow.toml"), cwd=demo_project, env=env
    )
    assert bad.returncode == 1 and "unknown glossary format" in bad.stderr
