"""Locales outside CLDR are accepted (issue 13, case 1): Django ships catalogues for `udm`
(Udmurt), which Babel does not know. A code shaped `ll[l][_CC|_Ssss][@mod]` (private-use
`qaa`-`qtz` included) is kept as written with a one-line warning; its plural rule is the
catalogue's own Plural-Forms, else `[locales.X] plural_forms`, else CLDR; `[locales.X] name`
is the engine's language name. Anything else is still a config error (exit 2)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from babel.messages.plurals import get_plural

from locflow.catalog.locales import UnknownLocale, english_name, in_cldr, normalise_locale
from locflow.catalog.plurals import NoPluralRule, plural_info
from locflow.connectors.engines.base import Request
from locflow.connectors.engines.languages import UnsupportedLanguage, qwen_language
from locflow.connectors.engines.prompts import chat_messages, language_name
from locflow.connectors.po import read_po
from locflow.settings import ConfigError, config_from_mapping
from tests.fakes.qwen_sim import QwenSim
from tests.support.env import ROOT, run_cli

FIXTURE = ROOT / "tests" / "fixtures" / "outside_cldr"
UDM_RULE = "nplurals=1; plural=0;"  # the header of Django's udm catalogue
QAA_RULE = "nplurals=3; plural=(n==1 ? 0 : n==2 ? 1 : 2);"
KEY = "sk-outside-cldr-0123456789"

TOML = """\
[project]
name = "outside-cldr"
source_locale = "en"
locales = [{locales}]

[[catalogs]]
template = "locale/django.pot"
path = "locale/{{locale}}/LC_MESSAGES/django.po"

[engine]
{engine}

[export]
machine = "fuzzy"
mo = false
{extra}"""


def project(tmp: Path, locales: str, extra: str = "", engine: str = 'name = "pseudo"') -> Path:
    root = tmp / "project"
    shutil.copytree(FIXTURE, root)
    (root / "locflow.toml").write_text(TOML.format(locales=locales, engine=engine, extra=extra))
    return root


def catalogue(root: Path, locale: str) -> Path:
    return root / "locale" / locale / "LC_MESSAGES" / "django.po"


def warnings(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [x for x in done.stderr.splitlines() if x.startswith("locflow: warning: ")]


@pytest.fixture
def cli_env(prefect_server, tmp_path) -> dict[str, str]:
    return {
        "PREFECT_API_URL": prefect_server,
        "LOCFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "DASHSCOPE_API_KEY": KEY,
    }


# --- codes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "kept"),
    [
        ("udm", "udm"),
        ("qaa", "qaa"),
        ("qtz", "qtz"),
        ("UDM_ru", "udm_RU"),
        ("xx-latn", "xx_Latn"),
        ("udm@test", "udm@test"),
        ("tlh", "tlh"),
    ],
)
def test_a_code_outside_cldr_shaped_like_a_locale_is_kept(code: str, kept: str) -> None:
    assert not in_cldr(kept)
    assert normalise_locale(code) == kept


@pytest.mark.parametrize(
    "code", ["english", "x1", "u", "udm_RU_x", "udm_Latn_RU", "qaa_1234", "xx-nope", "udm_QQ", ""]
)
def test_anything_else_is_still_an_unknown_locale(code: str) -> None:
    with pytest.raises(UnknownLocale):
        normalise_locale(code)


def test_known_locales_are_unchanged() -> None:
    assert [normalise_locale(c) for c in ("pt-br", "zh-Hant-TW", "es-419")] == [
        "pt_BR",
        "zh_Hant_TW",
        "es_419",
    ]
    assert in_cldr("fr") and in_cldr("sr@latin")


def _config(locales: list[str], tables: dict[str, object] | None = None):
    data = {"project": {"locales": locales}, "locales": tables or {}}
    return config_from_mapping(data, root=Path("/tmp"), env={})


def test_the_config_warns_once_for_the_codes_outside_cldr() -> None:
    config = _config(["fr", "udm", "qaa"])
    assert config.locales == ("fr", "udm", "qaa")
    (line,) = config.warnings
    assert "outside CLDR, kept as written: udm, qaa (" in line
    assert _config(["fr", "de"]).warnings == ()


@pytest.mark.parametrize(
    ("tables", "message"),
    [
        ({"qaa": {"plural_forms": "nplurals=two"}}, "[locales.qaa]: plural_forms: malformed"),
        ({"qaa": {"plural_forms": "nplurals=2; plural=n+;"}}, "[locales.qaa]: plural_forms:"),
        ({"qaa": {"plural_forms": "nplurals=2; plural=n;"}}, "beyond nplurals"),
        ({"qaa": {"plural_forms": 2}}, "[locales.qaa]: plural_forms must be a string"),
        ({"qaa": {"name": ""}}, "[locales.qaa]: name must not be empty"),
    ],
)
def test_a_bad_plural_forms_or_name_is_a_config_error_naming_the_key(tables, message) -> None:
    with pytest.raises(ConfigError) as exc:
        _config(["qaa"], tables)
    assert message in str(exc.value)


# --- plural rule and name: the catalogue, then [locales.X], then CLDR -------------------------


def test_plural_rule_order_catalogue_then_setting_then_cldr() -> None:
    _config(
        ["udm", "qaa", "fr"], {"qaa": {"plural_forms": QAA_RULE}, "fr": {"plural_forms": UDM_RULE}}
    )
    assert plural_info("qaa").nplurals == 3  # the setting
    assert plural_info("qaa", "nplurals=2; plural=(n != 1);").nplurals == 2  # the catalogue
    assert plural_info("fr").nplurals == 1  # the setting comes before CLDR
    assert plural_info("fr", "nplurals=2; plural=(n > 1);").nplurals == 2
    assert plural_info("udm", UDM_RULE).nplurals == 1
    with pytest.raises(NoPluralRule) as exc:
        plural_info("udm")
    assert "[locales.udm] plural_forms" in str(exc.value)
    _config(["fr"])  # the next configuration has no such rules
    assert plural_info("fr").header == get_plural("fr").plural_forms  # CLDR's again


def test_name_gives_the_engine_language_name() -> None:
    _config(["udm", "qaa"], {"udm": {"name": "Udmurt"}, "qaa": {"name": "Cebuano"}})
    assert english_name("udm") == "Udmurt" and language_name("udm") == "Udmurt"
    system = chat_messages([Request("1", "Hello", "en", "udm")])[0]["content"]
    assert "from English to Udmurt" in system  # the openai_compat prompt
    assert qwen_language("qaa") == "Cebuano"  # one of Qwen-MT's names: taken as it is
    with pytest.raises(UnsupportedLanguage) as exc:
        qwen_language("udm")  # not one of its names: refused before sending
    assert "'Udmurt'" in str(exc.value)
    _config(["udm"])
    assert language_name("udm") == "udm"
    with pytest.raises(UnsupportedLanguage):
        qwen_language("udm")


# --- the pipeline, through the CLI ------------------------------------------------------------


def _msgfmt_ok(msgfmt: str, path: Path) -> None:
    done = subprocess.run([msgfmt, "-c", "-o", "/dev/null", str(path)], capture_output=True)
    assert done.returncode == 0, done.stderr.decode()


def _header(path: Path) -> dict[str, str]:
    return dict(read_po(path).header_fields())


@pytest.mark.slow
def test_django_udm_and_a_private_use_code_sync_run_and_export(tmp_path, cli_env, msgfmt):
    extra = f'\n[locales.qaa]\nplural_forms = "{QAA_RULE}"\n'
    root = project(tmp_path, '"fr", "udm", "qaa"', extra)
    synced = run_cli("sync", cwd=root, env=cli_env)
    assert synced.returncode == 0, synced.stderr
    assert len(warnings(synced)) == 1 and "udm, qaa" in warnings(synced)[0]
    done = run_cli("run", "--json", cwd=root, env=cli_env)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "completed" and result["gaps"] == []
    for locale in ("fr", "udm", "qaa"):
        assert not result["locales"][locale].get("error"), result["locales"][locale]
        _msgfmt_ok(msgfmt, catalogue(root, locale))
    udm = read_po(catalogue(root, "udm"))
    assert udm.plural_forms() == UDM_RULE  # the catalogue's own rule, kept
    assert _header(catalogue(root, "udm"))["Language"] == "udm"
    assert {e.segment.msgid: e.forms for e in udm.entries}["%(size)d byte"] == ("%(size)d байт",)
    qaa = read_po(catalogue(root, "qaa"))  # new: Language and the configured rule
    assert _header(catalogue(root, "qaa"))["Language"] == "qaa"
    assert qaa.plural_forms() == QAA_RULE
    plural = next(e for e in qaa.entries if e.segment.msgid == "%(size)d byte")
    assert len(plural.forms) == 3 and all(plural.forms)
    assert read_po(catalogue(root, "fr")).plural_forms() == get_plural("fr").plural_forms
    quiet = run_cli("sync", "-q", cwd=root, env=cli_env)
    assert quiet.returncode == 0 and warnings(quiet) == []
    doctor = run_cli("doctor", "--no-engine", cwd=root, env=cli_env)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert [x for x in doctor.stdout.splitlines() if x.startswith("WARN config: ") and "udm" in x]


@pytest.mark.parametrize("code", ["english", "x1"])
def test_a_bad_code_is_still_exit_2(tmp_path, code) -> None:
    root = project(tmp_path, f'"fr", "{code}"')
    done = run_cli("sync", cwd=root, env={"LOCFLOW_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"unknown locale '{code}'" in done.stderr.strip().splitlines()[-1]


def test_l_takes_a_code_outside_cldr_and_refuses_a_bad_one(tmp_path) -> None:
    root = project(tmp_path, '"fr", "udm"')
    env = {"LOCFLOW_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    done = run_cli("sync", "--json", "-l", "udm", cwd=root, env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["imported"] == 4  # udm's translated entries
    bad = run_cli("sync", "-l", "english", cwd=root, env=env)
    assert bad.returncode == 2, bad.stderr
    assert "-l english: unknown locale 'english'" in bad.stderr


@pytest.mark.slow
def test_a_plural_template_and_a_code_without_any_rule_is_exit_2(tmp_path, cli_env) -> None:
    """Found at sync; and at export, for a database synced without that locale."""
    root = project(tmp_path, '"fr", "qaa"')
    refused = run_cli("sync", cwd=root, env=cli_env)
    fr_only = run_cli("sync", cwd=root, env={**cli_env, "LOCFLOW_LOCALES": "fr"})
    assert fr_only.returncode == 0, fr_only.stderr
    export = run_cli("export", cwd=root, env=cli_env)
    for done in (refused, export):
        assert done.returncode == 2, done.stdout + done.stderr
        last = done.stderr.strip().splitlines()[-1]
        assert last.startswith("locflow: error: locale/django.pot: locale 'qaa'"), last
        assert "[locales.qaa] plural_forms" in last
    assert not catalogue(root, "fr").exists()  # all or nothing: no catalogue was written


@pytest.mark.slow
def test_without_plural_entries_no_rule_is_needed_and_none_is_made_up(tmp_path, cli_env, msgfmt):
    root = project(tmp_path, '"qaa"')
    pot = root / "locale" / "django.pot"
    pot.write_text(pot.read_text().split('\n#, python-format\nmsgid ""\n')[0] + "\n")
    done = run_cli("run", cwd=root, env=cli_env)
    assert done.returncode == 0, done.stdout + done.stderr
    path = catalogue(root, "qaa")
    _msgfmt_ok(msgfmt, path)
    assert read_po(path).plural_forms() is None and _header(path)["Language"] == "qaa"


@pytest.mark.slow
def test_qwen_mt_refuses_udm_without_a_name_exit_5_and_does_the_others(tmp_path, cli_env):
    with QwenSim(api_key=KEY) as sim:
        engine = f'name = "qwen_mt"\nbase_url = "{sim.base_url}"\nrpm = 6000'
        root = project(tmp_path, '"fr", "udm"', engine=engine)
        done = run_cli("run", "--json", cwd=root, env=cli_env)
        targets = {b["translation_options"]["target_lang"] for b in sim.bodies}
    assert done.returncode == 5, done.stdout + done.stderr
    result = json.loads(done.stdout)
    assert "udm" in result["locales"]["udm"]["error"]
    assert result["locales"]["fr"]["machine"] > 0
    assert any(x.startswith("locflow: partial: udm: ") for x in done.stderr.splitlines())
    assert targets == {"French"}  # nothing was sent for udm
    assert read_po(catalogue(root, "udm")).plural_forms() == UDM_RULE  # still exported
