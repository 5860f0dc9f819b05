"""`python -m bench.signal_bench`: seconds from a signal to the end of a stuck run.

A `locflow run` (and a `locflow docs`) on the demo project whose engine never answers German
(a loopback chat server) is signalled once a German request hangs and its Prefect API has
gone away (a proxy in front of a throwaway Prefect server, taken away first). Prints the
seconds from the signal to the process's exit, its exit code and the runs row's status.
Target: under 10 s (issue 12). With PREFECT_API_URL set, that server is used instead of a
throwaway one.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from tests.fakes.chat_server import ChatServer
from tests.fakes.tcp_proxy import TcpProxy
from tests.support import hung_run
from tests.support.env import ROOT, free_port

TARGET_SECONDS = 10.0
CASES = {
    "run-SIGTERM": (("run", "-q", "-l", "fr,de"), signal.SIGTERM),
    "run-SIGINT": (("run", "-q", "-l", "fr,de"), signal.SIGINT),
    "docs-SIGTERM": (("docs", "-q", "-l", "fr,de"), signal.SIGTERM),
}


@contextmanager
def prefect_server(home: Path) -> Iterator[str]:
    """A throwaway Prefect server (or $PREFECT_API_URL's)."""
    if os.environ.get("PREFECT_API_URL"):
        yield os.environ["PREFECT_API_URL"]
        return
    port = free_port()
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_UI_ENABLED": "false"}
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    prefect = str(Path(sys.executable).parent / "prefect")
    args = [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    with open(home / "server.log", "wb") as log:
        proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}/api"
        try:
            deadline = time.monotonic() + 180
            while not _healthy(url):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"Prefect server did not start; see {home / 'server.log'}")
                time.sleep(0.5)
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def measure(work: Path, api_url: str, name: str) -> tuple[float, int, str, str]:
    """Seconds from the signal to the exit, the exit code, the run's status and reason,
    and what the process printed on stderr."""
    command, signum = CASES[name]
    project = work / name
    shutil.copytree(ROOT / "examples" / "demo", project)
    db_url = f"sqlite:///{project / 'bench.db'}"
    target = urlsplit(api_url)
    with ChatServer() as engine, TcpProxy(target.hostname or "", target.port or 80) as proxy:
        engine.hang_if = hung_run.german
        hung_run.configure(project, engine.url, docs=command[0] == "docs")
        proc = hung_run.start(project, command, db_url, f"http://127.0.0.1:{proxy.port}/api")
        try:
            hung_run.wait_until_hung(proc, engine)
            proxy.stop()
            sent = time.monotonic()
            proc.send_signal(signum)
            _, err = proc.communicate(timeout=120)
            seconds = time.monotonic() - sent
        finally:
            hung_run.kill(proc)
    row = hung_run.runs(db_url)[-1]
    return seconds, proc.returncode, f"{row.status} ({row.message})", err


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("cases", nargs="*", metavar="CASE", help=f"some of {', '.join(CASES)}")
    args = p.parse_args()
    unknown = set(args.cases) - set(CASES)
    if unknown:
        p.error(f"unknown cases: {', '.join(sorted(unknown))}")
    worst = 0.0
    with tempfile.TemporaryDirectory(prefix="locflow-signal-bench-") as tmp:
        work = Path(tmp)
        (work / "prefect").mkdir()
        with prefect_server(work / "prefect") as api_url:
            for name in args.cases or list(CASES):
                seconds, code, status, err = measure(work, api_url, name)
                worst = max(worst, seconds)
                print(f"{name}: exit {code} {seconds:.1f} s after the signal; run {status}")
                for line in err.splitlines():
                    print(f"    stderr: {line}")
    verdict = "meets" if worst < TARGET_SECONDS else "MISSES"
    print(f"slowest: {worst:.1f} s ({verdict} the {TARGET_SECONDS:.0f} s target)")
    return 0 if worst < TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
