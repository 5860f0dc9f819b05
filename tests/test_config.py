from __future__ import annotations

from pathlib import Path

import pytest

from locflow.settings import (
    ENGINE_NAMES,
    SCHEDULE_FLOWS,
    CatalogSpec,
    ConfigError,
    DocsSpec,
    EngineSettings,
    ExportSettings,
    Prices,
    ScheduleSpec,
    UiSettings,
    UnknownSetting,
    load_config,
)
from tests.support.env import run_cli

MINIMAL = """
[project]
source_locale = "en"
locales = ["fr", "ru", "ar"]

[[catalogs]]
template = "locale/messages.pot"
path = "locale/{locale}/LC_MESSAGES/messages.po"

[engine]
name = "pseudo"
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "locflow.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_the_documented_shape_loads_with_defaults(tmp_path):
    cfg = load_config(write(tmp_path, MINIMAL), env={})
    assert cfg.locales == ("fr", "ru", "ar")
    assert cfg.source_locale == "en"
    assert cfg.database_url == f"sqlite:///{tmp_path / '.locflow' / 'locflow.db'}"
    assert cfg.engine.name == "pseudo"
    assert cfg.export.machine == "fuzzy"
    (src,) = cfg.catalog_sources()
    assert src.name == "locale/messages.pot"
    assert src.catalog_path("fr") == tmp_path / "locale/fr/LC_MESSAGES/messages.po"


def test_environment_overrides_the_file(tmp_path):
    env = {
        "LOCFLOW_DATABASE_URL": "postgresql+psycopg://u@h/db",
        "LOCFLOW_LOCALES": "de, pt-BR",
        "LOCFLOW_ENGINE_NAME": "qwen_mt",
    }
    cfg = load_config(write(tmp_path, MINIMAL), env=env)
    assert cfg.database_url == "postgresql+psycopg://u@h/db"
    assert cfg.locales == ("de", "pt_BR")
    assert cfg.engine.name == "qwen_mt"


def test_relative_sqlite_paths_are_relative_to_the_file(tmp_path):
    text = MINIMAL.replace("[project]", '[project]\ndatabase = "sqlite:///state/l.db"')
    cfg = load_config(write(tmp_path, text), env={})
    assert cfg.database_url == f"sqlite:///{(tmp_path / 'state/l.db').resolve()}"


def test_glob_templates_expand_with_name(tmp_path):
    (tmp_path / "locale").mkdir()
    for n in ("app", "errors"):
        (tmp_path / "locale" / f"{n}.pot").write_text("")
    text = MINIMAL.replace('template = "locale/messages.pot"', 'template = "locale/*.pot"').replace(
        "messages.po", "{name}.po"
    )
    cfg = load_config(write(tmp_path, text), env={})
    names = [(s.name, s.relative_catalog_path("fr")) for s in cfg.catalog_sources()]
    assert names == [
        ("locale/app.pot", "locale/fr/LC_MESSAGES/app.po"),
        ("locale/errors.pot", "locale/fr/LC_MESSAGES/errors.po"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            MINIMAL.replace('locales = ["fr", "ru", "ar"]', 'locales = ["fr", "x1"]'),
            "unknown locale",
        ),
        (MINIMAL + '\n[export]\nmachine = "always"\n', "[export] machine"),
        (MINIMAL.replace("[engine]", "[engin]"), "unknown section [engin]"),
        (MINIMAL.replace('name = "pseudo"', 'nmae = "pseudo"'), "unknown key 'nmae'"),
        (MINIMAL.replace("{locale}/", ""), "needs {locale}"),
        ("[project\n", "invalid TOML"),
    ],
)
def test_bad_configuration_is_one_clear_line(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    assert message in str(err.value)
    assert str(path) in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml", env={})


# --- every table: unknown keys, typed values -------------------------------------------------

EVERY_TABLE = """
[project]
name = "shop"
source_locale = "en"
locales = ["fr", "pt-BR"]
database = "sqlite:///state/l.db"

[[catalogs]]
template = "locale/*.pot"
path = "locale/{locale}/LC_MESSAGES/{name}.po"

[engine]
name = "openai_compat"
model = "gemma"
base_url = "http://127.0.0.1:8080/v1"
region = "singapore"
domains = "a web shop"
rpm = 600
tpm = 50000.5
concurrency = 2
pack = false
timeout = 30
prices = { input = 1, output = 2.5 }
shared_limits = false
mode = "completion"
pack_size = 4

[export]
machine = "omit"
mo = false

[[docs]]
include = ["docs/**/*.md"]
exclude = "docs/drafts/**"
output = "build/{locale}/{path}"

[[glossaries]]
path = "glossary.csv"

[[schedules]]
name = "nightly"
flow = "publish"
cron = "0 2 * * *"
timezone = "Europe/Berlin"
parameters = { locales = ["fr"] }
description = "every night"

[[schedules]]
cron = "5 * * * *"

[ui]
host = "0.0.0.0"
port = 9000
"""


def test_every_table_is_parsed_into_typed_values(tmp_path):
    cfg = load_config(write(tmp_path, EVERY_TABLE), env={})
    assert (cfg.project, cfg.source_locale, cfg.locales) == ("shop", "en", ("fr", "pt_BR"))
    assert cfg.catalogs == (CatalogSpec("locale/*.pot", "locale/{locale}/LC_MESSAGES/{name}.po"),)
    assert cfg.engine == EngineSettings(
        name="openai_compat",
        model="gemma",
        base_url="http://127.0.0.1:8080/v1",
        region="singapore",
        domains="a web shop",
        rpm=600,
        tpm=50000.5,
        concurrency=2,
        pack=False,
        timeout=30,
        prices=Prices(1.0, 2.5),
        shared_limits=False,
        extra=(("mode", "completion"), ("pack_size", 4)),
    )
    assert cfg.engine.option("mode") == "completion"
    assert cfg.export == ExportSettings(machine="omit", mo=False)
    assert cfg.docs == (DocsSpec(("docs/**/*.md",), ("docs/drafts/**",), "build/{locale}/{path}"),)
    assert cfg.docs[0].front_matter == ("title", "description")
    assert cfg.glossaries == (tmp_path / "glossary.csv",)
    assert cfg.schedules == (
        ScheduleSpec("nightly", "publish", "0 2 * * *", "Europe/Berlin", {"locales": ["fr"]},
                     "every night"),
        ScheduleSpec("localise", "localise", "5 * * * *"),
    )  # fmt: skip
    assert cfg.ui == UiSettings(host="0.0.0.0", port=9000)


def test_absent_tables_take_their_defaults(tmp_path):
    cfg = load_config(write(tmp_path, MINIMAL), env={})
    assert (cfg.docs, cfg.glossaries, cfg.schedules) == ((), (), ())
    assert cfg.ui == UiSettings(host="127.0.0.1", port=8765)
    assert (cfg.engine.prices, cfg.engine.shared_limits, cfg.engine.extra) == (None, None, ())


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('name = "shop"', 'nmae = "shop"', "[project]: unknown key 'nmae' (did you mean 'name'?)"),
        (
            'template = "locale',
            'tempalte = "locale',
            "[[catalogs]] #1: unknown key 'tempalte' (did you mean 'template'?)",
        ),
        (
            "pack_size = 4",
            "pack_sise = 4",
            "[engine]: unknown key 'pack_sise' (did you mean 'pack_size'?)",
        ),
        (
            "input = 1,",
            "inptu = 1,",
            "[engine] prices: unknown key 'inptu' (did you mean 'input'?)",
        ),
        ("mo = false", "moo = false", "[export]: unknown key 'moo' (did you mean 'mo'?)"),
        (
            'exclude = "docs',
            'exlude = "docs',
            "[[docs]] #1: unknown key 'exlude' (did you mean 'exclude'?)",
        ),
        (
            'path = "glossary.csv"',
            'pth = "glossary.csv"',
            "[[glossaries]] #1: unknown key 'pth' (did you mean 'path'?)",
        ),
        (
            'cron = "5 * * * *"',
            'cron = "5 * * * *"\nwhen = 1',
            "[[schedules]] #2: unknown key 'when'",
        ),
        ("port = 9000", "prot = 9999", "[ui]: unknown key 'prot' (did you mean 'port'?)"),
        ("port = 9000", "zzz = 1", "[ui]: unknown key 'zzz'"),
        ("[ui]", "[uii]", "unknown section [uii] (did you mean [ui]?)"),
    ],
)
def test_an_unknown_key_in_any_table_names_the_file_table_and_key(tmp_path, old, new, message):
    assert old in EVERY_TABLE
    path = write(tmp_path, EVERY_TABLE.replace(old, new, 1))
    with pytest.raises(UnknownSetting) as err:
        load_config(path, env={})
    assert str(err.value).startswith(f"{path}: ")
    assert str(err.value).endswith(message)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("port = 9000", 'port = "9000"', "[ui]: port must be a whole number, not '9000'"),
        ('host = "0.0.0.0"', "host = 0", "[ui]: host must be a string, not 0"),
        ("rpm = 600", 'rpm = "fast"', "[engine]: rpm must be a number, not 'fast'"),
        ("rpm = 600", "rpm = true", "[engine]: rpm must be a number, not True"),
        ("concurrency = 2", "concurrency = 1.5", "concurrency must be a whole number, not 1.5"),
        ("pack = false", 'pack = "no"', "[engine]: pack must be true or false, not 'no'"),
        ("shared_limits = false", "shared_limits = 1", "shared_limits must be true or false"),
        ("prices = { input = 1, output = 2.5 }", "prices = 3", "[engine] prices: must be a table"),
        ("input = 1,", 'input = "1",', "[engine] prices: input must be a number, not '1'"),
        ("mo = false", 'mo = "no"', "[export]: mo must be true or false, not 'no'"),
        ('database = "sqlite:///state/l.db"', "database = 5", "database must be a string"),
        ('path = "glossary.csv"', "", "[[glossaries]] #1: needs path"),
        ("{name}.po", "x.po", "[[catalogs]] #1: template 'locale/*.pot' is a glob, so its path"),
        ("[[docs]]", "[docs]", "[docs] must be written [[docs]] (an array of tables)"),
        ("[ui]", "[[ui]]", "[ui] must be a table"),
        ('flow = "publish"', 'flow = "nope"', "[[schedules]] #1: unknown flow 'nope'; use one of"),
        ('cron = "5 * * * *"', 'name = "nightly"\ncron = "5 * * * *"', "duplicate schedule name"),
    ],
)
def test_a_value_of_the_wrong_kind_is_one_line_at_load(tmp_path, old, new, message):
    assert old in EVERY_TABLE
    path = write(tmp_path, EVERY_TABLE.replace(old, new, 1))
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    assert message in str(err.value) and str(path) in str(err.value)
    assert "\n" not in str(err.value) and not isinstance(err.value, UnknownSetting)


def test_an_unknown_engine_name_lists_the_known_ones(tmp_path):
    path = write(tmp_path, MINIMAL.replace('name = "pseudo"', 'name = "deepl"'))
    with pytest.raises(UnknownSetting) as err:
        load_config(path, env={})
    assert str(err.value) == (
        f"{path}: [engine]: unknown engine 'deepl'; known engines: openai_compat, pseudo, qwen_mt"
    )
    with pytest.raises(UnknownSetting, match=r"'deepl' \(from LOCFLOW_ENGINE_NAME\)"):
        load_config(write(tmp_path, MINIMAL), env={"LOCFLOW_ENGINE_NAME": "deepl"})


def test_settings_know_the_registry_engines_and_the_served_flows():
    """settings may not import the engines or Prefect: their names are kept in step here."""
    from locflow.connectors.engines.registry import ENGINES
    from locflow.flows.deploy import flows_by_name

    assert sorted(ENGINE_NAMES) == sorted(ENGINES)
    assert sorted(SCHEDULE_FLOWS) == sorted(flows_by_name())


def test_environment_overrides_are_typed_and_checked_like_the_file(tmp_path):
    env = {
        "LOCFLOW_ENGINE_NAME": "qwen_mt",
        "LOCFLOW_ENGINE_MODEL": "qwen-mt-plus",
        "LOCFLOW_ENGINE_BASE_URL": "http://sim/v1",
        "LOCFLOW_ENGINE_REGION": "beijing",
    }
    engine = load_config(write(tmp_path, MINIMAL), env=env).engine
    assert (engine.name, engine.model, engine.base_url, engine.region) == (
        "qwen_mt",
        "qwen-mt-plus",
        "http://sim/v1",
        "beijing",
    )


UI_TYPO = MINIMAL + "\n[ui]\nprot = 9999\n"
DEEPL = MINIMAL.replace('name = "pseudo"', 'name = "deepl"')


@pytest.mark.parametrize(
    ("command", "text", "message"),
    [
        ("sync", UI_TYPO, "[ui]: unknown key 'prot' (did you mean 'port'?)"),
        ("stats", UI_TYPO, "[ui]: unknown key 'prot' (did you mean 'port'?)"),
        (
            "run",
            DEEPL,
            "[engine]: unknown engine 'deepl'; known engines: openai_compat, pseudo, qwen_mt",
        ),
    ],
)
def test_an_unknown_key_or_engine_stops_every_command_with_exit_2(tmp_path, command, text, message):
    path = write(tmp_path, text).resolve()
    done = run_cli(command, cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"locflow: error: {path}: {message}\n"


def test_doctor_reports_an_unknown_key_as_a_failed_finding(tmp_path):
    """doctor lists findings instead of stopping: the config line fails and it exits 1."""
    path = write(tmp_path, UI_TYPO).resolve()
    done = run_cli("doctor", "--no-engine", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout == f"FAIL config: {path}: [ui]: unknown key 'prot' (did you mean 'port'?)\n"


# --- the database URL, checked at load (issue 12) -----------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://scott:tiger-secret@db/x", "driver 'MySQLdb' is not installed"),
        ("nosql://db/x", "unknown database dialect 'nosql'"),
        ("not a url", "is not a database URL"),
    ],
)
def test_a_database_url_needs_a_known_dialect_and_its_driver(tmp_path, url, expected):
    with pytest.raises(ConfigError, match=expected) as caught:
        load_config(write(tmp_path, MINIMAL), env={"LOCFLOW_DATABASE_URL": url})
    assert "tiger-secret" not in str(caught.value)
    assert "LOCFLOW_DATABASE_URL" in str(caught.value)


def test_an_sqlite_folder_outside_the_project_must_exist(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    missing = tmp_path / "elsewhere" / "x.db"
    text = MINIMAL.replace("[project]", f'[project]\ndatabase = "sqlite:///{missing}"')
    with pytest.raises(ConfigError, match="does not exist") as caught:
        load_config(write(project, text), env={})
    assert "[project]: database sqlite:" in str(caught.value)
    existing = load_config(write(project, text.replace("elsewhere/", "")), env={})
    assert existing.database_url == f"sqlite:///{tmp_path / 'x.db'}"


def test_an_sqlite_folder_inside_the_project_is_created_on_first_use(tmp_path):
    from locflow.db.session import open_database

    text = MINIMAL.replace("[project]", '[project]\ndatabase = "sqlite:///state/l.db"')
    cfg = load_config(write(tmp_path, text), env={})
    open_database(cfg.database_url).kw["bind"].dispose()
    assert (tmp_path / "state" / "l.db").exists()
    deeper = MINIMAL.replace("[project]", '[project]\ndatabase = "sqlite:///a/b/l.db"')
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(write(tmp_path, deeper), env={})


def test_the_engine_creates_no_chain_of_folders(tmp_path):
    """Whatever the caller, db.session creates at most the database's own folder."""
    from locflow.db.session import create_db_engine

    create_db_engine(f"sqlite:///{tmp_path / 'a' / 'b' / 'x.db'}").dispose()
    assert not (tmp_path / "a").exists()
