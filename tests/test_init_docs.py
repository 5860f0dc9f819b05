"""`locflow init` finds a project's docs: an MkDocs or Zensical site with Markdown pages gets a
`[[docs]]` table whose layout follows its mkdocs-static-i18n plugin (or a separate tree
without one), and the locflow.toml it writes loads, reads those pages and never takes its
own outputs as sources."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from locflow.pipeline.discover import discover
from locflow.pipeline.docs import discover_docs
from locflow.pipeline.starter import starter_toml
from locflow.settings import load_config
from tests.support.env import run_cli
from tests.support.layouts import write as write_one
from tests.support.layouts import wtforms_tree
from tests.support.real_data import sdist

PAGE = "# Title\n\nSome text.\n"

SUFFIX = """\
site_name: Notes
plugins:
  - search
  - i18n:
      docs_structure: suffix
      languages:
        - locale: en
          default: true
          name: English
        - locale: fr
          name: Français
        - locale: pt-BR
          name: Português
markdown_extensions:
  - admonition
"""


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        write_one(root, rel, text)


def written(root: Path):
    """The locflow.toml init would write, written and loaded."""
    (root / "locflow.toml").write_text(starter_toml(discover(root)), encoding="utf-8")
    return load_config(root / "locflow.toml", env={})


def sources(root: Path) -> list[str]:
    return sorted(d.name for d in discover_docs(written(root)))


def test_static_i18n_suffix_layout_and_its_languages(tmp_path: Path) -> None:
    write(tmp_path, {"mkdocs.yml": SUFFIX, "docs/index.md": PAGE, "docs/guide/a.md": PAGE})
    write(tmp_path, {"docs/index.fr.md": PAGE})  # a translation already there: an output
    (found,) = discover(tmp_path).docs
    assert (found.include, found.output) == ("docs/**/*.md", "docs/{path_stem}.{locale}.md")
    assert found.locales == ("fr", "pt_BR")
    assert any("spells pt_BR as 'pt-BR'" in n for n in found.notes)
    config = written(tmp_path)
    assert config.locales == ("fr", "pt_BR") and config.catalogs == ()
    (spec,) = config.docs
    assert spec.dialect is None  # the site decides: admonition → mkdocs
    assert sources(tmp_path) == ["docs/guide/a.md", "docs/index.md"]
    text = (tmp_path / "locflow.toml").read_text()
    assert "# found: MkDocs site mkdocs.yml (dialect mkdocs), mkdocs-static-i18n" in text


@pytest.mark.parametrize("default_folder", [True, False], ids=["docs-en", "docs-root"])
def test_static_i18n_folder_layout(tmp_path: Path, default_folder: bool) -> None:
    yml = SUFFIX.replace("suffix", "folder")
    pages = "docs/en/" if default_folder else "docs/"
    write(tmp_path, {"mkdocs.yml": yml, f"{pages}index.md": PAGE, "docs/fr/index.md": PAGE})
    (found,) = discover(tmp_path).docs
    assert found.include == f"{pages}**/*.md" and found.output == "docs/{locale}/{path}"
    assert sources(tmp_path) == [f"{pages}index.md"]


def test_a_site_without_the_plugin_goes_to_a_separate_tree(tmp_path: Path) -> None:
    write(tmp_path, {"mkdocs.yml": "site_name: N\ndocs_dir: content\n", "content/a.md": PAGE})
    (found,) = discover(tmp_path).docs
    assert (found.include, found.output) == ("content/**/*.md", "build/content/{locale}/{path}")
    assert found.notes and "point `output`" in found.notes[0]
    text = starter_toml(discover(tmp_path))
    assert "# check: no locale found here: these two are placeholders" in text
    assert 'locales = ["fr", "de"]' in text
    assert sources(tmp_path) == ["content/a.md"]
    said = run_cli("init", "--dry-run", cwd=tmp_path)
    assert said.returncode == 0, said.stderr
    assert "found docs content/**/*.md (MkDocs site mkdocs.yml (dialect commonmark))" in said.stdout


def test_catalogues_and_docs_together_share_the_locales(tmp_path: Path) -> None:
    wtforms_tree(tmp_path)
    write(tmp_path, {"mkdocs.yml": SUFFIX, "docs/index.md": PAGE})
    found = discover(tmp_path)
    assert found.catalogs and len(found.docs) == 1
    assert found.locales == ("cs_CZ", "de", "fr", "pt_BR", "zh_TW")
    config = written(tmp_path)
    assert config.catalogs and config.docs


def test_nothing_for_a_site_without_pages_and_a_note_for_a_broken_one(tmp_path: Path) -> None:
    write(tmp_path, {"mkdocs.yml": "site_name: Empty\n", "docs/img/logo.svg": "<svg/>"})
    write(tmp_path, {"other/mkdocs.yml": "site_name: [unclosed\n", "other/docs/a.md": PAGE})
    found = discover(tmp_path)
    assert found.docs == ()
    assert any(
        n.startswith("other/mkdocs.yml: cannot read the MkDocs configuration") for n in found.notes
    )


def test_a_docs_dir_outside_the_project_is_not_taken(tmp_path: Path) -> None:
    write(tmp_path, {"proj/mkdocs.yml": "docs_dir: ../outside\n", "outside/a.md": PAGE})
    assert discover(tmp_path / "proj").docs == ()


@pytest.mark.parametrize(
    ("dist", "version", "config", "docs", "pages"),
    [
        ("griffe", "2.4.1", "zensical.toml", "docs", 80),
        ("pymdown_extensions", "13.1.2", "zensical.yml", "docs/src/markdown", 50),
    ],
    ids=["griffe", "pymdown-extensions"],
)
def test_zensical_sites_from_their_sdists(
    tmp_path: Path, dist: str, version: str, config: str, docs: str, pages: int
) -> None:
    """griffe's site is a zensical.toml, pymdown-extensions' a zensical.yml; the hidden
    .snippets folder of the latter holds no pages."""
    with tarfile.open(sdist(dist, version)) as tar:
        tar.extractall(tmp_path, filter="data")
    root = tmp_path / f"{dist}-{version}"
    (found,) = discover(root).docs
    assert found.origin == f"Zensical site {config} (dialect mkdocs)"
    assert found.include == f"{docs}/**/*.md"
    names = sources(root)
    assert len(names) == pages and not any("/.snippets/" in n for n in names)
