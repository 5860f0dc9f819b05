"""No paying twice for the new block splitting: a site translated with the old (CommonMark)
splitting keeps every translation whose block source is unchanged once the mkdocs dialect
splits its pages anew; only blocks that did not exist before (an admonition's title and its
body, a tab's label) go to the engine. The simulated provider counts what is sent."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from locflow.db.models import SegmentRow, Translation
from locflow.settings import load_config
from tests.fakes.qwen_sim import QwenSim
from tests.support.docs_run import docs_run, sync

KEY = "sk-docs-upgrade-0123456789"

PAGE = """\
# Guide

A first paragraph that the
source wraps over two lines.

!!! note "Remember"
    Admonition content that must
    stay indented.

=== "Tab 1"
    Content in tab 1.

A last paragraph.
"""
MKDOCS_YML = "site_name: Demo\nmarkdown_extensions:\n  - admonition\n  - pymdownx.tabbed\n"
CONFIG = """\
[project]
name = "docs-upgrade"
locales = ["fr"]

[[docs]]
include = ["docs/**/*.md"]
output = "build/{locale}/{path}"
DIALECT

[engine]
name = "qwen_mt"
base_url = "BASE"
rpm = 60000
pack = false
"""
UNCHANGED = {
    "Guide",
    "A first paragraph that the source wraps over two lines.",
    "A last paragraph.",
}
NEW = {"Remember", "Admonition content that must stay indented.", "Tab 1", "Content in tab 1."}


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)


def versions(Session) -> dict[str, list[int]]:
    with Session() as s:
        rows = s.execute(
            select(SegmentRow.msgid, Translation.id).join(
                Translation, Translation.segment_id == SegmentRow.id
            )
        )
        out: dict[str, list[int]] = {}
        for msgid, version in rows:
            out.setdefault(msgid, []).append(version)
        return out


def test_upgrading_to_the_mkdocs_dialect_sends_only_the_new_blocks(Session, db_url, tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "guide.md").write_text(PAGE, encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text(MKDOCS_YML, encoding="utf-8")
    env = {"LOCFLOW_DATABASE_URL": db_url}
    with QwenSim(api_key=KEY) as sim:
        toml = CONFIG.replace("BASE", sim.base_url)
        (tmp_path / "locflow.toml").write_text(toml.replace("DIALECT", 'dialect = "commonmark"'))
        old = load_config(tmp_path / "locflow.toml", env=env)
        sync(Session, old)
        first = docs_run(old, ["fr"])
        before = versions(Session)
        sent_before = sim.counters.attempts
        # the upgrade: no explicit dialect, so mkdocs.yml's extensions choose "mkdocs"
        (tmp_path / "locflow.toml").write_text(toml.replace("DIALECT", ""))
        new = load_config(tmp_path / "locflow.toml", env=env)
        sync(Session, new)
        second = docs_run(new, ["fr"])
        sent_after = sim.counters.attempts - sent_before

    assert first.status == "completed" and second.status == "completed"
    assert set(before) >= UNCHANGED  # the old splitting had them too
    after = versions(Session)
    for msgid in UNCHANGED:
        assert after[msgid] == before[msgid], f"{msgid!r} was translated again"
    assert set(after) >= NEW and not NEW & set(before)
    assert second.totals()["blocks_translated"] == len(NEW)
    assert sent_after == len(NEW)  # one request a block (pack = false): nothing else was paid
    out = (tmp_path / "build" / "fr" / "guide.md").read_text(encoding="utf-8")
    assert '\n!!! note "' in out and '\n=== "' in out  # the keywords are not translated
