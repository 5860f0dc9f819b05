"""`locflow ui` as a real subprocess on a free port, for the tests that need a real server
(a burst of requests, the process's own memory, a browser)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.cookiejar import CookieJar
from pathlib import Path

from tests.support.env import free_port
from tests.support.review_demo import Demo

SECRET = "test-secret-" + "x" * 32


@contextmanager
def serve_ui(
    demo: Demo, *args: str, env: dict[str, str] | None = None
) -> Iterator[tuple[str, int]]:
    """(base URL, server pid) of `locflow ui` on the demo; its output goes to ui-PORT.log."""
    port = free_port()
    full_env = {**os.environ, **demo.env, "LOCFLOW_UI_SECRET": SECRET, **(env or {})}
    log_path = demo.root / f"ui-{port}.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "locflow"), "ui", "--port", str(port), *args],
            cwd=demo.root,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_until_up(base, proc, log_path)
            yield base, proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_until_up(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/login", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"locflow ui did not start; see {log}")
        time.sleep(0.2)


def post_login(base: str, name: str, password: str) -> tuple[int, str, str]:
    """One sign-in as a browser does it (form page, cookie, POST): (status, Retry-After, body)."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login", timeout=60).read().decode()
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token
    body = urllib.parse.urlencode({"csrf": token.group(1), "name": name, "password": password})
    try:
        with opener.open(f"{base}/login", body.encode(), timeout=60) as r:
            return r.status, "", r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Retry-After", ""), e.read().decode()


def vm_peak_mib(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    m = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
    assert m
    return int(m.group(1)) / 1024


def vm_rss_mib(pid: int) -> float:
    """The process's resident memory now (VmRSS), in MiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    m = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
    assert m
    return int(m.group(1)) / 1024


def burst(base: str, names: Sequence[str], threads: int, each: int) -> list[tuple[int, str, str]]:
    """`threads` at once, each trying `each` wrong passwords (thread i tries names[i % n]):
    the (status, Retry-After, body) of every attempt."""
    results: list[tuple[int, str, str]] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        for _ in range(each):
            got = post_login(base, name, "wrong password")
            with lock:
                results.append(got)

    pool = [threading.Thread(target=worker, args=(names[i % len(names)],)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return results
