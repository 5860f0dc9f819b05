"""Exit 5: a run that finished but left strings, documents or entries undone says so, in its
exit code, its `runs` row (status `partial`) and its text output; `--allow-partial` accepts
known gaps; `[locales.X] engine = false` leaves a locale to translators, which is no gap
(issue 12, cases 1 and 2 of the exit-code contract)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from locflow.db import repo, segment_repo
from locflow.db.models import Run
from locflow.db.session import open_database
from locflow.db.states import State
from locflow.pipeline.docs_export import DocResult
from locflow.pipeline.export import FileResult
from locflow.pipeline.results import DocsRunResult, DocSummary, PublishResult, RunResult
from locflow.pipeline.summary import COMPLETED, PARTIAL, LocaleSummary
from locflow.pipeline.translate import StoreCounts
from locflow.settings import ConfigError, LocaleOptions, UnknownSetting, config_from_mapping
from tests.fakes.qwen_sim import QwenSim
from tests.support.env import free_port, run_cli
from tests.support.po_cases import LATIN9_FR

KEY = "sk-partial-test-0123456789"


@pytest.fixture
def cli_env(prefect_server, tmp_path) -> dict[str, str]:
    return {
        "PREFECT_API_URL": prefect_server,
        "LOCFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "DASHSCOPE_API_KEY": KEY,
    }


def _engine(project: Path, table: str, extra: str = "") -> None:
    toml = project / "locflow.toml"
    text = toml.read_text()
    assert 'name = "pseudo"' in text
    toml.write_text(text.replace('name = "pseudo"', table) + extra)


def _statuses(env: dict[str, str]) -> list[tuple[str, str, str]]:
    """(kind, status, message) of every `runs` row, oldest first."""
    engine = create_engine(env["LOCFLOW_DATABASE_URL"])
    try:
        with engine.connect() as c:
            rows = c.execute(select(Run.kind, Run.status, Run.message).order_by(Run.id))
            return [(r.kind, r.status, r.message) for r in rows]
    finally:
        engine.dispose()


def _partial_lines(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [x for x in done.stderr.splitlines() if x.startswith("locflow: partial: ")]


# --- the typed results: status and gaps ----------------------------------------------------------


def _locale(queued: int, **counts: int) -> LocaleSummary:
    return LocaleSummary("de", queued=queued, counts=StoreCounts(**counts))


def test_a_finished_run_with_deferred_strings_is_partial_and_says_why() -> None:
    result = RunResult(3, "f")
    result.locales["de"] = _locale(5, machine=2, deferred=3)
    result.engine = {"requests": 24, "transient": 24, "rate_limited": 0}
    result.settle()
    assert result.status == PARTIAL
    lines = [g.line() for g in result.gaps()]
    assert any("de: 3 strings deferred" in x for x in lines), lines
    assert any("24" in x and "transient" in x for x in lines), lines
    assert result.message and "3 strings deferred" in result.message
    d = result.to_dict()
    assert d["status"] == "partial" and d["gaps"] == lines
    assert result.recorded_counts()["gaps"] == [g.to_dict() for g in result.gaps()]


def test_an_engine_that_translated_nothing_it_was_asked_is_never_a_success() -> None:
    result = RunResult(1, "f")
    result.locales["de"] = _locale(4)  # nothing stored, nothing deferred, nothing refused
    result.settle()
    assert result.status == PARTIAL
    assert [g.line() for g in result.gaps()] == [
        "de: 4 strings not translated (the engine returned no result)"
    ]


def test_a_locale_the_engine_refuses_is_a_gap_with_the_reason() -> None:
    result = RunResult(1, "f")
    result.locales["ga"] = LocaleSummary("ga", queued=19, error="'ga' is not supported")
    result.settle()
    assert result.status == PARTIAL
    assert [g.line() for g in result.gaps()] == [
        "ga: 19 strings not translated ('ga' is not supported)"
    ]


def test_refusals_and_demoted_entries_are_gaps_and_a_clean_run_has_none() -> None:
    result = RunResult(1, "f")
    result.locales["de"] = _locale(3, machine=2, needs_review=1, issues={"engine": 1})
    demoted = ("'Notes' omitted: charset ISO8859-15 cannot hold 'ĺ'",)
    result.files = [FileResult("locale/de.po", "de", True, True, 2, 0, 3, demoted=demoted)]
    kinds = {g.kind: g.count for g in result.gaps()}
    assert kinds == {"refused": 1, "demoted": 1}
    clean = RunResult(2, "f")
    clean.locales["de"] = _locale(3, machine=2, needs_review=1, issues={"placeholders": 1})
    clean.settle()
    assert clean.gaps() == [] and clean.status == COMPLETED and clean.message is None


def test_a_stopped_run_stays_stopped_and_a_locale_left_to_translators_is_no_gap() -> None:
    stopped = RunResult(1, "f")
    stopped.locales["de"] = _locale(5, deferred=5)
    stopped.stop("cost cap reached")
    stopped.settle()
    assert stopped.status == "stopped" and stopped.message == "cost cap reached"
    held = RunResult(2, "f")
    held.locales["de"] = LocaleSummary("de", left_to_translators=7)
    held.settle()
    assert held.status == COMPLETED and held.gaps() == []
    assert held.to_dict()["locales"]["de"]["left_to_translators"] == 7


def test_a_docs_run_with_a_block_left_in_the_source_language_is_partial() -> None:
    line = "a.md:4: inline code 'x' missing (1x): block left in the source language"
    page = DocResult("a.md", "fr", "out/fr/a.md", 3, 2, 0, 1, True, True, (), (line,))
    result = DocsRunResult(3, "")
    result.locales["fr"] = _locale(3, machine=3)
    result.docs = [DocSummary(page, translated=3)]
    result.settle()
    assert result.status == PARTIAL
    assert [g.line() for g in result.gaps()] == [f"{line} [fr]"]
    assert result.failures() == [f"{line} [fr]"]


def test_a_docs_run_with_a_failed_structure_check_is_partial() -> None:
    broken = DocResult("a.md", "fr", "out/fr/a.md", 3, 2, 0, 1, False, False, ("a.md:4: lost",))
    result = DocsRunResult(3, "")
    result.locales["fr"] = _locale(3, machine=3)
    result.docs = [DocSummary(broken, translated=3)]
    result.settle()
    assert result.status == PARTIAL
    assert [g.line() for g in result.gaps()] == ["a.md:4: lost [fr]: document not written"]
    assert result.to_dict()["gaps"] == ["a.md:4: lost [fr]: document not written"]


def test_an_export_with_demoted_entries_is_partial() -> None:
    demoted = ("'Notes' omitted: charset ISO8859-15 cannot hold 'ĺ'",)
    files = (FileResult("fr.po", "fr", True, True, 2, 0, 3, demoted=demoted),)
    result = PublishResult.of(files)
    assert result.status == PARTIAL
    assert [g.line() for g in result.gaps()] == [f"fr.po: {demoted[0]}"]
    assert PublishResult.of(()).status == COMPLETED


# --- [locales.X] ---------------------------------------------------------------------------------


def _config(locales: dict[str, object]) -> object:
    data = {"project": {"locales": ["fr", "de", "pt_BR"]}, "locales": locales}
    return config_from_mapping(data, root=Path("/tmp"), env={})


def test_locale_options_are_typed_and_default_to_the_engine() -> None:
    config = _config({"de": {"engine": False}, "pt-br": {}})
    assert config.options_for("de") == LocaleOptions(engine=False)
    assert config.options_for("fr") == LocaleOptions() and LocaleOptions().engine is True
    assert config.options_for("pt_BR").engine is True
    assert set(config.locale_options) == {"de", "pt_BR"}


@pytest.mark.parametrize(
    ("locales", "error", "message"),
    [
        ({"de": {"engnie": False}}, UnknownSetting, "[locales.de]: unknown key 'engnie'"),
        ({"it": {"engine": False}}, ConfigError, "[locales.it]: 'it' is not configured"),
        ({"de": {"engine": "no"}}, ConfigError, "engine must be true or false"),
        ({"de": True}, ConfigError, "[locales.de] must be a table"),
        ({"xx-!!": {}}, ConfigError, "xx-!!"),
    ],
)
def test_a_bad_locales_table_is_a_config_error(locales, error, message) -> None:
    with pytest.raises(error) as exc:
        _config(locales)
    assert message in str(exc.value)


def test_an_unknown_key_in_a_locales_table_exits_2(demo_project, tmp_path) -> None:
    toml = demo_project / "locflow.toml"
    toml.write_text(toml.read_text() + "\n[locales.de]\nengin = false\n")
    env = {"LOCFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    done = run_cli("sync", cwd=demo_project, env=env)
    assert done.returncode == 2, done.stderr
    assert "[locales.de]: unknown key 'engin' (did you mean 'engine'?)" in done.stderr


# --- the CLI: a dead engine, a flaky one, a refusing one -----------------------------------------


@pytest.mark.slow
def test_a_dead_engine_exits_5_and_records_a_partial_run(demo_project, cli_env) -> None:
    """The measured case: openai_compat at a closed port gave `completed` and exit 0."""
    url = f"http://127.0.0.1:{free_port()}/v1"
    _engine(demo_project, f'name = "openai_compat"\nbase_url = "{url}"\nmodel = "m"\nretries = 1')
    done = run_cli("run", "--json", "-l", "fr", cwd=demo_project, env=cli_env)
    assert done.returncode == 5, done.stdout + done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "partial"
    assert result["locales"]["fr"]["machine"] == 0 and result["locales"]["fr"]["deferred"] > 0
    assert any("strings deferred" in g for g in result["gaps"]), result["gaps"]
    lines = _partial_lines(done)
    assert any(x.startswith("locflow: partial: fr: ") and "deferred" in x for x in lines)
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("locflow: partial: ")
    assert _statuses(cli_env)[-1][:2] == ("localise", "partial")
    assert "deferred" in _statuses(cli_env)[-1][2]

    text = run_cli("translate", "-l", "fr", cwd=demo_project, env=cli_env)
    assert text.returncode == 5, text.stdout + text.stderr
    assert ": partial" in text.stdout.splitlines()[0]  # `## locflow run N: partial`
    assert _partial_lines(text)

    accepted = run_cli("run", "-l", "fr", "--allow-partial", cwd=demo_project, env=cli_env)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert _partial_lines(accepted)  # still said, and still recorded
    assert [s for _, s, _ in _statuses(cli_env)] == ["partial"] * 3


@pytest.mark.slow
def test_a_flaky_provider_that_leaves_strings_deferred_exits_5(demo_project, cli_env) -> None:
    """The Qwen-MT stand-in fails every call with a 503 and no retry is allowed: the strings
    are deferred, sent once more at the end of the run (the last pass), deferred again and
    counted once; the run is partial, not completed. The next run catches up."""
    with QwenSim(api_key=KEY) as sim:
        _engine(demo_project, f'name = "qwen_mt"\nbase_url = "{sim.base_url}"\nretries = 0')
        sim.script(*["503"] * 200)
        done = run_cli("run", "--json", "-l", "de", cwd=demo_project, env=cli_env)
        first_pass = {json.dumps(b["messages"]) for b in sim.bodies}
        sent_twice = sim.counters.injected["503"] == 2 * len(first_pass)
        sim.reset()
        again = run_cli("run", "--json", "-l", "de", cwd=demo_project, env=cli_env)
    assert done.returncode == 5, done.stdout + done.stderr
    assert sent_twice  # each pack: its one try, and one more in the last pass
    de = json.loads(done.stdout)["locales"]["de"]
    assert de["deferred"] == 19 and de["machine"] + de["needs_review"] == 0
    assert any("de: 19 strings deferred" in x for x in _partial_lines(done))
    assert _statuses(cli_env)[-2][1] == "partial"
    assert again.returncode == 0, again.stdout + again.stderr  # the next run catches up
    assert json.loads(again.stdout)["status"] == "completed"


@pytest.mark.slow
def test_strings_the_engine_refuses_exit_5(demo_project, cli_env) -> None:
    """Content moderation refuses the strings that mention "Export"; the others are done."""
    with QwenSim(api_key=KEY, moderation_marker="Export") as sim:
        _engine(demo_project, f'name = "qwen_mt"\nbase_url = "{sim.base_url}"\nrpm = 6000')
        done = run_cli("run", "-l", "fr", cwd=demo_project, env=cli_env)
    assert done.returncode == 5, done.stdout + done.stderr
    assert any("fr: the engine refused" in x for x in _partial_lines(done)), done.stderr
    assert _statuses(cli_env)[-1][1] == "partial"


@pytest.mark.slow
def test_a_locale_the_engine_does_not_support_exits_5_and_the_others_are_done(
    demo_project, cli_env
) -> None:
    """Qwen-MT has no Irish: ga is refused before any request, fr is translated, exit 5;
    left to translators (`[locales.ga] engine = false`), the same run exits 0."""
    env = {**cli_env, "LOCFLOW_LOCALES": "ga,fr"}
    with QwenSim(api_key=KEY) as sim:
        _engine(demo_project, f'name = "qwen_mt"\nbase_url = "{sim.base_url}"\nrpm = 6000')
        done = run_cli("run", "--json", cwd=demo_project, env=env)
        toml = demo_project / "locflow.toml"
        toml.write_text(toml.read_text() + "\n[locales.ga]\nengine = false\n")
        held = run_cli("run", "--json", cwd=demo_project, env=env)
        targets = {b["translation_options"]["target_lang"] for b in sim.bodies}
    assert done.returncode == 5, done.stdout + done.stderr
    result = json.loads(done.stdout)
    assert result["locales"]["fr"]["machine"] > 0 and "ga" in result["locales"]["ga"]["error"]
    assert any(x.startswith("locflow: partial: ga: ") for x in _partial_lines(done))
    assert held.returncode == 0, held.stdout + held.stderr
    assert json.loads(held.stdout)["locales"]["ga"]["left_to_translators"] > 0
    assert targets == {"French"}


@pytest.mark.slow
def test_a_stop_on_purpose_stays_exit_4(demo_project, cli_env) -> None:
    """A key the provider refuses (401) stops the run: exit 4, not 5, though strings are left."""
    with QwenSim(api_key=KEY) as sim:
        _engine(demo_project, f'name = "qwen_mt"\nbase_url = "{sim.base_url}"')
        env = {**cli_env, "DASHSCOPE_API_KEY": "sk-wrong-key-0123456789"}
        done = run_cli("run", "-l", "fr", cwd=demo_project, env=env)
        accepted = run_cli("run", "-l", "fr", "--allow-partial", cwd=demo_project, env=env)
    assert done.returncode == 4, done.stdout + done.stderr
    assert _statuses(cli_env)[-1][1] == "stopped"
    assert accepted.returncode == 4, accepted.stdout + accepted.stderr


# --- export: demoted entries ---------------------------------------------------------------------


@pytest.mark.slow  # four CLI runs
def test_entries_export_demotes_exit_5(demo_project, cli_env) -> None:
    """A catalogue in ISO-8859-15 cannot hold the pseudo engine's letters: those entries are
    left out, each reported, and the run and the export say partial."""
    fr = demo_project / "locale" / "fr" / "LC_MESSAGES" / "messages.po"
    fr.parent.mkdir(parents=True)
    fr.write_bytes(LATIN9_FR.encode("iso-8859-15"))
    done = run_cli("run", "-l", "fr", cwd=demo_project, env=cli_env)
    assert done.returncode == 5, done.stdout + done.stderr
    assert any("omitted" in x for x in _partial_lines(done)), done.stderr
    assert _statuses(cli_env)[-1][1] == "partial"
    fr.write_bytes(LATIN9_FR.encode("iso-8859-15"))  # back to the human text only
    assert run_cli("sync", "-l", "fr", cwd=demo_project, env=cli_env).returncode == 0
    again = run_cli("export", "--json", "-l", "fr", cwd=demo_project, env=cli_env)
    assert again.returncode == 5, again.stdout + again.stderr
    assert json.loads(again.stdout)["status"] == "partial"
    assert any("'Notes' omitted" in x for x in _partial_lines(again))
    accepted = run_cli("export", "-l", "fr", "--allow-partial", cwd=demo_project, env=cli_env)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr


# --- docs: a page that fails its structure check -------------------------------------------------

DOCS_CONFIG = """\
[project]
name = "partial-docs"
source_locale = "en"
locales = ["fr"]

[[docs]]
include = ["docs/**/*.md"]
output = "build/docs/{locale}/{path}"

[engine]
name = "pseudo"
"""


@pytest.mark.slow  # four CLI runs
def test_a_doc_that_fails_its_structure_check_exits_5(tmp_path, prefect_server) -> None:
    root = tmp_path / "repo"
    (root / "docs").mkdir(parents=True)
    (root / "locflow.toml").write_text(DOCS_CONFIG, encoding="utf-8")
    (root / "docs" / "a.md").write_text("# Alpha\n\nSee the [link](b.md).\n", encoding="utf-8")
    env = {"PREFECT_API_URL": prefect_server}
    assert run_cli("docs", cwd=root, env=env).returncode == 0
    config_db = open_database(f"sqlite:///{root / '.locflow' / 'locflow.db'}")
    with config_db() as s, s.begin():  # a reviewer's edit loses the link
        project = repo.find_project(s, "partial-docs")
        assert project is not None
        source = next(x for x in repo.sources_of(s, project) if x.name == "docs/a.md")
        row = next(r for r in segment_repo.segment_rows(s, source.id) if "[link]" in r.msgid)
        repo.add_version(
            s,
            repo.NewVersion(
                segment_id=row.id, locale="fr", forms=("Voir le lien.",), state=State.APPROVED,
                origin="human", source_hash=row.source_hash, author="reviewer",
            ),
        )  # fmt: skip
    config_db.kw["bind"].dispose()
    failed = run_cli("docs", "--json", cwd=root, env=env)
    assert failed.returncode == 5, failed.stdout + failed.stderr
    result = json.loads(failed.stdout)
    assert result["status"] == "partial" and result["failed"]
    assert any("link target 'b.md' missing" in x for x in _partial_lines(failed)), failed.stderr
    assert _statuses({"LOCFLOW_DATABASE_URL": f"sqlite:///{root / '.locflow/locflow.db'}"})[-1][
        :2
    ] == ("translate_docs", "partial")
    dry = run_cli("docs", "--dry-run", cwd=root, env=env)
    assert dry.returncode == 5, dry.stdout + dry.stderr
    accepted = run_cli("docs", "--allow-partial", cwd=root, env=env)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr


# --- [locales.X] engine = false ------------------------------------------------------------------


@pytest.mark.slow
def test_a_locale_left_to_translators_is_synced_exported_never_sent(demo_project, cli_env) -> None:
    toml = demo_project / "locflow.toml"
    toml.write_text(toml.read_text() + "\n[locales.de]\nengine = false\n")
    with QwenSim(api_key=KEY) as sim:
        _engine(demo_project, f'name = "qwen_mt"\nbase_url = "{sim.base_url}"\nrpm = 6000')
        dry = run_cli("translate", "--dry-run", "-l", "fr,de", cwd=demo_project, env=cli_env)
        assert dry.returncode == 0, dry.stderr
        assert "de: engine = false" in dry.stdout
        done = run_cli("run", "--json", "-l", "fr,de", cwd=demo_project, env=cli_env)
        targets = {b["translation_options"]["target_lang"] for b in sim.bodies}
    assert done.returncode == 0, done.stdout + done.stderr
    assert targets == {"French"}  # nothing was sent for de
    result = json.loads(done.stdout)
    assert result["status"] == "completed" and result["gaps"] == []
    de = result["locales"]["de"]
    assert (de["queued"], de["requests"], de["machine"], de["deferred"]) == (0, 0, 0, 0)
    assert de["left_to_translators"] > 0
    assert result["locales"]["fr"]["machine"] > 0
    de_po = demo_project / "locale" / "de" / "LC_MESSAGES" / "messages.po"
    assert de_po.exists()
    assert _statuses(cli_env)[-1][1] == "completed"
