from __future__ import annotations

from pathlib import Path

import pytest

from locflow.settings import ConfigError, load_config

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
            MINIMAL.replace('locales = ["fr", "ru", "ar"]', 'locales = ["fr", "xx_QQ"]'),
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
