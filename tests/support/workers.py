"""Prefect process workers for tests: `prefect worker start` processes started on demand,
and at the end every run still going in their pools cancelled and the workers stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any


class Workers:
    """`with Workers(folder) as start: start(pool, name, env)` -> the worker's log file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.procs: list[subprocess.Popen[bytes]] = []
        self.pools: set[str] = set()

    def __enter__(self) -> Workers:
        return self

    def __call__(self, pool: str, name: str, env: dict[str, str]) -> Path:
        log = self.folder / f"{name}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [str(Path(sys.executable).parent / "prefect"), "worker", "start",
                 "--pool", pool, "--type", "process", "--limit", "3", "--name", name],
                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        self.procs.append(proc)
        self.pools.add(pool)
        return log

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            cancel_runs(self.pools)  # their workers end the flow-run processes they started
        finally:
            for proc in self.procs:
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


def pool_runs(pool: str) -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, WorkPoolFilter, WorkPoolFilterName

    with get_client(sync_client=True) as client:
        return client.read_flow_runs(
            work_pool_filter=WorkPoolFilter(name=WorkPoolFilterName(any_=[pool])),
            flow_run_filter=FlowRunFilter(),
            limit=200,
        )


def cancel_runs(pools: set[str]) -> None:
    from prefect.client.orchestration import get_client
    from prefect.states import Cancelling

    pending = [r for pool in pools for r in pool_runs(pool) if not r.state.is_final()]
    if not pending:
        return
    with get_client(sync_client=True) as client:
        for run in pending:
            client.set_flow_run_state(run.id, Cancelling(), force=True)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(
        not r.state.is_final() for pool in pools for r in pool_runs(pool)
    ):
        time.sleep(0.5)
