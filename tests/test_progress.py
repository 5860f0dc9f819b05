"""Progress without a TTY (issue 12, case 10: CI and schedule logs showed nothing for minutes):
one plain stderr line per batch, at most one per interval, the last one of each locale always,
with strings done out of total and the run's requests, tokens and cost so far. A terminal keeps
the rich bars; --quiet and --json print none."""

from __future__ import annotations

import io
import json
import re

import pytest

from locflow.cli.common import Output, Progress
from locflow.pipeline.progress import RunProgress
from tests.support.env import run_cli

LINE = re.compile(
    r"^locflow: (?P<label>[\w -]+) (?P<done>\d+)/(?P<total>\d+) strings, "
    r"(?P<requests>[\d,]+) requests, (?P<tokens>[\d,]+) tokens, \$(?P<cost>\d+\.\d{4})$"
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _step(label: str, done: int, total: int, requests: int = 0) -> RunProgress:
    return RunProgress(label, done, total, requests=requests, tokens=4210, cost=0.0123)


def test_a_progress_line_reads_as_documented():
    line = _step("fr", 120, 480, requests=9).line()
    assert line == "locflow: fr 120/480 strings, 9 requests, 4,210 tokens, $0.0123"


def test_without_a_tty_lines_are_throttled_but_each_locale_ends_with_its_total():
    clock, stream = FakeClock(), io.StringIO()
    out = Output(quiet=False, verbose=False, as_json=False)
    with Progress(out, tty=False, interval=10.0, clock=clock, stream=stream) as hook:
        assert hook is not None
        hook(_step("fr", 40, 160))  # the first line of a run goes out at once
        clock.now += 3
        hook(_step("fr", 80, 160))  # within 10 s of the last line: held back
        clock.now += 8
        hook(_step("fr", 120, 160))
        clock.now += 1
        hook(_step("fr", 160, 160))  # the last of a locale: always
        hook(_step("de", 40, 80))  # soon after: held back
        hook(_step("de", 80, 80))
    lines = stream.getvalue().splitlines()
    assert [(m["label"], m["done"]) for m in map(LINE.match, lines) if m] == [
        ("fr", "40"),
        ("fr", "120"),
        ("fr", "160"),
        ("de", "80"),
    ]
    assert len(lines) == 4


def test_quiet_json_and_a_terminal_print_no_plain_lines():
    for out in (
        Output(quiet=True, verbose=False, as_json=False),
        Output(quiet=False, verbose=False, as_json=True),
    ):
        stream = io.StringIO()
        with Progress(out, tty=False, stream=stream) as hook:
            assert hook is None
        assert stream.getvalue() == ""
    stream = io.StringIO()
    out = Output(quiet=False, verbose=False, as_json=False)
    with Progress(out, tty=True, stream=stream) as hook:
        assert hook is not None  # the rich bars
        hook(_step("fr", 1, 2))
        hook(_step("fr", 2, 2))
    assert "locflow: fr" not in stream.getvalue()


EXTRA = "".join(
    f'\n#: app/extra.py:{n}\nmsgid "Extra line number {n}"\nmsgstr ""\n' for n in range(90)
)


@pytest.mark.slow  # two CLI runs
def test_a_run_without_a_tty_prints_progress_lines_to_stderr(
    demo_project, prefect_server, tmp_path
):
    pot = demo_project / "locale" / "messages.pot"
    pot.write_text(pot.read_text(encoding="utf-8") + EXTRA, encoding="utf-8")
    env = {
        "PREFECT_API_URL": prefect_server,
        "LOCFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'progress.db'}",
        "LOCFLOW_PROGRESS_SECONDS": "0",  # every batch: the lines do not depend on speed
    }
    done = run_cli("run", "-l", "fr", cwd=demo_project, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    steps = [m for m in map(LINE.match, done.stderr.splitlines()) if m]
    assert len(steps) >= 3, done.stderr  # 100+ strings in batches of 40
    assert {m["label"] for m in steps} == {"fr"}
    dones = [int(m["done"]) for m in steps]
    total = int(steps[0]["total"])
    assert dones == sorted(dones) and dones[-1] == total >= 100
    requests = [int(m["requests"].replace(",", "")) for m in steps]
    assert requests == sorted(requests) and requests[0] > 0
    assert "locflow: fr" not in done.stdout  # progress never mixes with the output
    quiet = run_cli("run", "-l", "de", "--json", cwd=demo_project, env=env)
    assert quiet.returncode == 0 and json.loads(quiet.stdout)["locales"]["de"]["machine"] > 0
    assert not [m for m in map(LINE.match, quiet.stderr.splitlines()) if m]
