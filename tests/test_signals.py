"""Signals end runs (issue 12, case 12): SIGTERM and SIGINT stop a `locflow run` or
`locflow docs` whose engine hangs and whose Prefect API has gone away. The run is recorded
as interrupted, the work stored before stays, and the exit code is 143 or 130.

The engine is a loopback chat server that answers French and never answers German; the
Prefect API is the session's server behind a loopback proxy that the test takes away once
the run is stuck (tests/support/hung_run.py). The guard (60 s) is generous: the seconds it
takes are measured by bench/signal_bench.py, not asserted here.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.fakes.chat_server import ChatServer
from tests.fakes.tcp_proxy import TcpProxy
from tests.support import hung_run

pytestmark = pytest.mark.slow

GUARD = 60.0
"""Seconds the run has to end after the signal: generous, never a speed assertion."""


@pytest.fixture
def hung_engine() -> Iterator[ChatServer]:
    """Answers every request but those for German, which it never answers."""
    with ChatServer() as server:
        server.hang_if = hung_run.german
        yield server


@pytest.fixture
def api_proxy(prefect_server: str) -> Iterator[TcpProxy]:
    """The session's Prefect server behind a proxy the test can take away."""
    target = urlsplit(prefect_server)
    with TcpProxy(target.hostname or "127.0.0.1", target.port or 80) as proxy:
        yield proxy


@pytest.mark.parametrize(
    ("command", "signum", "code"),
    [
        (("run", "-q", "-l", "fr,de"), signal.SIGTERM, 143),
        (("run", "-q", "-l", "fr,de"), signal.SIGINT, 130),
        (("docs", "-q", "-l", "fr,de"), signal.SIGTERM, 143),
    ],
    ids=["run-SIGTERM", "run-SIGINT", "docs-SIGTERM"],
)
def test_a_signal_ends_a_hung_run_whose_prefect_api_has_gone(
    demo_project, tmp_path, hung_engine, api_proxy, command, signum, code
):
    hung_run.configure(demo_project, hung_engine.url, docs=command[0] == "docs")
    db_url = f"sqlite:///{tmp_path / 'signals.db'}"
    api = f"http://127.0.0.1:{api_proxy.port}/api"
    proc = hung_run.start(demo_project, command, db_url, api)
    try:
        hung_run.wait_until_hung(proc, hung_engine)
        run_id = hung_run.runs(db_url)[-1].id
        hung_run.wait_until_stored(proc, db_url, run_id)  # French, while German hangs
        api_proxy.stop()  # the Prefect API goes away
        sent = time.monotonic()
        proc.send_signal(signum)
        try:
            _, err = proc.communicate(timeout=GUARD)
        except subprocess.TimeoutExpired:
            pytest.fail(f"locflow still running {GUARD:.0f} s after {signum.name}")
        print(f"{signum.name} -> exit in {time.monotonic() - sent:.1f} s")
    finally:
        hung_run.kill(proc)
    assert proc.returncode == code, err
    assert f"locflow: interrupted by {signum.name}" in err, err
    assert "Traceback" not in err, err
    row = next(r for r in hung_run.runs(db_url) if r.id == run_id)
    assert (row.status, row.message) == ("interrupted", f"interrupted by {signum.name}")
    assert row.finished_at is not None
    assert hung_run.stored_by(db_url, run_id) > 0
