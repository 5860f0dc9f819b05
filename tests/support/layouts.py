"""Replicas of real projects' catalogue layouts, built in a test's tmp_path: WTForms (Babel,
.pot beside its catalogues), Sphinx docs (conf.py with locale_dirs) and a Django app (no .pot)."""

from __future__ import annotations

from pathlib import Path

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
