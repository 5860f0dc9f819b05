"""API keys never reach the database, logs, Prefect (logs, artifacts, states, parameters) or
error messages, even when the provider fails and echoes the key back.

Whole `localise` flows run against the session's Prefect server with engine `qwen_mt` and a
simulated Model Studio holding a sentinel key (from DASHSCOPE_API_KEY): one run stopped by a
401 whose message quotes the key, one with a string refused by moderation (400), then the CLI
(`run -v` with a 401, `probe` failing and passing, `run`, `stats --json`). Everything they
left behind is scanned for the key and for every suffix of it of 8 characters or more.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, select
from sqlalchemy.engine import make_url

from locflow.flows.localise import localise  # imports Prefect now: its logging set-up must not
from tests.fakes.qwen_rules import Reply
from tests.fakes.qwen_sim import QwenSim
from tests.support.env import run_cli  # replace pytest's capture handler during the test

pytestmark = [pytest.mark.usefixtures("prefect_api"), pytest.mark.slow]

SENTINEL = f"dsk{uuid.uuid4().hex}{uuid.uuid4().hex[:8]}"
"""Not shaped like `sk-…`, so only the exact-secret redaction can hide it, not the pattern."""
MIN_FRAGMENT = 8
MODERATED = "Show the DATA_INSPECTION_FAIL sample"


def fragments(secret: str) -> list[str]:
    """The secret and each of its suffixes of at least MIN_FRAGMENT characters."""
    return [secret[i:] for i in range(len(secret) - MIN_FRAGMENT + 1)]


def leaks(places: dict[str, str | bytes]) -> list[str]:
    """`place: fragment` for every place holding a fragment of the sentinel."""
    found = []
    for where, content in places.items():
        for piece in fragments(SENTINEL):
            needle: str | bytes = piece.encode() if isinstance(content, bytes) else piece
            if needle in content:  # type: ignore[operator]
                found.append(f"{where}: …{piece[-12:]}")
                break
    return found


class EchoingSim(QwenSim):
    """Model Studio's simulator, but a 401 quotes the whole key it was sent (worse than the
    real API, which shows only a few characters)."""

    def handle(self, auth: str | None, raw: bytes) -> Reply:
        reply = super().handle(auth, raw)
        if reply.status == 401 and auth:
            error = reply.body["error"]
            error["message"] = f"{error['message']} Key: {auth.removeprefix('Bearer ')}"
        return reply


@pytest.fixture
def sim() -> Iterator[EchoingSim]:
    with EchoingSim(api_key=SENTINEL) as s:
        yield s


@pytest.fixture
def project(demo_project: Path, sim: EchoingSim) -> Path:
    toml = demo_project / "locflow.toml"
    toml.write_text(
        toml.read_text().replace(
            'name = "pseudo"', f'name = "qwen_mt"\nbase_url = "{sim.base_url}"\nrpm = 6000'
        )
    )
    pot = demo_project / "locale" / "messages.pot"
    pot.write_text(pot.read_text() + f'\n#: app/notes.py:99\nmsgid "{MODERATED}"\nmsgstr ""\n')
    return demo_project


# --- what Prefect and the database hold ---------------------------------------------------


def prefect_records(since: datetime) -> dict[str, str]:
    """Every flow run since `since` as the API gives it: the run (parameters, state
    message), its task runs, logs and artifacts, as JSON text per run."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        FlowRunFilter,
        FlowRunFilterId,
        FlowRunFilterStartTime,
        LogFilter,
        LogFilterFlowRunId,
    )
    from prefect.logging.handlers import APILogHandler

    async def read() -> dict[str, str]:
        await APILogHandler.aflush()
        out: dict[str, str] = {}
        async with get_client() as client:
            runs = await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(start_time=FlowRunFilterStartTime(after_=since)),
                limit=50,
            )
            for run in runs:
                ids = [run.id]
                tasks = await client.read_task_runs(
                    flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids)), limit=200
                )
                logs = []
                for page in range(20):  # bounded: 20 pages of 200
                    batch = await client.read_logs(
                        log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=ids)),
                        limit=200,
                        offset=page * 200,
                    )
                    logs += batch
                    if len(batch) < 200:
                        break
                artifacts = await client.read_artifacts(
                    artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=ids))
                )
                out[f"prefect run {run.name}"] = run.model_dump_json()
                out[f"prefect task runs of {run.name}"] = json.dumps(
                    [t.model_dump(mode="json") for t in tasks]
                )
                out[f"prefect logs of {run.name}"] = "\n".join(log.message for log in logs)
                out[f"prefect artifacts of {run.name}"] = json.dumps(
                    [a.model_dump(mode="json") for a in artifacts]
                )
        return out

    return asyncio.run(read())


def database_dump(url: str) -> dict[str, str | bytes]:
    """`SELECT *` of every table (reflected, so nothing is missed) and, for SQLite, the
    bytes of the database and its WAL."""
    out: dict[str, str | bytes] = {}
    engine = create_engine(url)
    try:
        meta = MetaData()
        meta.reflect(bind=engine)
        with engine.connect() as conn:
            for table in meta.sorted_tables:
                rows = conn.execute(select(table)).all()
                out[f"table {table.name}"] = "\n".join(repr(tuple(r)) for r in rows)
    finally:
        engine.dispose()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        for suffix in ("", "-wal", "-shm"):
            path = Path(parsed.database + suffix)
            if path.exists():
                out[f"file {path.name}"] = path.read_bytes()
    return out


def prefect_home_files() -> dict[str, bytes]:
    """The session server's own files (its SQLite database, stored results), when local."""
    home = os.environ.get("PREFECT_HOME")
    if not home or os.environ.get("LOCFLOW_TEST_PREFECT_API_URL"):
        return {}
    files = {}
    for path in sorted(Path(home).rglob("*"))[:2000]:
        if path.is_file() and path.stat().st_size < 512 * 2**20:
            files[f"prefect home {path.relative_to(home)}"] = path.read_bytes()
    return files


# --- the test -------------------------------------------------------------------------------


def test_api_key_never_stored_logged_or_shown(
    project: Path,
    sim: EchoingSim,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    since = datetime.now(UTC)
    monkeypatch.setenv("DASHSCOPE_API_KEY", SENTINEL)
    monkeypatch.setenv("LOCFLOW_DATABASE_URL", db_url)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="prefect")
    places: dict[str, str | bytes] = {}
    places.update(_flow_runs(str(project / "locflow.toml"), sim))
    places.update(_cli_runs(project, sim, db_url))

    # the key did travel to the provider (so the scan below is not vacuous)
    assert any(b.get("model") for b in sim.bodies) and sim.counters.status[401] >= 3
    places["caplog"] = "\n".join(
        f"{r.name} {r.levelname} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records
    )
    time.sleep(0.5)  # the CLI's own log batches reach the server
    records = prefect_records(since)
    places.update(records)
    places.update(database_dump(db_url))
    places.update(prefect_home_files())

    # what was scanned holds what it should (the error was logged, artifacts exist)
    logs = "\n".join(v for k, v in records.items() if k.startswith("prefect logs"))
    assert "API key refused" in logs
    assert any(k.startswith("prefect artifacts") and "locflow" in v for k, v in records.items())
    assert any("API key refused" in str(v) for k, v in places.items() if k.startswith("table"))
    assert "API key refused" in places["caplog"]
    if make_url(db_url).get_backend_name() == "sqlite":
        assert any(k.startswith("file ") for k in places)
    print(f"\nscanned {len(places)} places, {sum(map(len, places.values()))} bytes")
    assert leaks(places) == []


def _flow_runs(config: str, sim: EchoingSim) -> dict[str, str | bytes]:
    """Two `localise` runs in this process; their results, to be scanned."""
    # 1. the provider refuses the key (401) and quotes it: the run stops cleanly
    sim.script("401")
    stopped = localise(config, ["fr"]).to_dict()
    assert stopped["status"] == "stopped"
    assert "API key refused" in stopped["message"]
    assert "Key: ***" in stopped["message"]  # the provider quoted the key; it was redacted

    # 2. one string refused by moderation (400): marked, the rest translated; a gap
    done = localise(config, ["de"]).to_dict()
    assert done["status"] == "partial" and "the engine refused 1 string" in done["message"]
    assert sim.counters.status[400] >= 1 and sim.counters.ok > 0
    return {
        "result of the 401 run": json.dumps(stopped, default=str),
        "result of the moderation run": json.dumps(done, default=str),
    }


def _cli_runs(project: Path, sim: EchoingSim, db_url: str) -> dict[str, str | bytes]:
    """The CLI's output, to be scanned."""
    # 3. the CLI, verbose, with a 401; probe failing and passing; a good run; stats
    env = {"DASHSCOPE_API_KEY": SENTINEL, "LOCFLOW_DATABASE_URL": db_url}
    verbose = {**env, "PREFECT_LOGGING_LEVEL": "DEBUG"}
    sim.script("401")
    cli = {"run -v (401)": run_cli("run", "-v", "-l", "ru", cwd=project, env=verbose)}
    assert cli["run -v (401)"].returncode == 4, cli["run -v (401)"].stderr
    sim.script("401")
    cli["probe (401)"] = run_cli("probe", "-v", cwd=project, env=verbose)
    assert cli["probe (401)"].returncode == 1
    assert "API key refused" in cli["probe (401)"].stderr
    cli["probe"] = run_cli("probe", "--json", cwd=project, env=env)
    cli["run"] = run_cli("run", "-l", "ru,ar", cwd=project, env=env)
    cli["stats --json"] = run_cli("stats", "--json", cwd=project, env=env)
    for name in ("probe", "stats --json"):
        assert cli[name].returncode == 0, cli[name].stderr
    assert cli["run"].returncode == 5, cli["run"].stderr  # moderation refused a string
    places: dict[str, str | bytes] = {}
    for name, proc in cli.items():
        places[f"CLI {name} stdout"] = proc.stdout
        places[f"CLI {name} stderr"] = proc.stderr
    return places


def test_the_scan_finds_a_leak() -> None:
    """The scanner itself: a suffix of 8 characters is found, 7 are not."""
    assert leaks({"log": f"key ***{SENTINEL[-8:]}"}) == [f"log: …{SENTINEL[-8:]}"]
    assert leaks({"db": f"x{SENTINEL}x".encode()}) != []
    assert leaks({"log": f"key ***{SENTINEL[-7:]}"}) == []
