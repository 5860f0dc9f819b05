"""Sphinx end to end: `sphinx-build -b gettext` writes the .pot files, locflow syncs,
pseudo-translates and exports `locale/fr/LC_MESSAGES/*.po`, `sphinx-build -D language=fr`
builds the French HTML. reST markup (roles, inline literals, hyperlinks) reaches the
engine as tokens, so references still resolve and code stays as it was."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import select

from locflow.db import repo
from locflow.db.models import Translation
from locflow.db.session import open_database
from locflow.db.states import State
from locflow.settings import load_config
from tests.support.helpers import export, sync, translate

FIXTURE = Path(__file__).parent / "fixtures" / "sphinx_project"
CONFIG = """\
[project]
name = "sphinx-notes"
source_locale = "en"
locales = ["fr"]

[[catalogs]]
template = "_build/gettext/*.pot"
path = "locale/{locale}/LC_MESSAGES/{name}.po"

[engine]
name = "pseudo"

[export]
machine = "fuzzy"
"""


def sphinx(root: Path, *args: str) -> str:
    exe = Path(sys.executable).parent / "sphinx-build"
    done = subprocess.run(
        [str(exe), "-q", "-E", *args], cwd=root, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stderr


def html_text(path: Path) -> str:
    body = path.read_text(encoding="utf-8")
    return unescape(re.sub(r"<[^>]+>", "", body))


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    shutil.copytree(FIXTURE, root)
    (root / "locflow.toml").write_text(CONFIG, encoding="utf-8")
    return root


def test_sphinx_gettext_to_translated_html(site: Path, msgfmt: str) -> None:
    assert sphinx(site, "-b", "gettext", ".", "_build/gettext") == ""
    assert sorted(p.name for p in (site / "_build/gettext").glob("*.pot")) == [
        "index.pot",
        "usage.pot",
    ]
    config = load_config(site / "locflow.toml", env={})
    Session = open_database(config.database_url)
    assert sync(Session, config).new == 9
    counts, requests = translate(Session, config)
    assert (counts.machine, counts.needs_review, requests) == (9, 0, 9)
    export(Session, config)
    po = (site / "locale/fr/LC_MESSAGES/index.po").read_text(encoding="utf-8")
    assert ":ref:`Íñšţáļļíñĝ Ñöţéš <install>`" in po and ":doc:`usage`" in po
    assert "`þŕöĵéçţ ŵéƀšíţé <https://example.org/notes>`_" in po
    assert "``notes --init``" in po

    # machine output goes out fuzzy, and Sphinx ignores fuzzy entries: still English
    sphinx(site, "-b", "html", "-D", "language=fr", ".", "_build/html/fr")
    assert "Notes keeps your ideas" in html_text(site / "_build/html/fr/index.html")

    with Session() as s, s.begin():  # a reviewer approves everything
        for version in s.scalars(select(Translation)).all():
            repo.transition(s, version, State.APPROVED, actor="reviewer")
    export(Session, config)
    Session.kw["bind"].dispose()
    for name in ("index", "usage"):
        po_path = site / f"locale/fr/LC_MESSAGES/{name}.po"
        assert "#, fuzzy" not in po_path.read_text(encoding="utf-8").split("\n\n", 1)[1]
        subprocess.run([msgfmt, "-c", "-o", "/dev/null", str(po_path)], check=True)

    warnings = sphinx(site, "-b", "html", "-D", "language=fr", ".", "_build/html/fr")
    assert warnings == ""  # no unknown role, no inconsistent reference
    index = (site / "_build/html/fr/index.html").read_text(encoding="utf-8")
    text = html_text(site / "_build/html/fr/index.html")
    assert "Ñöţéš ķééþš ýöûŕ íðéáš" in text and "Notes keeps your ideas" not in text
    assert "[Ŵéļçöɱé ţö Ñöţéš" in text
    # references resolve, with their translated titles
    assert re.search(r'href="usage.html"><span class="doc">\[Ûšíñĝ Ñöţéš', index)
    assert re.search(r'href="#install"><span class="std std-ref">Íñšţáļļíñĝ Ñöţéš<', index)
    assert 'href="https://example.org/notes">þŕöĵéçţ ŵéƀšíţé</a>' in index
    # code untouched: the literal block, the inline literal, the :kbd: role
    assert "notes --init ~/notes\nnotes sync --all" in text
    assert re.search(r'<span class="pre">notes</span> <span class="pre">--init</span>', index)
    usage = html_text(site / "_build/html/fr/usage.html")
    assert "Ctrl+N" in usage and "$ notes list --tag work\nPlan the release" in usage
    assert "[Ðéļéţíñĝ á ñöţé çáññöţ ƀé ûñðöñé." in usage  # inside the warning directive
