"""bench/scale_bench.py runs: tiny sizes, every part but Prefect's start-up, in-process."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import scale_bench as sb


def test_generated_project_syncs_plans_and_exports(tmp_path: Path) -> None:
    root = tmp_path / "scale"
    n = sb.generate_project(root, templates=2, entries=40, locales=("fr", "ru"))
    assert n == 80
    assert len(list((root / "templates").glob("*.pot"))) == 2
    assert len(list((root / "locale").rglob("*.po"))) == 4
    result = sb.scale_part(root, segments=n)
    names = [p["name"] for p in result["phases"]]
    assert names == ["sync", "plan (without memory examples)", "export"]
    assert result["memory_examples"]["sampled"] > 0
    assert all(p["seconds"] > 0 and p["items"] > 0 for p in result["phases"])
    assert 0 < result["imported"] < 2 * n  # about 60 % of each catalogue is translated
    assert 0 < result["queued_by_plan"] < 2 * n
    assert result["peak_rss_mb"] >= result["rss_after_imports_mb"] > 0
    full = sb.scale_part(root, segments=n, full_plan=True)
    assert [p["name"] for p in full["phases"]][1] == "plan"
    assert full["queued_by_plan"] == result["queued_by_plan"]


def test_noop_rerun_over_real_catalogues_touches_nothing(tmp_path: Path) -> None:
    result = sb.noop_part(tmp_path / "corpus", limit=2)
    assert result["catalogues"] >= 2 and result["entries"] > 0
    assert result["sync_unchanged"] == result["catalogues"]
    assert result["queued_by_plan"] == 0 and result["files_changed"] == 0
    assert result["files_untouched"]
    if result["msgcat_seconds"] is not None:
        assert result["ratio"] == pytest.approx(
            result["locflow_seconds"] / result["msgcat_seconds"], rel=0.05
        )


def test_main_prints_a_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--templates", "1", "--entries", "20", "--corpus-limit", "1", "--no-prefect"]
    assert sb.main([*args, "--no-isolate", "--workdir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "== 20 segments, 2 locales (SQLite) ==" in out
    assert "no-op re-run: " in out and "Prefect start-up: skipped" in out
    assert "peak RSS" in out
