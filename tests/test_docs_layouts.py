"""`[[docs]]` as MkDocs sites lay files out: hidden folders (`docs/.snippets`), and the two
output layouts of the MkDocs i18n plugins, folder (`docs/{locale}/{path}`) and suffix
(`docs/{path_stem}.{locale}.md`, mkdocs-static-i18n), whose outputs sit inside the include
patterns and must never be read back as sources."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from locflow.db import repo
from locflow.pipeline.docs import discover_docs
from locflow.settings import Config, ConfigError, config_from_mapping
from locflow.settings_types import DocsSpec
from tests.support.docs_run import export, sync, translate_all
from tests.support.real_data import extract, sdist

PAGES = {
    "docs/index.md": "# Welcome\n\nNotes keeps your ideas in one place.\n",
    "docs/guide/setup.md": "# Setup\n\nRun the installer.\n",
    "docs/release.v2.md": "# Release 2\n\nWhat is new.\n",
}


def make_site(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def config_for(root: Path, db_url: str = "sqlite://", **docs: object) -> Config:
    table = {"include": ["docs/**/*.md"], "output": "docs/{locale}/{path}", **docs}
    data = {"project": {"name": "site", "locales": ["fr", "de"]}, "docs": [table]}
    return config_from_mapping(data, root=root, env={"LOCFLOW_DATABASE_URL": db_url})


def names(config: Config) -> list[str]:
    return [d.name for d in discover_docs(config)]


# --- hidden files and folders ---------------------------------------------------------------

HIDDEN = {
    "docs/index.md": "# Home\n",
    "docs/.snippets/abbr.md": "*[HTML]: Hyper Text Markup Language\n",
    "docs/.draft.md": "# Draft\n",
    "docs/guide/.notes/todo.md": "# Todo\n",
}


@pytest.mark.parametrize(
    ("docs", "expected"),
    [
        ({}, ["docs/index.md"]),
        (
            {"include": ["docs/**/*.md", "docs/.snippets/*.md"]},
            ["docs/.snippets/abbr.md", "docs/index.md"],
        ),
        ({"include": ["docs/.*.md"]}, ["docs/.draft.md"]),
        (
            {"include_hidden": True},
            [
                "docs/.draft.md",
                "docs/.snippets/abbr.md",
                "docs/guide/.notes/todo.md",
                "docs/index.md",
            ],
        ),
        (
            {"include_hidden": True, "exclude": ["docs/**/.notes/**"]},
            ["docs/.draft.md", "docs/.snippets/abbr.md", "docs/index.md"],
        ),
    ],
    ids=["wildcards-skip-hidden", "named-folder", "named-dot-glob", "include-hidden", "exclude"],
)
def test_hidden_files_are_taken_when_named_or_asked_for(
    tmp_path: Path, docs: dict, expected: list[str]
) -> None:
    make_site(tmp_path, HIDDEN)
    assert names(config_for(tmp_path, **docs)) == expected


def test_include_hidden_and_dialect_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[\[docs\]\] #1: include_hidden must be true or"):
        config_for(tmp_path, include_hidden="yes")
    with pytest.raises(ConfigError, match=r'\[\[docs\]\] #1: dialect must be "commonmark" or'):
        config_for(tmp_path, dialect="gfm")
    assert config_for(tmp_path, include_hidden=True).docs[0].include_hidden


# --- output placeholders and the matcher of outputs -----------------------------------------


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("docs/{path_stem}.md", "with {locale} and {path} or {path_stem}"),
        ("docs/{locale}.md", "with {locale} and {path} or {path_stem}"),
        ("docs/{locale}/{name}", "may use only {locale}, {path} and {path_stem}"),
        (3, "with {locale} and {path} or {path_stem}"),
    ],
)
def test_an_output_needs_locale_and_a_path(tmp_path: Path, output: object, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        config_for(tmp_path, output=output)


@pytest.mark.parametrize(
    ("output", "name", "fr", "outputs", "sources"),
    [
        (
            "docs/{path_stem}.{locale}.md",
            "docs/guide/setup.md",
            "docs/guide/setup.fr.md",
            ["docs/old.fr.md", "docs/a/b.de.md"],
            ["docs/old.md", "docs/old.es.md", "docs/release.v2.md", "docs/fr.md"],
        ),
        (
            "docs/{locale}/{path}",
            "docs/guide/setup.md",
            "docs/fr/guide/setup.md",
            ["docs/fr/old.md", "docs/de/a/b.md"],
            ["docs/es/old.md", "docs/french/a.md", "docs/fr.md"],
        ),
        (
            "./build/../site/{locale}/{path_stem}.html",
            "docs/index.md",
            "site/fr/index.html",
            ["site/de/x.html"],
            ["site/de/x.md", "build/site/de/x.html"],
        ),
    ],
    ids=["suffix", "folder", "normalised"],
)
def test_outputs_are_recognised_whether_their_source_exists_or_not(
    output: str, name: str, fr: str, outputs: list[str], sources: list[str]
) -> None:
    spec = DocsSpec(include=("docs/**/*.md",), output=output)
    assert spec.output_for(name, "docs", "fr") == fr
    matcher = spec.output_regex(("fr", "de"))
    assert [n for n in [fr, *outputs] if not matcher.fullmatch(n)] == []
    assert [n for n in sources if matcher.fullmatch(n)] == []


# --- both layouts through sync and export ---------------------------------------------------


@pytest.mark.parametrize(
    ("output", "written"),
    [
        ("docs/{path_stem}.{locale}.md", "docs/guide/setup.fr.md"),
        ("docs/{locale}/{path}", "docs/fr/guide/setup.md"),
    ],
    ids=["suffix", "folder"],
)
def test_a_second_sync_never_takes_outputs_as_sources(
    Session, db_url: str, tmp_path: Path, output: str, written: str
) -> None:
    root = make_site(tmp_path / "site", PAGES)
    config = config_for(root, db_url, output=output)
    assert names(config) == sorted(PAGES)
    counts = translate_all(Session, config)
    assert counts.machine == 2 * 6
    results = export(Session, config)
    assert len(results) == 6 and all(r.written and not r.problems for r in results)
    text = (root / written).read_text(encoding="utf-8")
    assert text.startswith("# ⟦Šéţûþ") and text != PAGES["docs/guide/setup.md"]
    # a translation whose source was deleted stays on disk: still an output, not a source
    (root / "docs" / "index.md").unlink()
    orphan = config.docs[0].output_for("docs/index.md", "docs", "de")
    assert (root / orphan).exists()

    assert names(config) == ["docs/guide/setup.md", "docs/release.v2.md"]
    again = sync(Session, config)
    assert (again.docs, again.unchanged, again.new, again.removed) == (2, 2, 0, 1)
    with Session() as s:
        project = repo.find_project(s, config.project)
        assert project is not None
        stored = sorted(x.name for x in repo.sources_of(s, project))
    assert stored == sorted(PAGES)  # docs/index.md kept (obsolete), no output among them
    stamp = {
        r.path: os.stat(root / r.path).st_mtime_ns for r in results if r.doc != "docs/index.md"
    }
    second = export(Session, config)
    assert not any(r.written for r in second)
    assert stamp == {r.path: os.stat(root / r.path).st_mtime_ns for r in second}


# --- the real plugin ------------------------------------------------------------------------

SITE_YML = """\
site_name: Notes
docs_dir: docs
nav:
  - Home: index.md
  - Guide:
      - Setup: guide/setup.md
  - release.v2.md
"""


@pytest.mark.slow  # `mkdocs build` in a subprocess: ~3-5 s
def test_mkdocs_static_i18n_builds_the_suffix_layout(Session, db_url: str, tmp_path: Path) -> None:
    """The suffix outputs and `mkdocs.fr.yml` as mkdocs-static-i18n takes them: a strict
    build has the French pages, under the translated nav and site name."""
    root = make_site(tmp_path / "site", {**PAGES, "mkdocs.yml": SITE_YML})
    config = config_for(root, db_url, output="docs/{path_stem}.{locale}.md")
    translate_all(Session, config)
    assert all(not r.problems for r in export(Session, config))
    fr = yaml.safe_load((root / "mkdocs.fr.yml").read_text(encoding="utf-8"))
    languages = [
        {"locale": "en", "default": True, "name": "English", "build": True},
        {"locale": "fr", "name": "Français", "build": True, **fr},
    ]
    build = yaml.safe_load(SITE_YML)
    build["plugins"] = [{"i18n": {"docs_structure": "suffix", "languages": languages}}]
    (root / "build.yml").write_text(yaml.safe_dump(build, allow_unicode=True), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", "build.yml", "-d", "out"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    page = (root / "out/fr/guide/setup/index.html").read_text(encoding="utf-8")
    heading = (root / "docs/guide/setup.fr.md").read_text(encoding="utf-8").splitlines()[0]
    assert html.escape(heading.removeprefix("# "), quote=False) in page
    assert html.escape(fr["nav_translations"]["Guide"], quote=False) in page
    assert html.escape(fr["site_name"], quote=False) in page
    assert not (root / "out/fr/guide/setup.fr").exists()  # the outputs were not pages of their own


def test_pymdown_extensions_snippets_are_taken_only_when_named(tmp_path: Path) -> None:
    """pymdown-extensions 13.1.2 (sdist) keeps its snippets in docs/src/markdown/.snippets."""
    root = extract(sdist("pymdown_extensions", "13.1.2"), "docs/src/markdown", tmp_path / "md")
    out = {"output": "../out/{locale}/{path}"}
    assert len(names(config_for(root, include=["**/*.md"], **out))) == 50  # 4 snippets skipped
    named = config_for(root, include=["**/*.md", ".snippets/*.md"], **out)
    snippets = [n for n in names(named) if n.startswith(".snippets/")]
    assert snippets == [f".snippets/{n}.md" for n in ("abbr", "links", "refs", "uml")]
    hidden = config_for(root, include=["**/*.md"], include_hidden=True, **out)
    assert len(names(hidden)) == 54
