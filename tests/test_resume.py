"""Crash-resume: `kill -9` of a real `locflow run` at several points, then running again,
finishes with no lost and no duplicate versions, re-sending at most one batch."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from locflow.pipeline.cost import BATCH
from tests.fakes.chat_server import ChatServer
from tests.support.helpers import start_locflow

pytestmark = pytest.mark.slow

LOCALES = ("fr", "ru", "ar", "de")


def _configure(project: Path, url: str) -> None:
    toml = project / "locflow.toml"
    toml.write_text(
        toml.read_text().replace(
            'name = "pseudo"',
            f'name = "openai_compat"\nbase_url = "{url}/v1"\npack_size = 4\nconcurrency = 1',
        )
    )


def _strings_sent(server: ChatServer) -> int:
    """Strings the engine received (a packed chat request carries several)."""
    import json

    total = 0
    for rec in server.requests:
        if rec.path.endswith("/chat/completions"):
            user = rec.body["messages"][-1]["content"]
            start = user.rfind('{"items"')
            total += len(json.loads(user[start:])["items"]) if start >= 0 else 1
        else:
            total += 1  # completion mode: one string per request
    return total


def _versions(db: str) -> list[tuple[int, str, str, int]]:
    eng = create_engine(db)
    with eng.connect() as c:
        rows = c.execute(
            text(
                "select segment_id, locale, source_hash, count(*) from translations "
                "where origin = 'engine' group by segment_id, locale, source_hash"
            )
        ).all()
    eng.dispose()
    return [tuple(r) for r in rows]


@pytest.mark.parametrize("kill_after_requests", [1, 4, 9])
def test_kill_9_then_rerun_loses_nothing_and_resends_at_most_a_batch(
    demo_project, prefect_server, tmp_path, kill_after_requests
):
    db = f"sqlite:///{tmp_path / 'resume.db'}"
    env = {**os.environ, "PREFECT_API_URL": prefect_server, "LOCFLOW_DATABASE_URL": db}
    with ChatServer() as reference:
        _configure(demo_project, reference.url)
        clean = start_locflow(
            demo_project, {**env, "LOCFLOW_DATABASE_URL": f"sqlite:///{tmp_path}/c.db"}
        )
        assert clean.wait(timeout=300) == 0, clean.stderr.read()
        needed = _strings_sent(reference)
    for p in (demo_project / "locale").rglob("LC_MESSAGES"):
        for f in p.iterdir():
            f.unlink()
    with ChatServer() as server:
        server.delay = 0.15
        _configure_again(demo_project, server.url)
        victim = start_locflow(demo_project, env)
        deadline = time.monotonic() + 240
        while len(server.requests) < kill_after_requests:
            assert victim.poll() is None, "the run ended before the kill point"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(timeout=30)
        assert all(n == 1 for *_, n in _versions(db)), "a killed run left duplicates"
        server.delay = 0.0
        again = start_locflow(demo_project, env)
        assert again.wait(timeout=300) == 0, again.stderr.read()
        sent = _strings_sent(server)
    versions = _versions(db)
    assert len(versions) == 19 * len(LOCALES)  # nothing lost
    assert all(n == 1 for *_, n in versions)  # nothing duplicated
    resent = sent - needed
    largest_batch = BATCH * 6  # a batch of jobs, each at most one request per plural form
    assert 0 <= resent <= largest_batch
    print(
        f"\nkill after {kill_after_requests} requests: {resent} strings re-sent "
        f"(needed {needed}, sent {sent})"
    )
    for locale in LOCALES:
        assert (demo_project / "locale" / locale / "LC_MESSAGES" / "messages.po").exists()


def _configure_again(project: Path, url: str) -> None:
    toml = project / "locflow.toml"
    lines = [
        f'base_url = "{url}/v1"' if line.startswith("base_url = ") else line
        for line in toml.read_text().splitlines()
    ]
    toml.write_text("\n".join(lines) + "\n")
