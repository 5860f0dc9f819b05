"""Markdown docs through the pipeline on SQLite and PostgreSQL: sync -> plan -> translate
(pseudo) -> export, with the plain step functions; the `translate_docs` flow once."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from locflow.connectors.engines.base import (
    Engine,
    EngineStats,
    Limits,
    ProbeResult,
    Request,
    Result,
)
from locflow.connectors.engines.pseudo import PseudoEngine
from locflow.connectors.markdown import parse_markdown, verify_structure
from locflow.connectors.markdown_tokens import parse_tokens
from locflow.db import repo, segment_repo
from locflow.db.states import State
from locflow.flows import docs as docs_flow
from locflow.pipeline.docs import discover_docs, plan_docs, sync_docs
from locflow.pipeline.docs_export import DocResult, export_docs
from locflow.pipeline.translate import (
    StoreCounts,
    jobs_of,
    store_outcomes,
    store_reused,
    translate_jobs,
)
from locflow.settings import Config, ConfigError, config_from_mapping, load_config
from locflow.settings_types import base_folder, glob_regex

INDEX = """\
---
title: Getting started with Notes
description: Install Notes and write your first note.
layout: page
---

# Getting started

Notes keeps your ideas in one place. Read the [user guide](guide.md) for details.

## Install

Run the installer, then start the app:

```sh
notes --init ~/notes
```

| Shortcut | Action |
|----------|--------|
| `Ctrl+S` | Save the current note |
"""
GUIDE = """\
# User guide

Write a note with `notes new`, then tag it:

    notes tag work

See [![CI](https://ci.example/b.svg)](https://ci.example/job) for the build.
"""
CONFIG = """\
[project]
name = "docs-test"
source_locale = "en"
locales = ["fr", "de"]

[[docs]]
include = ["docs/**/*.md"]
exclude = ["docs/drafts/**"]
output = "docs/i18n/{locale}/{path}"
front_matter = ["title", "description"]

[engine]
name = "pseudo"
"""


@dataclass
class Counting:
    """The pseudo engine, counting what it is sent; `drop` removes the tokens of requests
    containing it (a link's brackets vanish)."""

    drop: str = ""
    name: str = "pseudo"
    model: str = "pseudo"
    sent: list[str] = field(default_factory=list)
    inner: PseudoEngine = field(default_factory=PseudoEngine)

    def limits(self) -> Limits:
        return self.inner.limits()

    async def probe(self) -> ProbeResult:
        return await self.inner.probe()

    def stats(self) -> EngineStats | None:
        return self.inner.stats()

    async def translate(self, batch: Sequence[Request]) -> list[Result]:
        self.sent.extend(r.text for r in batch)
        results = await self.inner.translate(batch)
        if not self.drop:
            return results
        return [
            Result(key=r.key, text=re.sub(r"\[X\d+X\]", "", r.text or ""), model="pseudo")
            if self.drop in q.text
            else r
            for q, r in zip(batch, results, strict=True)
        ]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    (root / "docs" / "drafts").mkdir(parents=True)
    (root / "docs" / "index.md").write_text(INDEX, encoding="utf-8")
    (root / "docs" / "guide.md").write_text(GUIDE, encoding="utf-8")
    (root / "docs" / "drafts" / "wip.md").write_text("# Not yet\n", encoding="utf-8")
    (root / "locflow.toml").write_text(CONFIG, encoding="utf-8")
    return root


def config_of(root: Path, db_url: str, **env: str) -> Config:
    return load_config(root / "locflow.toml", env={"LOCFLOW_DATABASE_URL": db_url, **env})


def run(Session, config: Config, engine: Counting, names: list[str] | None = None) -> StoreCounts:
    """sync -> plan (docs only) -> translate -> store, every locale."""
    total = StoreCounts()
    with Session() as s, s.begin():
        report = sync_docs(s, config)
        assert report.problems == []
    for locale in config.locales:
        with Session() as s, s.begin():
            project = repo.get_or_create_project(s, config.project, config.source_locale)
            plan = plan_docs(s, project, locale, names)
        outcomes = asyncio.run(translate_jobs(engine, jobs_of(plan), config.source_locale))
        with Session() as s, s.begin():
            total.add(store_reused(s, plan.reused, run_id=None))
            total.add(
                store_outcomes(
                    s, outcomes, source_locale="en", engine_name=engine.name, run_id=None
                )
            )
    return total


def export(Session, config: Config) -> list[DocResult]:
    with Session() as s, s.begin():
        return export_docs(s, config)


def code_blocks(text: str) -> list[str]:
    parsed = parse_tokens(text, "x.md")
    kinds = ("fence", "code_block")
    return [parsed.raw(*t.map) for t in parsed.tokens if t.type in kinds and t.map]


# --- configuration and discovery (no database) ------------------------------------------


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"include": ["a/*.md"], "output": "x/{path}"}, "{locale}"),
        ({"include": ["a/*.md"], "output": "x/{locale}"}, "{path}"),
        ({"include": [], "output": "x/{locale}/{path}"}, "at least one glob"),
        ({"include": ["a/*.md"], "output": "x/{locale}/{path}", "outptu": 1}, "unknown key"),
        ({"include": ["a/*.md"], "output": "{locale}/{path}/{name}"}, "only {locale}"),
        ({"include": [3], "output": "{locale}/{path}"}, "list of strings"),
    ],
)
def test_bad_docs_tables_are_one_line_errors(tmp_path: Path, table: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        config_from_mapping({"docs": [table]}, root=tmp_path, env={})


@pytest.mark.parametrize(
    ("pattern", "base", "yes", "no"),
    [
        ("docs/**/*.md", "docs", ["docs/a.md", "docs/x/y/a.md"], ["a.md", "docs/a.txt"]),
        ("docs/*.md", "docs", ["docs/a.md"], ["docs/x/a.md"]),
        ("content/[a-c]?.md", "content", ["content/b1.md"], ["content/d1.md"]),
        ("README.md", "", ["README.md"], ["docs/README.md"]),
        ("./docs/**", "docs", ["docs/a/b.md"], ["other/a.md"]),
    ],
)
def test_globs_and_their_base_folder(pattern: str, base: str, yes: list, no: list) -> None:
    assert base_folder(pattern) == base
    assert all(glob_regex(pattern).fullmatch(n) for n in yes)
    assert not any(glob_regex(pattern).fullmatch(n) for n in no)


def test_discovery_skips_excluded_docs_and_outputs(project: Path) -> None:
    config = config_of(project, "sqlite://")
    out = project / "docs" / "i18n" / "fr"
    out.mkdir(parents=True)
    (out / "index.md").write_text("# déjà traduit\n", encoding="utf-8")
    docs = discover_docs(config)
    assert [d.name for d in docs] == ["docs/guide.md", "docs/index.md"]
    assert docs[1].output("fr") == "docs/i18n/fr/index.md"


# --- the pipeline on both databases -------------------------------------------------------


def test_docs_round_trip_then_nothing_to_do(Session, db_url: str, project: Path) -> None:
    config = config_of(project, db_url)
    engine = Counting()
    assert isinstance(engine, Engine)
    counts = run(Session, config, engine)
    assert (counts.machine, counts.needs_review) == (2 * 12, 0)
    assert len(engine.sent) == 2 * 12
    assert not any("guide.md" in t or "ci.example" in t for t in engine.sent)  # targets masked
    results = export(Session, config)
    assert {(r.doc, r.locale) for r in results} == {
        (d, loc) for d in ("docs/index.md", "docs/guide.md") for loc in ("fr", "de")
    }
    for r in results:
        assert r.written and not r.problems and r.source_text == 0, r
        source_text = (project / r.doc).read_text(encoding="utf-8")
        out = (project / r.path).read_text(encoding="utf-8")
        assert out != source_text
        assert verify_structure(parse_markdown(source_text, r.doc), out) == []
        assert code_blocks(out) == code_blocks(source_text)  # byte-identical code
    fr = (project / "docs/i18n/fr/index.md").read_text(encoding="utf-8")
    front = fr.split("---")[1]
    assert re.findall(r"^(\w+):", front, re.M) == ["title", "description", "layout"]
    assert "layout: page" in front and "Ĝéţţíñĝ" in front  # translated keys only
    assert "](guide.md)" in fr and "`Ctrl+S`" in fr

    stamp = {r.path: os.stat(project / r.path).st_mtime_ns for r in results}
    again = Counting()
    assert run(Session, config, again) == StoreCounts()
    assert again.sent == []
    second = export(Session, config)
    assert not any(r.written or r.changed for r in second)
    assert stamp == {r.path: os.stat(project / r.path).st_mtime_ns for r in second}


def test_editing_one_paragraph_retranslates_only_that_block(
    Session, db_url: str, project: Path
) -> None:
    config = config_of(project, db_url)
    run(Session, config, Counting())
    export(Session, config)
    path = project / "docs" / "index.md"
    path.write_text(
        INDEX.replace("then start the app:", "and then start the app:"), encoding="utf-8"
    )
    engine = Counting()
    run(Session, config, engine)
    assert engine.sent == [engine.sent[0]] * 2  # the one block, once per locale
    assert "and then start the app" in engine.sent[0].replace("[X0X]", "")
    with Session() as s:
        project_row = repo.find_project(s, config.project)
        assert project_row is not None
        source = next(x for x in repo.sources_of(s, project_row) if x.name == "docs/index.md")
        rows = segment_repo.segment_rows(s, source.id)
        assert sum(r.obsolete for r in rows) == 1
        new = next(r for r in rows if "and then" in r.msgid)
        assert new.previous_segment_id is not None  # linked to the reworded paragraph
        states = [v.state for v in repo.versions(s, new.id, "fr")]
        assert states == [State.STALE, State.MACHINE]  # the old text offered, then MT
    results = {(r.doc, r.locale): r for r in export(Session, config)}
    assert results[("docs/index.md", "fr")].written
    assert not results[("docs/guide.md", "fr")].written


@pytest.mark.parametrize(
    ("stored_as", "linked"),
    [
        ({}, True),
        ({"msgctxt": "legacy"}, False),
        ({"msgid_plural": "Run the installers, then start the app:"}, False),
    ],
    ids=["same-context", "other-msgctxt", "plural"],
)
def test_a_reworded_block_is_linked_only_to_a_predecessor_of_its_context_and_plurality(
    Session, db_url: str, project: Path, stored_as: dict[str, str], linked: bool
) -> None:
    """Docs and .po entries share one reconciler: a predecessor must have the same msgctxt
    and plural-ness as the new block (before, docs matched on the text alone)."""
    config = config_of(project, db_url)
    run(Session, config, Counting())
    with Session() as s, s.begin():
        project_row = repo.find_project(s, config.project)
        assert project_row is not None
        source = next(x for x in repo.sources_of(s, project_row) if x.name == "docs/index.md")
        old = next(r for r in segment_repo.segment_rows(s, source.id) if "installer" in r.msgid)
        for name, value in stored_as.items():  # a block stored with another identity
            setattr(old, name, value)
        old_id = old.id
    path = project / "docs" / "index.md"
    path.write_text(
        INDEX.replace("then start the app:", "and then start the app:"), encoding="utf-8"
    )
    with Session() as s, s.begin():
        report = sync_docs(s, config)
    assert (report.new, report.obsolete, report.linked) == (1, 1, int(linked))
    with Session() as s:
        new = next(r for r in segment_repo.segment_rows(s, source.id) if "and then" in r.msgid)
        assert new.previous_segment_id == (old_id if linked else None)
        offered = [v.state for v in repo.versions(s, new.id, "fr")]
        assert offered == ([State.STALE] if linked else [])


def test_a_block_that_breaks_structure_goes_out_in_the_source_language(
    Session, db_url: str, project: Path
) -> None:
    """The engine drops the link of one block: that block is left in English, reported on
    its source line, and the page is written with every other block translated."""
    config = config_of(project, db_url)
    run(Session, config, Counting(drop="user guide"))  # the link's tokens vanish
    results = {(r.doc, r.locale): r for r in export(Session, config)}
    page = results[("docs/index.md", "fr")]
    assert page.written and not page.failed
    assert page.demoted == (
        "docs/index.md:9: link target 'guide.md' missing (1x): block left in the source language",
    )
    written = (project / page.path).read_text(encoding="utf-8")
    assert "Notes keeps your ideas in one place. Read the [user guide](guide.md)" in written
    assert "Install" not in written.split("---")[-1]  # the other blocks are translated
    assert page.source_text == 1 and page.localised == page.blocks - 1
    assert results[("docs/guide.md", "fr")].written


def test_omit_policy_keeps_source_text_and_approved_text_goes_out(
    Session, db_url: str, project: Path
) -> None:
    (project / "locflow.toml").write_text(CONFIG + '\n[export]\nmachine = "omit"\n', "utf-8")
    config = config_of(project, db_url)
    run(Session, config, Counting())
    results = {(r.doc, r.locale): r for r in export(Session, config)}
    assert (project / "docs/i18n/fr/guide.md").read_text(encoding="utf-8") == GUIDE
    assert results[("docs/guide.md", "fr")].localised == 0
    with Session() as s, s.begin():
        project_row = repo.find_project(s, config.project)
        assert project_row is not None
        source = next(x for x in repo.sources_of(s, project_row) if x.name == "docs/guide.md")
        row = next(r for r in segment_repo.segment_rows(s, source.id) if r.msgid == "User guide")
        (version,) = repo.versions(s, row.id, "fr")
        repo.transition(s, version, State.APPROVED, actor="reviewer")
    again = {(r.doc, r.locale): r for r in export(Session, config)}
    out = (project / "docs/i18n/fr/guide.md").read_text(encoding="utf-8")
    assert out.startswith("# ⟦Ûšéŕ ĝûíðé") and again[("docs/guide.md", "fr")].approved == 1


def test_removed_doc_goes_obsolete_and_is_no_longer_exported(
    Session, db_url: str, project: Path
) -> None:
    config = config_of(project, db_url)
    run(Session, config, Counting())
    (project / "docs" / "guide.md").unlink()
    with Session() as s, s.begin():
        report = sync_docs(s, config)
    assert report.removed == 1 and report.obsolete == 3
    assert {r.doc for r in export(Session, config)} == {"docs/index.md"}
    (project / "docs" / "guide.md").write_text(GUIDE, encoding="utf-8")
    engine = Counting()
    run(Session, config, engine)
    assert engine.sent == []  # back again: its blocks revive with their versions


def test_plan_is_narrowed_to_the_named_docs(Session, db_url: str, project: Path) -> None:
    config = config_of(project, db_url)
    engine = Counting()
    run(Session, config, engine, names=["docs/guide.md"])
    assert len(engine.sent) == 2 * 3
    results = {(r.doc, r.locale): r for r in export(Session, config)}
    assert results[("docs/index.md", "fr")].source_text == 9


# --- the Prefect flow ----------------------------------------------------------------------


@pytest.mark.usefixtures("prefect_api")
def test_translate_docs_flow_reports_engine_refusals(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:

    monkeypatch.setenv("LOCFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'flow.db'}")
    refusing = PseudoEngine(reject_marker="tag it")
    monkeypatch.setattr(docs_flow, "create_engine", lambda settings: refusing)
    run = docs_flow.translate_docs(str(project / "locflow.toml"), ["fr"])
    assert run.failures() == ["fr: the engine refused 1 block(s)"]
    result = run.to_dict()
    assert result["status"] == "partial"
    assert result["gaps"] == ["fr: the engine refused 1 block (in needs review, with why)"]
    assert result["locales"]["fr"]["engine_errors"] == 1
    assert result["failed"] == ["fr: the engine refused 1 block(s)"]
    guide = next(d for d in result["docs"] if d["doc"] == "docs/guide.md")
    assert (guide["translated"], guide["engine_errors"], guide["source_text"]) == (2, 1, 1)
    assert guide["written"] and not guide["problems"]


def test_an_unreadable_doc_is_reported_and_the_rest_synced(
    Session, db_url: str, project: Path
) -> None:
    (project / "docs" / "bad.md").write_bytes(b"# Caf\xe9\n")
    config = config_of(project, db_url)
    with Session() as s, s.begin():
        report = sync_docs(s, config)
    assert len(report.problems) == 1 and report.problems[0].startswith("docs/bad.md:1:")
    assert report.new == 12
    assert {r.doc for r in export(Session, config)} == {"docs/guide.md", "docs/index.md"}
