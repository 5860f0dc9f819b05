"""MkDocs sites as they are: the Markdown dialect from `mkdocs.yml` (or an explicit one),
read without acting on MkDocs' YAML tags; the site's name and nav titles translated like doc
blocks and written to `mkdocs.{locale}.yml` for mkdocs-static-i18n."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import pytest
import yaml

from locflow.connectors.markdown import DIALECTS
from locflow.db import repo, segment_repo
from locflow.pipeline import docs as docs_pipeline
from locflow.pipeline import docs_export
from locflow.pipeline.docs import discover_docs, discover_sites
from locflow.pipeline.mkdocs_site import MkDocsError, parse_site
from locflow.settings import Config, ConfigError, config_from_mapping
from locflow.settings_types import DIALECTS as SETTINGS_DIALECTS
from tests.support.doc_oracles import marker_difference
from tests.support.docs_run import export, sync, translate_all
from tests.support.real_data import sdist

MATERIAL = """\
site_name: !ENV [SITE_NAME, "Notes"]
site_url: !ENV SITE_URL
docs_dir: content
theme:
  name: material
markdown_extensions:
  - toc:
      permalink: true
      slugify: !!python/object/apply:pymdownx.slugs.slugify
        kwds:
          case: lower
  - admonition
  - pymdownx.emoji:
      emoji_index: !!python/name:material.extensions.emoji.twemoji
      emoji_generator: !!python/name:material.extensions.emoji.to_svg
  - pymdownx.superfences
nav:
  - Home: index.md
  - Guide:
      - Setup: guide/setup.md
      - guide/other.md
      - Home: index.md
  - About us: https://example.org/about
hooks:
  - !relative $config_dir/hooks.py
"""
PLAIN = "site_name: Plain\nnav:\n  - index.md\n"
PAGE = "# Welcome\n\nNotes keeps your ideas in one place.\n"


def make(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def config_for(root: Path, db_url: str = "sqlite://", **docs: object) -> Config:
    table = {"include": ["content/**/*.md"], "output": "content/{path_stem}.{locale}.md", **docs}
    data = {"project": {"name": "site", "locales": ["fr", "de"]}, "docs": [table]}
    return config_from_mapping(data, root=root, env={"LOCFLOW_DATABASE_URL": db_url})


def dialects(config: Config) -> dict[str, str]:
    return {d.name: d.dialect for d in discover_docs(config)}


# --- reading mkdocs.yml (no database) -------------------------------------------------------


def test_settings_and_the_parser_know_the_same_dialects() -> None:
    assert SETTINGS_DIALECTS == DIALECTS


def test_a_material_yml_is_read_without_acting_on_its_tags(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SITE_NAME", "From the environment")  # never read: same yml, same sync
    site = parse_site("mkdocs.yml", MATERIAL.encode())
    assert site.site_name == "Notes"  # the !ENV default
    assert site.docs_dir == "content"
    assert site.extensions == ("toc", "admonition", "pymdownx.emoji", "pymdownx.superfences")
    assert site.dialect == "mkdocs"
    assert site.nav == ("Home", "Guide", "Setup", "About us")
    assert site.output("fr") == "mkdocs.fr.yml"


@pytest.mark.parametrize(
    ("yml", "dialect", "docs_dir"),
    [
        (PLAIN, "commonmark", "site/docs"),
        ("markdown_extensions:\n  - markdown.extensions.footnotes\n", "mkdocs", "site/docs"),
        ("markdown_extensions: [attr_list]\ndocs_dir: ../pages\n", "mkdocs", "pages"),
        ("markdown_extensions:\n  - mdx_truly_sane_lists\n", "commonmark", "site/docs"),
        ("", "commonmark", "site/docs"),
    ],
)
def test_the_dialect_follows_markdown_extensions(yml: str, dialect: str, docs_dir: str) -> None:
    site = parse_site("site/mkdocs.yml", yml.encode())
    assert (site.dialect, site.docs_dir) == (dialect, docs_dir)


@pytest.mark.parametrize(
    ("files", "include", "expected"),
    [
        ({"mkdocs.yml": MATERIAL}, "content/**/*.md", "mkdocs"),
        ({"mkdocs.yml": MATERIAL}, "content/guide/*.md", "mkdocs"),  # a folder inside docs_dir
        ({"mkdocs.yml": MATERIAL.replace("content", "docs")}, "content/**/*.md", "commonmark"),
        (
            {"content/mkdocs.yaml": MATERIAL.replace("docs_dir: content", "docs_dir: .")},
            "content/**/*.md",
            "mkdocs",
        ),
        (
            {"other/mkdocs.yml": MATERIAL.replace("content", "../content")},
            "content/**/*.md",
            "commonmark",
        ),
        ({}, "content/**/*.md", "commonmark"),
    ],
    ids=["docs_dir", "nested-base", "other-docs_dir", "yaml-in-folder", "not-above", "no-yml"],
)
def test_the_site_whose_docs_dir_holds_the_base_folder_decides(
    tmp_path: Path, files: dict[str, str], include: str, expected: str
) -> None:
    make(tmp_path, {**files, "content/guide/setup.md": PAGE})
    config = config_for(tmp_path, include=[include])
    assert dialects(config) == {"content/guide/setup.md": expected}


def test_an_explicit_dialect_wins(tmp_path: Path) -> None:
    make(tmp_path, {"mkdocs.yml": MATERIAL, "content/index.md": PAGE})
    assert dialects(config_for(tmp_path, dialect="commonmark")) == {
        "content/index.md": "commonmark"
    }
    make(tmp_path, {"mkdocs.yml": PLAIN.replace("nav", "docs_dir: content\nnav")})
    assert dialects(config_for(tmp_path)) == {"content/index.md": "commonmark"}
    assert dialects(config_for(tmp_path, dialect="mkdocs")) == {"content/index.md": "mkdocs"}


def test_a_broken_yml_is_one_line_naming_the_file(tmp_path: Path) -> None:
    make(tmp_path, {"mkdocs.yml": "site_name: [unclosed\nnav:\n  - a\n", "content/index.md": PAGE})
    with pytest.raises(ConfigError) as caught:
        discover_docs(config_for(tmp_path))
    message = str(caught.value)
    assert isinstance(caught.value, MkDocsError) and "\n" not in message
    assert message.startswith(f"{tmp_path / 'mkdocs.yml'}: cannot read the MkDocs configuration")
    with pytest.raises(MkDocsError, match="must be a mapping"):
        parse_site("mkdocs.yml", b"- a\n- b\n")


ZENSICAL = """\
[project]
site_name = "Notes"
docs_dir = "content"
nav = [{ "Home" = "index.md" }]

[project.markdown_extensions.toc]
permalink = "¤"
[project.markdown_extensions.pymdownx.superfences]
[[project.markdown_extensions.pymdownx.superfences.custom_fences]]
name = "mermaid"
class = "mermaid"
"""


@pytest.mark.parametrize(
    ("toml", "extensions", "dialect"),
    [
        (ZENSICAL, ("toc", "pymdownx.superfences"), "mkdocs"),
        (
            '[project]\ndocs_dir = "content"\n[project.markdown_extensions]\n'
            "pymdownx.arithmatex.generic = true\nmarkdown.extensions.tables = {}\n",
            ("pymdownx.arithmatex", "markdown.extensions.tables"),
            "mkdocs",
        ),
        (
            '[project]\ndocs_dir = "content"\nmarkdown_extensions = {}\n',
            (),
            "commonmark",
        ),
    ],
    ids=["tables", "dotted-keys", "none-named"],
)
def test_a_zensical_toml_decides_the_dialect(
    tmp_path: Path, toml: str, extensions: tuple[str, ...], dialect: str
) -> None:
    make(tmp_path, {"zensical.toml": toml, "content/index.md": PAGE})
    config = config_for(tmp_path)
    assert parse_site("zensical.toml", toml.encode()).extensions == extensions
    assert dialects(config) == {"content/index.md": dialect}
    assert discover_sites(config) == []  # Zensical has no nav_translations to write


def test_a_zensical_yml_is_read_like_mkdocs_yml_without_its_texts(tmp_path: Path) -> None:
    """pymdown-extensions builds with `zensical build -f zensical.yml`."""
    make(tmp_path, {"zensical.yml": MATERIAL, "content/index.md": PAGE})
    config = config_for(tmp_path)
    assert dialects(config) == {"content/index.md": "mkdocs"}
    assert discover_sites(config) == []
    assert parse_site("zensical.yml", MATERIAL.encode()).site_name == "Notes"


def test_a_zensical_toml_naming_no_extensions_takes_zensicals_defaults(tmp_path: Path) -> None:
    make(tmp_path, {"zensical.toml": '[project]\nsite_name = "N"\n', "docs/a.md": PAGE})
    config = config_for(tmp_path, include=["docs/**/*.md"], output="out/{locale}/{path}")
    assert dialects(config) == {"docs/a.md": "mkdocs"}


def test_a_broken_zensical_toml_is_one_line_naming_the_file(tmp_path: Path) -> None:
    make(tmp_path, {"zensical.toml": "[project\nsite_name = 1\n", "docs/a.md": PAGE})
    with pytest.raises(MkDocsError) as caught:
        discover_docs(config_for(tmp_path, include=["docs/**/*.md"], output="o/{locale}/{path}"))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{tmp_path / 'zensical.toml'}: cannot read the Zensical config")


def test_griffes_zensical_site_translates_in_the_mkdocs_dialect(
    Session, db_url: str, tmp_path: Path
) -> None:
    """griffe 2.4.1 (sdist) is built by Zensical: its admonitions and tabs keep their
    marker lines through sync, translation and export."""
    archive = sdist("griffe", "2.4.1")
    names = ("zensical.toml", "docs/guide/users/checking.md", "docs/installation.md")
    with tarfile.open(archive) as tar:
        files = {
            name: tar.extractfile(f"griffe-2.4.1/{name}").read().decode()  # type: ignore[union-attr]
            for name in names
        }
    root = make(tmp_path / "griffe", files)
    table = {"include": ["docs/**/*.md"], "output": "build/{locale}/{path}"}
    data = {"project": {"name": "griffe", "locales": ["fr"]}, "docs": [table]}
    config = config_from_mapping(data, root=root, env={"LOCFLOW_DATABASE_URL": db_url})
    assert set(dialects(config).values()) == {"mkdocs"}
    translate_all(Session, config)
    results = {r.doc: r for r in export(Session, config)}
    assert all(r.written for r in results.values()) and len(results) == 2
    for name, marker in (("guide/users/checking.md", "/// tab |"), ("installation.md", "=== ")):
        source = files[f"docs/{name}"]
        page = (root / "build/fr" / name).read_text(encoding="utf-8")
        assert marker in source and page != source
        assert marker_difference(source, page) is None  # the extension lines, as they were


# --- the dialect reaches the parser ---------------------------------------------------------


def test_sync_and_export_parse_with_the_dialect_and_a_new_dialect_reparses(
    Session, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make(tmp_path, {"mkdocs.yml": MATERIAL, "content/index.md": PAGE})
    seen: list[tuple[str, str]] = []
    real = docs_pipeline.parse_markdown

    def recording(data, path, **kw):  # the real parser, noting which dialect it was given
        seen.append((path, kw.get("dialect", "commonmark")))
        return real(data, path, **kw)

    monkeypatch.setattr(docs_pipeline, "parse_markdown", recording)
    monkeypatch.setattr(docs_export, "parse_markdown", recording)
    config = config_for(tmp_path, db_url)
    translate_all(Session, config)
    export(Session, config)
    assert set(seen) == {("content/index.md", "mkdocs")} and len(seen) == 3  # sync, fr, de
    assert sync(Session, config).unchanged == 1
    seen.clear()
    again = sync(Session, config_for(tmp_path, db_url, dialect="commonmark"))
    assert (again.docs, again.unchanged, again.sites) == (1, 0, 1)  # the page is read again
    assert seen == [("content/index.md", "commonmark")]


# --- the site's own texts -------------------------------------------------------------------


def test_nav_titles_and_site_name_go_out_as_mkdocs_locale_yml(
    Session, db_url: str, tmp_path: Path
) -> None:
    root = make(tmp_path / "site", {"mkdocs.yml": MATERIAL, "content/index.md": PAGE})
    config = config_for(root, db_url)
    assert [x.file for x in discover_sites(config)] == ["mkdocs.yml"]
    counts = translate_all(Session, config)
    assert counts.machine == 2 * (2 + 5)  # the page's blocks, the site's five texts
    with Session() as s:
        project = repo.find_project(s, config.project)
        assert project is not None
        source = next(x for x in repo.sources_of(s, project) if x.kind == "mkdocs")
        rows = segment_repo.segment_rows(s, source.id)
    assert source.name == "mkdocs.yml"
    assert [r.msgid for r in rows] == ["Notes", "Home", "Guide", "Setup", "About us"]
    results = {(r.doc, r.locale): r for r in export(Session, config)}
    site = results[("mkdocs.yml", "fr")]
    assert (site.path, site.blocks, site.localised, site.written) == ("mkdocs.fr.yml", 5, 5, True)
    fr = yaml.safe_load((root / "mkdocs.fr.yml").read_text(encoding="utf-8"))
    assert list(fr) == ["site_name", "nav_translations"]
    assert fr["site_name"] != "Notes" and "Ñ" in fr["site_name"]
    assert list(fr["nav_translations"]) == ["Home", "Guide", "Setup", "About us"]
    assert all(v != k for k, v in fr["nav_translations"].items())
    assert (root / "mkdocs.de.yml").exists() and (root / "content/index.fr.md").exists()

    stamp = os.stat(root / "mkdocs.fr.yml").st_mtime_ns
    assert not any(r.written for r in export(Session, config))  # unchanged: not rewritten
    assert os.stat(root / "mkdocs.fr.yml").st_mtime_ns == stamp
    # a new nav entry: only it is translated, and the file changes
    (root / "mkdocs.yml").write_text(
        MATERIAL.replace("  - About us", "  - FAQ: faq.md\n  - About us")
    )
    assert translate_all(Session, config).machine == 2
    again = {(r.doc, r.locale): r for r in export(Session, config)}
    assert again[("mkdocs.yml", "fr")].written and not again[("content/index.md", "fr")].written
    nav = yaml.safe_load((root / "mkdocs.fr.yml").read_text(encoding="utf-8"))["nav_translations"]
    assert list(nav) == ["Home", "Guide", "Setup", "FAQ", "About us"]


def test_a_yml_no_docs_entry_maps_to_is_not_synced(Session, db_url: str, tmp_path: Path) -> None:
    make(tmp_path, {"mkdocs.yml": MATERIAL, "docs/index.md": PAGE, "content/a.md": PAGE})
    config = config_for(tmp_path, db_url, include=["docs/**/*.md"], output="out/{locale}/{path}")
    assert discover_sites(config) == []
    report = sync(Session, config)
    assert (report.docs, report.sites) == (1, 0)
    export(Session, config)
    assert not (tmp_path / "mkdocs.fr.yml").exists()


def test_python_markdowns_own_mkdocs_yml(Session, db_url: str, tmp_path: Path) -> None:
    """Python-Markdown 3.11.4's real mkdocs.yml (sdist): `!!python/name` tags, extensions
    with options, 64 nav titles, some with `<code>` and `&#8203;` in them."""
    archive = sdist("markdown", "3.11.4")
    with tarfile.open(archive) as tar:
        files = {
            name: tar.extractfile(f"markdown-3.11.4/{name}").read().decode()  # type: ignore[union-attr]
            for name in ("mkdocs.yml", "docs/index.md")
        }
    root = make(tmp_path / "pymd", files)
    table = {"include": ["docs/**/*.md"], "output": "docs/{path_stem}.{locale}.md"}
    data = {"project": {"name": "pymd", "locales": ["fr"]}, "docs": [table]}
    config = config_from_mapping(data, root=root, env={"LOCFLOW_DATABASE_URL": db_url})
    assert dialects(config) == {"docs/index.md": "mkdocs"}
    (site,) = discover_sites(config)
    assert (site.site_name, len(site.nav)) == ("Python-Markdown", 64)
    translate_all(Session, config)
    results = {r.doc: r for r in export(Session, config)}
    assert results["mkdocs.yml"].written and results["mkdocs.yml"].localised == 65
    fr = yaml.safe_load((root / "mkdocs.fr.yml").read_text(encoding="utf-8"))
    assert len(fr["nav_translations"]) == 64
    code = fr["nav_translations"]["<code>markdown.&#8203;util</code>"]
    assert code.startswith("[<code>") and "&#8203;" in code and "</code>" in code  # kept
