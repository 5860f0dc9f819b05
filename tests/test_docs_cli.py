"""`locflow docs` as CI runs it: a real git repository, the console script in a subprocess,
the session's Prefect server."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from locflow.db import repo, segment_repo
from locflow.db.session import open_database
from locflow.db.states import State
from locflow.settings import load_config
from tests.support.env import run_cli

pytestmark = pytest.mark.usefixtures("prefect_api")

CONFIG = """\
[project]
name = "ci-docs"
source_locale = "en"
locales = ["fr", "de"]

[[docs]]
include = ["docs/**/*.md"]
output = "build/docs/{locale}/{path}"

[engine]
name = "pseudo"
"""
A = """\
# Alpha

First paragraph of alpha, with a [link](b.md).

Second paragraph of alpha.
"""
B = """\
# Beta

Only paragraph of beta: run `beta --go`.
"""


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo_root(tmp_path: Path, prefect_api: str) -> Path:
    root = tmp_path / "repo"
    (root / "docs").mkdir(parents=True)
    (root / "locflow.toml").write_text(CONFIG, encoding="utf-8")
    (root / "docs" / "a.md").write_text(A, encoding="utf-8")
    (root / "docs" / "b.md").write_text(B, encoding="utf-8")
    (root / ".gitignore").write_text(".locflow/\nbuild/\n", encoding="utf-8")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "docs")
    return root


def docs(root: Path, *args: str, prefect: str) -> subprocess.CompletedProcess[str]:
    return run_cli("docs", *args, cwd=root, env={"PREFECT_API_URL": prefect})


def edit_and_commit(root: Path, name: str, old: str, new: str) -> None:
    path = root / "docs" / name
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    git(root, "commit", "-qam", f"edit {name}")


@pytest.mark.slow
def test_changed_since_sends_only_the_changed_blocks(repo_root: Path, prefect_api: str) -> None:
    # nothing changed since HEAD: docs are synced and written, nothing is sent
    first = docs(repo_root, "--changed-since", "HEAD", "-l", "fr", "--json", prefect=prefect_api)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["locales"] == {}

    edit_and_commit(repo_root, "a.md", "Second paragraph", "The second paragraph")
    second = docs(repo_root, "--changed-since", "HEAD~1", "-l", "fr", "--json", prefect=prefect_api)
    assert second.returncode == 0, second.stderr
    result = json.loads(second.stdout)
    assert result["selected"] == ["docs/a.md"]
    assert result["locales"]["fr"]["requests"] == 3  # all of alpha, none of beta
    rows = {d["doc"]: d for d in result["docs"]}
    assert (rows["docs/a.md"]["translated"], rows["docs/a.md"]["source_text"]) == (3, 0)
    assert (rows["docs/b.md"]["translated"], rows["docs/b.md"]["source_text"]) == (0, 2)

    edit_and_commit(repo_root, "a.md", "First paragraph", "The first paragraph")
    third = docs(repo_root, "--changed-since", "HEAD~1", "-l", "fr", prefect=prefect_api)
    assert third.returncode == 0, third.stderr
    assert "docs/a.md [fr]: 3 blocks, 1 translated, 2 reused, 0 untranslated" in third.stdout
    assert (
        "1 of 2 documents written; 1 blocks translated by the engine, 0 from memory; "
        "1 requests (1 paid), "
    ) in third.stdout
    out = (repo_root / "build/docs/fr/a.md").read_text(encoding="utf-8")
    assert "Ţĥé ƒíŕšţ þáŕáĝŕáþĥ" in out and "](b.md)" in out


def test_json_shape_and_dry_run(repo_root: Path, prefect_api: str) -> None:
    dry = docs(repo_root, "--dry-run", "--json", prefect=prefect_api)
    assert dry.returncode == 0, dry.stderr
    planned = json.loads(dry.stdout)
    assert planned["dry_run"] is True and planned["failed"] == []
    assert {(d["doc"], d["locale"], d["to_translate"]) for d in planned["docs"]} == {
        ("docs/a.md", "fr", 3),
        ("docs/a.md", "de", 3),
        ("docs/b.md", "fr", 2),
        ("docs/b.md", "de", 2),
    }
    assert not (repo_root / "build").exists()

    done = docs(repo_root, "--json", prefect=prefect_api)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result) >= {
        "run_id",
        "flow_run_id",
        "status",
        "changed_since",
        "selected",
        "sync",
        "locales",
        "docs",
        "failed",
    }
    assert result["status"] == "completed" and result["failed"] == []
    assert set(result["locales"]) == {"fr", "de"}
    assert set(result["locales"]["fr"]) >= {"queued", "requests", "machine", "engine_errors"}
    doc = result["docs"][0]
    assert set(doc) >= {
        "doc",
        "locale",
        "path",
        "blocks",
        "translated",
        "reused",
        "source_text",
        "written",
        "problems",
        "failed",
    }
    assert all(d["written"] for d in result["docs"])


@pytest.mark.slow
def test_a_block_that_breaks_structure_exits_5_and_goes_out_in_english(
    repo_root: Path, prefect_api: str
) -> None:
    first = docs(repo_root, "-l", "fr", prefect=prefect_api)
    assert first.returncode == 0, first.stderr
    output = repo_root / "build/docs/fr/a.md"
    before = output.read_bytes()
    # a reviewer's approved edit loses the link: it stays in the database, and the page
    # goes out with that block in the source language
    config = load_config(repo_root / "locflow.toml")
    Session = open_database(config.database_url)
    with Session() as s, s.begin():
        project = repo.find_project(s, config.project)
        assert project is not None
        source = next(x for x in repo.sources_of(s, project) if x.name == "docs/a.md")
        row = next(r for r in segment_repo.segment_rows(s, source.id) if "[link]" in r.msgid)
        repo.add_version(
            s,
            repo.NewVersion(
                segment_id=row.id,
                locale="fr",
                forms=("Premier paragraphe, avec un lien.",),
                state=State.APPROVED,
                origin="human",
                source_hash=row.source_hash,
                author="reviewer",
            ),
        )
    Session.kw["bind"].dispose()
    failed = docs(repo_root, "-l", "fr", "--json", prefect=prefect_api)
    assert failed.returncode == 5  # finished, but a block could not go out as stored
    line = "docs/a.md:3: link target 'b.md' missing (1x): block left in the source language"
    assert f"locflow: partial: {line} [fr]\n" in failed.stderr
    result = json.loads(failed.stdout)
    row = next(d for d in result["docs"] if d["doc"] == "docs/a.md")
    assert row["written"] and not row["failed"] and row["demoted"] == [line]
    assert result["failed"] == [f"{line} [fr]"]
    after = output.read_text(encoding="utf-8")
    assert after != before.decode() and "Premier paragraphe" not in after
    assert "[link](b.md)" in after  # the source's own block, link and all


def test_unknown_git_ref_is_a_one_line_error(repo_root: Path, prefect_api: str) -> None:
    bad = docs(repo_root, "--changed-since", "no-such-ref", prefect=prefect_api)
    assert bad.returncode == 1
    assert bad.stderr.startswith("locflow: error: --changed-since no-such-ref: no such commit")
    assert len(bad.stderr.strip().splitlines()) == 1


@pytest.mark.slow  # two full runs: ~20 s
def test_locflow_run_also_writes_the_docs(repo_root: Path, prefect_api: str) -> None:
    """`locflow run` is the main job: with [[docs]] configured it translates and writes
    them too (what `locflow docs` does), in the same JSON, and a second run changes nothing."""
    first = run_cli("run", "--json", cwd=repo_root, env={"PREFECT_API_URL": prefect_api})
    assert first.returncode == 0, first.stderr
    result = json.loads(first.stdout)
    assert result["status"] == "completed"
    documents = result["documents"]
    assert documents["failed"] == []
    assert {(d["doc"], d["locale"]) for d in documents["docs"] if d["written"]} == {
        ("docs/a.md", "fr"),
        ("docs/a.md", "de"),
        ("docs/b.md", "fr"),
        ("docs/b.md", "de"),
    }
    out = repo_root / "build" / "docs" / "fr" / "docs" / "a.md"
    if not out.exists():
        out = next((repo_root / "build" / "docs" / "fr").rglob("a.md"))
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# ") and "](b.md)" in text and text != A
    before = out.stat().st_mtime_ns
    again = run_cli("run", "--json", cwd=repo_root, env={"PREFECT_API_URL": prefect_api})
    assert again.returncode == 0, again.stderr
    second = json.loads(again.stdout)["documents"]
    assert not any(d["written"] for d in second["docs"])
    assert out.stat().st_mtime_ns == before
