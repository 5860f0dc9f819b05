"""A burst of wrong sign-ins against a real review UI server: how many are refused (429),
and the server's peak memory, with the bound on password checks and without it.

    python -m bench.signin_bench                  # 16 threads x 2 attempts, bound 2 and none
    python -m bench.signin_bench --threads 32 --each 3 --spread

`--spread` gives each thread its own account name (the account back-off then stops
nothing and only the address back-off and the bound on checks hold); by default every
thread guesses at one account. Each run serves the demo project (synced and
pseudo-translated into a temporary SQLite database) in its own process and reads that
process's VmHWM from /proc. Figures depend on the machine; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support.env import ROOT, free_port
from tests.support.review_demo import PASSWORD, add_users, make_demo
from tests.support.ui_server import SECRET, burst, post_login, vm_peak_mib, vm_rss_mib


def serve(config_path: str, port: int, checks: int) -> None:
    """The child: `locflow ui` as the CLI builds it, with `checks` password checks at once."""
    import uvicorn

    from locflow.review.app import create_app
    from locflow.review.throttle import PasswordChecks
    from locflow.settings import load_config

    app = create_app(load_config(config_path), secret=SECRET.encode())
    app.state.ui = dataclasses.replace(app.state.ui, checks=PasswordChecks(limit=checks))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", proxy_headers=False)


def one_run(root: Path, env: dict[str, str], checks: int, args: argparse.Namespace) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "bench.signin_bench", "--serve", str(root / "locflow.toml")]
    cmd += ["--port", str(port), "--checks", str(checks)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    try:
        _wait(base, proc)
        before = vm_rss_mib(proc.pid)
        names = [f"user{i}" for i in range(args.threads)] if args.spread else ["fanny"]
        start = time.monotonic()
        results = burst(base, names, args.threads, args.each)
        took = time.monotonic() - start
        codes = [code for code, _, _ in results]
        waits = sorted({int(a) for c, a, _ in results if c == 429 and a.isdigit()})
        peak = vm_peak_mib(proc.pid)
        label = f"bound {checks}" if checks < 1000 else "no bound"
        print(
            f"{label:>9}: {len(codes)} attempts in {took:.1f} s, {codes.count(401)} checked "
            f"(401), {codes.count(429)} refused (429, Retry-After {waits or '-'} s); "
            f"RSS {before:.0f} MiB before, peak {peak:.0f} MiB"
        )
        if not args.spread:
            _right_password_after_the_wait(base)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _right_password_after_the_wait(base: str) -> None:
    start = time.monotonic()
    while True:
        code, after, _ = post_login(base, "fanny", PASSWORD)
        if code != 429:
            break
        time.sleep(int(after))
    print(f"           the right password: {code} after {time.monotonic() - start:.1f} s")


def _wait(base: str, proc: subprocess.Popen[bytes]) -> None:
    import urllib.request

    for _ in range(300):
        if proc.poll() is not None:
            raise SystemExit("the server did not start")
        try:
            with urllib.request.urlopen(f"{base}/login", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start in 60 s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--each", type=int, default=2, help="attempts per thread")
    parser.add_argument("--spread", action="store_true", help="one account name per thread")
    parser.add_argument("--bounds", default="2,1000", help="password checks at once, per run")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--checks", type=int, default=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.port, args.checks)
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "demo"
        shutil.copytree(ROOT / "examples" / "demo", root)
        demo = make_demo(root)
        add_users(demo)
        env = {**os.environ, **demo.env}
        print(f"{args.threads} threads x {args.each} wrong sign-ins, spread={args.spread}")
        for checks in (int(b) for b in args.bounds.split(",")):
            one_run(root, env, checks, args)


if __name__ == "__main__":
    main()
