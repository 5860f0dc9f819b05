"""`locflow init` finds what a project has: Babel (WTForms' layout), Sphinx and Django trees
built in tmp_path as the real projects lay them out, and the locflow.toml it writes loads
and points at the files found."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from locflow.pipeline.discover import discover
from locflow.pipeline.discover_sphinx import literal_assignments
from locflow.pipeline.starter import starter_toml
from locflow.settings import load_config
from tests.support.env import run_cli
from tests.support.layouts import POT, django_tree, po, sphinx_tree, write, wtforms_tree


def written_config(root: Path) -> Path:
    """The locflow.toml init would write, written, checked loadable and pointing at files."""
    (root / "locflow.toml").write_text(starter_toml(discover(root)), encoding="utf-8")
    config = load_config(root / "locflow.toml", env={})
    for src in config.catalog_sources():
        assert src.template.is_file(), src.template
    return root / "locflow.toml"


def test_wtforms_layout_template_catalogues_and_locales(tmp_path):
    wtforms_tree(tmp_path)
    found = discover(tmp_path)
    assert [(f.template, f.path) for f in found.catalogs] == [
        (
            "src/wtforms/locale/wtforms.pot",
            "src/wtforms/locale/{locale}/LC_MESSAGES/wtforms.po",
        )
    ]
    assert found.catalogs[0].origin == "Babel extract_messages output_file"
    assert found.locales == ("cs_CZ", "de", "fr", "zh_TW")
    assert dict(found.left_out) == {"en": "the source locale"}
    config = load_config(written_config(tmp_path), env={})
    assert config.locales == ("cs_CZ", "de", "fr", "zh_TW")
    (src,) = config.catalog_sources()
    assert all(src.catalog_path(loc).is_file() for loc in config.locales)


def test_babel_settings_name_a_template_that_is_not_built_yet(tmp_path):
    write(tmp_path, "setup.cfg", "[extract_messages]\noutput_file = app/i18n/app.pot\n")
    write(tmp_path, "app/i18n/fr/LC_MESSAGES/app.po", po("fr"))
    found = discover(tmp_path)
    assert any("app/i18n/app.pot, which does not exist yet" in n for n in found.notes)
    # no template: the French catalogue stands in until the .pot exists
    assert found.catalogs[0].template == "app/i18n/fr/LC_MESSAGES/app.po"


def test_pyproject_distutils_section_names_the_template(tmp_path):
    write(
        tmp_path,
        "pyproject.toml",
        '[tool.distutils.extract_messages]\noutput_file = "pkg/translations/messages.pot"\n'
        '[tool.distutils.update_catalog]\noutput_dir = "pkg/translations"\n',
    )
    write(tmp_path, "pkg/translations/messages.pot", POT)
    write(tmp_path, "pkg/translations/es/LC_MESSAGES/messages.po", po("es"))
    (found,) = discover(tmp_path).catalogs
    assert found.template == "pkg/translations/messages.pot"
    assert found.path == "pkg/translations/{locale}/LC_MESSAGES/messages.po"
    assert found.locales == ("es",)


def test_gnu_layout_po_files_beside_the_template(tmp_path):
    write(tmp_path, "po/hello.pot", POT)
    write(tmp_path, "po/fr.po", po("fr"))
    write(tmp_path, "po/pt_BR.po", po("pt_BR"))
    write(tmp_path, "po/qaa.po", po("qaa"))  # private use: not in Babel, kept (issue 13)
    write(tmp_path, "src/app.po", po("fr"))  # no locale folder, no locale name: not a catalogue
    (found,) = discover(tmp_path).catalogs
    assert (found.template, found.path) == ("po/hello.pot", "po/{locale}.po")
    assert discover(tmp_path).locales == ("fr", "pt_BR", "qaa")  # outside CLDR: kept
    assert dict(discover(tmp_path).left_out) == {}


def test_sphinx_conf_is_read_not_run_and_built_templates_are_listed_each(tmp_path):
    sphinx_tree(tmp_path, built=True)
    found = discover(tmp_path)
    assert not (tmp_path / "SIDE_EFFECT").exists()
    assert [(f.template, f.path) for f in found.catalogs] == [
        ("docs/_build/gettext/index.pot", "docs/locale/{locale}/LC_MESSAGES/index.po"),
        (
            "docs/_build/gettext/usage/intro.pot",
            "docs/locale/{locale}/LC_MESSAGES/usage/intro.po",
        ),
    ]
    assert "gettext_compact = False" in found.catalogs[0].origin
    assert found.locales == ("fr", "ja")
    config = load_config(written_config(tmp_path), env={})
    assert [s.catalog_path("fr").is_file() for s in config.catalog_sources()] == [True, True]


def test_sphinx_before_the_gettext_build_gets_a_glob_and_says_so(tmp_path):
    sphinx_tree(tmp_path, built=False)
    write(tmp_path, "docs/Makefile", "SPHINXOPTS    ?=\nBUILDDIR      = out\n")
    (found,) = discover(tmp_path).catalogs
    assert (found.template, found.path) == (
        "docs/out/gettext/*.pot",
        "docs/locale/{locale}/LC_MESSAGES/{name}.po",
    )
    assert any("sphinx-build -b gettext docs docs/out/gettext" in n for n in found.notes)
    assert any("gettext_compact = False" in n for n in found.notes)
    load_config(written_config(tmp_path), env={})  # a glob matching nothing is accepted


def test_only_literal_assignments_are_read_from_conf_py():
    values = literal_assignments(
        "import os\nlocale_dirs = ['locale/', 'extra']\ngettext_compact: bool = False\n"
        "language = os.environ['LANG']\nx = y = 3\n"
    )
    assert values == {"locale_dirs": ["locale/", "extra"], "gettext_compact": False}


@pytest.mark.parametrize("with_source", [True, False], ids=["en-catalogue", "no-en"])
def test_django_layout_without_pot(tmp_path, with_source):
    django_tree(tmp_path, with_source=with_source)
    found = discover(tmp_path)
    by_domain = {Path(f.path).stem: f for f in found.catalogs}
    assert sorted(by_domain) == ["django", "djangojs"]
    assert by_domain["django"].path == "polls/locale/{locale}/LC_MESSAGES/django.po"
    left = dict(found.left_out)
    assert "udm" not in left  # outside CLDR, kept as written (issue 13)
    if with_source:
        assert by_domain["django"].template == "polls/locale/en/LC_MESSAGES/django.po"
        assert found.locales == ("de", "fr", "pt_BR", "udm")
    else:  # the largest catalogue (fr's django.po has one entry more) is the template
        assert by_domain["django"].template == "polls/locale/fr/LC_MESSAGES/django.po"
        assert by_domain["djangojs"].template == "polls/locale/fr/LC_MESSAGES/djangojs.po"
        assert found.locales == ("de", "pt_BR", "udm")
        assert left["fr"] == "its catalogue is a template"
    text = written_config(tmp_path).read_text()
    assert "# left out: udm:" not in text and "# check: " in text
    assert "# note: outside CLDR, kept as written: udm " in text
    config = load_config(written_config(tmp_path), env={})
    assert "udm" in config.locales and len(config.warnings) == 1
    # a template whose udm catalogue does not exist yet still has udm's rule (Django's
    # contrib/postgres has no udm catalogue): init wrote the one it found on disk
    assert found.plural_forms[0][:2] == ("udm", "nplurals=2; plural=(n != 1);")
    assert config.options_for("udm").plural_forms == "nplurals=2; plural=(n != 1);"


def test_init_dry_run_prints_and_writes_nothing(tmp_path):
    wtforms_tree(tmp_path)
    done = run_cli("init", "--dry-run", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert payload["written"] is False
    assert payload["found"]["locales"] == ["cs_CZ", "de", "fr", "zh_TW"]
    assert not (tmp_path / "locflow.toml").exists() and not (tmp_path / ".locflow").exists()
    text = run_cli("init", "--dry-run", cwd=tmp_path).stdout
    assert "found src/wtforms/locale/wtforms.pot" in text and "would write" in text


def test_init_never_overwrites_an_existing_config(tmp_path):
    wtforms_tree(tmp_path)
    mine = '[project]\nlocales = ["fr"]\n\n[engine]\nname = "pseudo"\n'
    (tmp_path / "locflow.toml").write_text(mine)
    done = run_cli("init", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "kept locflow.toml as it is" in done.stdout
    assert (tmp_path / "locflow.toml").read_text() == mine
    assert "at revision" in done.stdout
