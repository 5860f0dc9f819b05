"""A docs run's summary counts blocks apart from HTTP requests and tokens, each from where it
is true: blocks from what was stored, requests and tokens from the usage ledger (one query,
`run_repo.usage_totals`). Qwen-MT packs several blocks into one request, so the two differ;
the simulated provider is the oracle for requests and tokens."""

from __future__ import annotations

from pathlib import Path

import pytest

from locflow.pipeline.results import docs_spend_line
from locflow.settings import load_config
from tests.fakes.qwen_sim import QwenSim
from tests.support.docs_run import docs_run, sync

KEY = "sk-docs-summary-0123456789"
PAGE = """\
# Alpha

First paragraph of alpha.

Second paragraph of alpha.

- one item
- another item
"""
CONFIG = """\
[project]
name = "docs-summary"
locales = ["fr", "de"]

[[docs]]
include = ["docs/**/*.md"]
output = "build/{locale}/{path}"

[engine]
name = "qwen_mt"
base_url = "BASE"
rpm = 60000
"""


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)


def test_blocks_requests_and_tokens_are_counted_apart(Session, db_url: str, tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text(PAGE, encoding="utf-8")
    (tmp_path / "docs" / "b.md").write_text(PAGE.replace("alpha", "beta"), encoding="utf-8")
    with QwenSim(api_key=KEY) as sim:
        (tmp_path / "locflow.toml").write_text(CONFIG.replace("BASE", sim.base_url))
        config = load_config(tmp_path / "locflow.toml", env={"LOCFLOW_DATABASE_URL": db_url})
        sync(Session, config)
        first = docs_run(config, ["fr", "de"])
        c = sim.counters
        requests, tokens = c.attempts, c.billed_prompt_tokens + c.billed_completion_tokens

    totals = first.totals()
    # 5 blocks a doc; the heading and both items are the same in both: sent once each
    assert totals["blocks_translated"] == 2 * 10
    assert totals["texts_sent"] == 2 * 7
    assert totals["requests"] == requests < totals["texts_sent"]  # packed
    assert totals["paid_requests"] == c.ok
    assert totals["tokens_in"] + totals["tokens_out"] == tokens > 0
    assert totals["blocks_from_memory"] == 0 and first.status == "completed"
    assert sum(d.translated for d in first.docs) == totals["blocks_translated"]
    line = docs_spend_line(first.to_dict()["totals"])
    start = f"20 blocks translated by the engine, 0 from memory; {requests} requests"
    assert line.startswith(start)
    assert f"{tokens:,} tokens" in line
    counts = first.recorded_counts()
    assert (counts["blocks"], counts["requests"]) == (20, requests)

    # nothing new: no block, no request, no token
    with QwenSim(api_key=KEY) as idle:
        (tmp_path / "locflow.toml").write_text(CONFIG.replace("BASE", idle.base_url))
        config = load_config(tmp_path / "locflow.toml", env={"LOCFLOW_DATABASE_URL": db_url})
        second = docs_run(config, ["fr"])
        assert idle.counters.attempts == 0
    again = second.totals()
    assert (again["blocks_translated"], again["requests"], again["tokens_in"]) == (0, 0, 0)
