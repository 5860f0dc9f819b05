"""The runs alive in this process, and their heartbeat.

While a run lives, a daemon thread refreshes its `runs` row's `heartbeat_at` every
`interval()` seconds (LOCFLOW_HEARTBEAT_SECONDS, default 30). The heartbeat is in the
database, so it works across machines: a `running` row whose heartbeat is older than
`stale_after()` belongs to a process that died, and the next command that looks (`stats`,
the start of a run) marks it crashed (db.run_repo.mark_crashed).

The same registry lets the CLI's signal watchdog record the runs of this process as
interrupted when the flow cannot do it itself (cli/signals.py), and carries the signal that
ended the process to the flows, which record it as the reason. Its database access uses
short timeouts: it must never be what keeps a dying process alive.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from datetime import timedelta
from functools import cache

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from locflow.db import run_repo
from locflow.db.base import utcnow
from locflow.pipeline.summary import FAILED, INTERRUPTED

ENV = "LOCFLOW_HEARTBEAT_SECONDS"
DEFAULT_SECONDS = 30.0
STALE_BEATS = 4
"""A run is presumed dead when this many beats in a row are missing."""
DB_TIMEOUT_SECONDS = 5

_log = logging.getLogger(__name__)
_lock = threading.Lock()
_live: dict[int, str] = {}
"""Run id -> its database URL."""
_thread: threading.Thread | None = None
_wake = threading.Event()
_signal: int | None = None


def interval() -> float:
    """Seconds between beats (LOCFLOW_HEARTBEAT_SECONDS; tests make it short)."""
    try:
        seconds = float(os.environ.get(ENV, "") or DEFAULT_SECONDS)
    except ValueError:
        return DEFAULT_SECONDS
    return max(seconds, 0.05)


def stale_after() -> timedelta:
    return timedelta(seconds=interval() * STALE_BEATS)


def register(database_url: str, run_id: int) -> None:
    """Beat for this run from now on (its row was created with a first heartbeat)."""
    global _thread
    with _lock:
        _live[run_id] = database_url
        _wake.set()  # beats at once, at the interval set now
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_beat_forever, daemon=True, name="locflow-heartbeat")
            _thread.start()


def unregister(run_id: int) -> None:
    with _lock:
        _live.pop(run_id, None)


def live_runs() -> dict[int, str]:
    """The runs this process is running: run id -> database URL."""
    with _lock:
        return dict(_live)


def note_signal(signum: int) -> None:
    """The signal that is ending this process (the first one)."""
    global _signal
    with _lock:
        if _signal is None:
            _signal = signum


def noted_signal() -> int | None:
    return _signal


def ended_by(exc: BaseException) -> tuple[str, str]:
    """The status and one-line reason of a run that raised `exc`: interrupted by Ctrl-C or
    a signal (the one this process noted; for a SIGTERM during a flow run Prefect raises its
    own TerminationSignal, which carries `.signal`), else failed."""
    sent = getattr(exc, "signal", None) if not isinstance(exc, Exception) else None
    if isinstance(exc, KeyboardInterrupt) or isinstance(sent, int):
        number = sent if isinstance(sent, int) else (noted_signal() or signal.SIGINT)
        return INTERRUPTED, f"interrupted by {signal.Signals(number).name}"
    if isinstance(exc, OSError) and exc.filename:
        return FAILED, f"{exc.filename}: {exc.strerror or exc}".splitlines()[0]
    text = str(exc).strip()
    return FAILED, text.splitlines()[0] if text else type(exc).__name__


def end_live_runs(status: str, message: str) -> list[int]:
    """End every run of this process that is still `running` (the signal watchdog's last
    act); the ids of those it ended. Never raises: the process is going anyway."""
    ended = []
    for run_id, url in live_runs().items():
        unregister(run_id)
        try:
            with Session(_short_engine(url)) as s, s.begin():
                if run_repo.end_if_running(s, run_id, status, message, utcnow()):
                    ended.append(run_id)
        except Exception as exc:  # the database is gone too: the heartbeat tells later
            _log.warning("could not record run %s as %s: %s", run_id, status, exc)
    return ended


def _beat_forever() -> None:
    while True:
        _wake.wait(interval())
        _wake.clear()
        by_url: dict[str, list[int]] = {}
        for run_id, url in live_runs().items():
            by_url.setdefault(url, []).append(run_id)
        for url, ids in by_url.items():
            try:
                with Session(_short_engine(url)) as s, s.begin():
                    run_repo.beat(s, ids, utcnow())
            except Exception as exc:  # a missed beat; the next one may pass
                _log.debug("heartbeat of runs %s failed: %s", ids, exc)


@cache
def _short_engine(url: str) -> Engine:
    """An engine whose connections and statements give up after a few seconds."""
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        args: dict[str, object] = {"timeout": DB_TIMEOUT_SECONDS}
    elif backend == "postgresql":
        ms = DB_TIMEOUT_SECONDS * 1000
        args = {"connect_timeout": DB_TIMEOUT_SECONDS, "options": f"-c statement_timeout={ms}"}
    else:
        args = {}
    return create_engine(url, connect_args=args, pool_pre_ping=True)
