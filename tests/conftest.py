"""Shared fixtures: databases (SQLite and a throwaway PostgreSQL database per session) and
one Prefect server per test session."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.env import IN_CI, ROOT, free_port
from tests.support.pg import throwaway_database

# Fixtures shared by several test modules (`server`, `make`: the OpenAI-compatible engine).
pytest_plugins = ["tests.support.compat_engine", "tests.support.review_browser"]

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


# --- PostgreSQL ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    """The server to make throwaway databases on; skips locally, fails loudly in CI."""
    from sqlalchemy import create_engine, text

    url = os.environ.get("LOCFLOW_TEST_PG_URL", DEFAULT_PG)
    try:
        eng = create_engine(url, isolation_level="AUTOCOMMIT")
        with eng.connect() as c:
            c.execute(text("select 1"))
        eng.dispose()
    except Exception as exc:
        reason = f"PostgreSQL not reachable at {url}: {str(exc).splitlines()[0]}"
        if IN_CI:
            pytest.fail(f"CI requires PostgreSQL. {reason}")
        pytest.skip(reason)
    return url


@pytest.fixture(scope="session")
def pg_url(pg_admin_url: str) -> Iterator[str]:
    """A fresh database for this test session, dropped at the end."""
    with throwaway_database(pg_admin_url, "locflow_test") as url:
        yield url


def _reset_pg(url: str) -> None:
    """Empty every table between tests (keeps the migrated schema)."""
    from sqlalchemy import create_engine, text

    from locflow.db.base import Base

    eng = create_engine(url)
    with eng.begin() as c:
        names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        if names:
            c.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    eng.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every DB test runs on both backends."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'locflow.db'}"
    url = request.getfixturevalue("pg_url")
    from locflow.db.session import open_database

    open_database(url)  # migrate once
    _reset_pg(url)
    return url


@pytest.fixture
def Session(db_url: str):
    from locflow.db.session import open_database

    factory = open_database(db_url)
    yield factory
    factory.kw["bind"].dispose()


# --- Prefect ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One real Prefect server for the whole session (cheaper than an ephemeral one per flow)."""
    existing = os.environ.get("LOCFLOW_TEST_PREFECT_API_URL")
    if existing:
        os.environ["PREFECT_API_URL"] = existing
        yield existing
        return
    home = tmp_path_factory.mktemp("prefect-home")
    port = free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
    }
    env.pop("PREFECT_API_URL", None)
    log = open(home / "server.log", "wb")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "prefect"),
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"Prefect server did not start; see {home / 'server.log'}")
        time.sleep(0.5)
    os.environ["PREFECT_API_URL"] = url
    os.environ["PREFECT_HOME"] = str(home)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


# --- gettext ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def msgfmt() -> str:
    path = shutil.which("msgfmt")
    if path is None:
        if IN_CI:
            pytest.fail("CI requires GNU gettext (msgfmt)")
        pytest.skip("GNU gettext's msgfmt is not installed")
    return path


@pytest.fixture
def demo_project(tmp_path: Path) -> Path:
    """A private copy of the bundled example project, catalogues only: its `[[docs]]` table
    (the MkDocs site, built in tests/test_mkdocs_build.py) is left out, so what the tests
    count is the catalogue's 19 strings."""
    dest = tmp_path / "demo"
    shutil.copytree(ROOT / "examples" / "demo", dest)
    toml = dest / "locflow.toml"
    toml.write_text(re.sub(r"^\[\[docs\]\]\n(?:(?!\[).*\n)*", "", toml.read_text(), flags=re.M))
    return dest


@pytest.fixture
def prefect_api(prefect_server: str) -> Iterator[str]:
    """Point this test's flows at the session's Prefect server."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: prefect_server}):
        yield prefect_server


# Property tests explore new examples on every local run; in CI they replay a fixed,
# derandomised set so a landing never depends on luck (failures found locally are kept in
# the example database and become regression tests).
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if IN_CI:
    _hypothesis_settings.load_profile("ci")


# --- the fast tier -------------------------------------------------------------------------

DATABASE_MODULES = frozenset(
    {
        "test_db",
        "test_create_races",
        "test_concurrent_runs",
        "test_review_repo",
        "test_merge_parity",
        "test_usage_ledger",
        "test_fuzz_inputs",
        "test_migration_data",
        "test_pack_sizes",
        "test_work_locks",
    }
)
"""Modules about the database itself (concurrency, constraints, migrations, what a failure
leaves): their PostgreSQL variant runs in `make test-fast` too. Elsewhere the PostgreSQL
variant runs in `make test` (and CI), the SQLite one in both."""


SLOW_ROUND_TRIPS = (
    "test_cli.py::test_run_stats_and_export_check",
    "test_cli.py::test_cost_cap_stops_cleanly_keeping_finished_batches",
    "test_cli.py::test_dry_runs_change_nothing",
    "test_counts.py::test_requests_are_http_attempts_and_paid_requests_those_answered",
    "test_review_cli.py::test_review_list_filters_and_json",
    "test_review_cli.py::test_bulk_approve_from_the_cli",
    "test_docs_cli.py::test_json_shape_and_dry_run",
    "test_exit_codes.py::test_a_missing_template_is_one_line",
    "test_exit_codes.py::test_json_errors_are_an_object_on_stdout",
    "test_exit_codes.py::test_a_closed_database_port_is_one_line",
    "test_exit_codes.py::test_a_closed_stdout_pipe_ends_quietly",
    "test_exit_codes.py::test_an_unreachable_prefect_api_is_one_line",
    "test_run_records.py::test_stats_shows_the_fan_out_parent_not_a_child",
    "test_scale_out.py::test_deploy_needs_a_prefect_server",
    "test_deploy.py::test_serve_refuses_to_start_without_a_prefect_server",
    "test_catalogue_stats.py::test_cli_prints_a_line_per_catalogue_and_json",
    "test_po_corpus.py::test_fields_agree_with_polib",
    "test_estimate.py::test_the_estimate_is_within_30_percent_of_what_is_paid",
    "test_flow.py::test_publish_flow_writes_only_catalogues_that_change",
    "test_glossary_pipeline.py::test_openai_compat_violation_is_stated_in_the_prompt",
)
"""CLI and Prefect round trips (each > 2 s) whose case a pure or pipeline-level test also
holds in the fast tier."""


LONG_FIRST = (
    "test_real_catalogues.py",
    "test_roundtrip_corpus.py",
    "test_wheel.py",
    "test_fan_out_pool.py",
    "test_llama_cpp.py",
    "test_po_corpus.py",
    "test_review_gate.py",
    "test_mkdocs_build.py",
    "test_secrets.py",
)
"""Modules holding the suite's longest tests (one to four minutes each): they start first,
so that `make test`'s two workers (pytest-xdist) do not end on one of them alone."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`make test-fast` stays fast: browser tests (tests/test_review_ui*.py), the PostgreSQL
    variant outside DATABASE_MODULES and SLOW_ROUND_TRIPS are slow tests (each still runs in
    `make test` and in CI). Under pytest-xdist the llama.cpp tests share one worker (one
    server), and the longest modules go first (LONG_FIRST)."""
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        callspec = getattr(item, "callspec", None)
        on_pg = callspec is not None and callspec.params.get("db_url") == "postgresql"
        name = item.nodeid.removeprefix("tests/")
        if (
            module.startswith("test_review_ui")
            or (on_pg and module not in DATABASE_MODULES)
            or name.startswith(SLOW_ROUND_TRIPS)
        ):
            item.add_marker(pytest.mark.slow)
        if "llama_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("llama"))
    items.sort(key=lambda item: not item.nodeid.removeprefix("tests/").startswith(LONG_FIRST))
