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

POT = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"

msgid "Not a valid choice."
msgstr ""

msgid "Field must be at least %(min)d character long."
msgid_plural "Field must be at least %(min)d characters long."
msgstr[0] ""
msgstr[1] ""
"""


def po(language: str, text: str = "Choix non valide.") -> str:
    return (
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        f'"Language: {language}\\n"\n"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
        f'msgid "Not a valid choice."\nmsgstr "{text}"\n'
    )


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def wtforms_tree(root: Path) -> None:
    """WTForms' layout: the .pot beside its catalogues, named in setup.cfg (as WTForms 2
    did), plus copies in places init must not look (an environment, node_modules, build)."""
    base = "src/wtforms/locale"
    write(root, f"{base}/wtforms.pot", POT)
    for ll in ("fr", "de", "cs_CZ", "zh_TW", "en"):
        write(root, f"{base}/{ll}/LC_MESSAGES/wtforms.po", po(ll))
    write(
        root,
        "setup.cfg",
        "[metadata]\nname = WTForms\n\n[extract_messages]\ncopyright_holder = WTForms Team\n"
        f"output_file = {base}/wtforms.pot\n\n[init_catalog]\ninput_file = {base}/wtforms.pot\n"
        f"output_dir = {base}/\ndomain = wtforms\n",
    )
    for elsewhere in (".venv/lib/site/babel/x.pot", "node_modules/pkg/y.pot", "build/lib/z.pot"):
        write(root, elsewhere, POT)
    write(root, ".venv/lib/site/locale/ru/LC_MESSAGES/x.po", po("ru"))


def sphinx_tree(root: Path, *, built: bool) -> None:
    write(
        root,
        "docs/conf.py",
        "import os\nproject = 'Demo'\nextensions = ['sphinx.ext.autodoc']\n"
        "locale_dirs = ['locale/']\ngettext_compact = False\n"
        "version = os.environ.get('VERSION', '1.0')\n"
        "open('SIDE_EFFECT', 'w').write('conf.py was executed')\n",
    )
    for ll in ("fr", "ja"):
        write(root, f"docs/locale/{ll}/LC_MESSAGES/index.po", po(ll))
        write(root, f"docs/locale/{ll}/LC_MESSAGES/usage/intro.po", po(ll))
    if built:
        write(root, "docs/_build/gettext/index.pot", POT)
        write(root, "docs/_build/gettext/usage/intro.pot", POT)


def django_tree(root: Path, *, with_source: bool) -> None:
    locales = ["de", "fr", "pt_BR", "udm"] + (["en"] if with_source else [])
    for ll in locales:
        write(root, f"polls/locale/{ll}/LC_MESSAGES/django.po", po(ll))
        write(root, f"polls/locale/{ll}/LC_MESSAGES/djangojs.po", po(ll, "JS"))
    write(root, "polls/locale/fr/LC_MESSAGES/django.po", po("fr") + '\nmsgid "More"\nmsgstr ""\n')
    write(root, "manage.py", "import django\n")


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
    (found,) = discover(tmp_path).catalogs
    assert (found.template, found.path) == ("po/hello.pot", "po/{locale}.po")
    assert discover(tmp_path).locales == ("fr", "pt_BR")


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
    assert "udm" in left and "Babel does not know" in left["udm"]
    if with_source:
        assert by_domain["django"].template == "polls/locale/en/LC_MESSAGES/django.po"
        assert found.locales == ("de", "fr", "pt_BR")
    else:  # the largest catalogue (fr's django.po has one entry more) is the template
        assert by_domain["django"].template == "polls/locale/fr/LC_MESSAGES/django.po"
        assert by_domain["djangojs"].template == "polls/locale/fr/LC_MESSAGES/djangojs.po"
        assert found.locales == ("de", "pt_BR")
        assert left["fr"] == "its catalogue is a template"
    text = written_config(tmp_path).read_text()
    assert "# left out: udm:" in text and "# check: " in text


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
