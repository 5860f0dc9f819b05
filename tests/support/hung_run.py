"""A `locflow` run stuck on an engine that never answers, for the signal test and its bench:
the demo project pointed at a loopback chat server that answers French and never answers
German, with its Prefect API behind a proxy that can be taken away."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from locflow.db.models import Run, Translation
from locflow.db.session import open_database
from tests.fakes.chat_server import ChatServer

DOCS = '\n[[docs]]\ninclude = ["docs/**/*.md"]\noutput = "build/docs/{locale}/{path}"\n'


class StuckBefore(RuntimeError):
    """The run ended, or never hung, before the test could signal it."""


def german(body: dict[str, Any]) -> bool:
    return "German" in json.dumps(body)


def configure(project: Path, engine_url: str, docs: bool) -> None:
    """The demo project on the chat server (`docs`: with its [[docs]] too). French and
    German share the run's stream of batches: German packs hang in their slots while French
    ones go on in the others (concurrency 8)."""
    toml = project / "locflow.toml"
    text = toml.read_text().replace(
        'name = "pseudo"',
        f'name = "openai_compat"\nbase_url = "{engine_url}"\nmodel = "test-model"\n'
        "timeout = 600\nconcurrency = 8",
    )
    toml.write_text(text + (DOCS if docs else ""))


def start(project: Path, args: tuple[str, ...], db_url: str, api_url: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "NO_COLOR": "1",
        "LOCFLOW_DATABASE_URL": db_url,
        "PREFECT_API_URL": api_url,
        "OPENAI_API_KEY": "",
    }
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "locflow"), *args],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_until_hung(proc: subprocess.Popen[str], engine: ChatServer, limit: float = 300) -> None:
    """Until a German request is hanging."""
    _wait_for(
        proc,
        lambda: any(map(german, engine.bodies())),
        "no German request reached the engine",
        limit,
    )


def wait_until_stored(
    proc: subprocess.Popen[str], db_url: str, run_id: int, limit: float = 300
) -> None:
    """Until run `run_id` stored something (French, in flight beside the hung German)."""
    _wait_for(proc, lambda: bool(stored_by(db_url, run_id)), "nothing was stored", limit)


def _wait_for(
    proc: subprocess.Popen[str], done: Callable[[], bool], missing: str, limit: float
) -> None:
    """Until `done()`; StuckBefore (`missing`) when locflow ends first or `limit` passes."""
    deadline = time.monotonic() + limit
    while not done():
        if proc.poll() is not None:
            raise StuckBefore(f"locflow ended (exit {proc.returncode}): {proc.stderr.read()}")
        if time.monotonic() > deadline:
            kill(proc)
            raise StuckBefore(missing)
        time.sleep(0.2)


def kill(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def runs(db_url: str) -> list[Run]:
    factory = open_database(db_url)
    try:
        with factory() as s:
            return list(s.scalars(select(Run).order_by(Run.id)))
    finally:
        factory.kw["bind"].dispose()


def stored_by(db_url: str, run_id: int) -> int:
    factory = open_database(db_url)
    try:
        with factory() as s:
            return s.scalar(select(func.count()).where(Translation.run_id == run_id)) or 0
    finally:
        factory.kw["bind"].dispose()
