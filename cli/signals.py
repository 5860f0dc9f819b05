"""SIGTERM and SIGINT end a run promptly, whatever the engine or the Prefect API is doing.

The first signal raises KeyboardInterrupt in the main thread (during a flow run Prefect's own
SIGTERM handler raises its TerminationSignal instead): the flow records its run as
interrupted and the command ends with 130 (SIGINT) or 143 (SIGTERM). It also arms a
watchdog: if the process is still alive `GRACE_SECONDS` later (Prefect's crash handling can
sit retrying a state update against an API that has gone, a worker thread can wait on an
engine that never answers), the watchdog records this process's live runs as interrupted
itself (short database timeouts), prints the one line and ends the process with
`os._exit`.

Signals are seen through `signal.set_wakeup_fd`, which the interpreter writes to whichever
Python handler is installed, so the watchdog is armed even while Prefect's handler holds
SIGTERM.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from types import FrameType
from typing import Any

from locflow.cli.common import EXIT_INTERRUPTED, EXIT_TERMINATED
from locflow.pipeline import heartbeat
from locflow.pipeline.summary import INTERRUPTED

GRACE_SECONDS = 5.0
"""How long the process may take to end by itself after the signal."""
RECORD_SECONDS = 3.0
"""How long the watchdog waits for the database before it exits anyway."""
HANDLED = (signal.SIGINT, signal.SIGTERM)


class SignalGuard:
    """`with SignalGuard() as guard:` around a command; `guard.signum` is the signal that
    ended it (None: none came)."""

    def __init__(self, grace: float = GRACE_SECONDS) -> None:
        self.grace = grace
        self.signum: int | None = None
        self._raised = False
        self._said = False
        self._lock = threading.Lock()
        self._previous: dict[int, Any] = {}
        self._previous_fd = -1
        self._pipe: tuple[int, int] | None = None

    @property
    def exit_code(self) -> int:
        return EXIT_TERMINATED if self.signum == signal.SIGTERM else EXIT_INTERRUPTED

    @property
    def reason(self) -> str:
        return f"interrupted by {signal.Signals(self.signum or signal.SIGINT).name}"

    def say(self) -> None:
        """The one line (once), straight to fd 2: no lock another thread may hold."""
        with self._lock:
            if self._said:
                return
            self._said = True
        os.write(2, f"locflow: {self.reason}; work stored so far is kept\n".encode())

    def __enter__(self) -> SignalGuard:
        if threading.current_thread() is not threading.main_thread():
            return self  # signals are for the main thread only (e.g. a test calling main())
        for signum in HANDLED:
            self._previous[signum] = signal.signal(signum, self._handle)
        read_fd, write_fd = os.pipe()
        os.set_blocking(write_fd, False)
        self._pipe = (read_fd, write_fd)
        self._previous_fd = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
        threading.Thread(target=self._watch, daemon=True, name="locflow-signals").start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Without a signal, things go back as they were (a process ending by a signal keeps
        the guard: its watchdog is armed)."""
        if self._pipe is None or self.signum is not None:
            return
        signal.set_wakeup_fd(self._previous_fd)
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        os.write(self._pipe[1], b"\0")  # the watcher ends and closes the pipe

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self._received(signum)
        if not self._raised:  # a second signal must not break the cleanup of the first
            self._raised = True
            raise KeyboardInterrupt

    def _watch(self) -> None:
        assert self._pipe is not None
        read_fd, write_fd = self._pipe
        while True:
            data = os.read(read_fd, 64)
            if not data or 0 in data:
                break
            for signum in data:
                if signum in HANDLED:
                    self._received(signum)
        os.close(read_fd)
        os.close(write_fd)

    def _received(self, signum: int) -> None:
        with self._lock:
            if self.signum is not None:
                return
            self.signum = signum
        heartbeat.note_signal(signum)
        threading.Thread(target=self._watchdog, daemon=True, name="locflow-watchdog").start()

    def _watchdog(self) -> None:
        time.sleep(self.grace)
        recording = threading.Thread(
            target=heartbeat.end_live_runs, args=(INTERRUPTED, self.reason), daemon=True
        )
        recording.start()
        recording.join(RECORD_SECONDS)
        self.say()
        os._exit(self.exit_code)
