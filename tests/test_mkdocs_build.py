"""Translated MkDocs Material sites build: the demo's docs (examples/demo: docs/*.md the
English pages, docs/<locale>/ written by `locflow run`, mkdocs-static-i18n's folder
structure) and
the real corpus pages pseudo-translated (tests/support/mkdocs_site.py), each with
`mkdocs build --strict` (slow tier), no WARNING line, and every translated page carrying
what the extensions made in its source (admonitions, tabs, details, footnotes, keys, ...).
The fast tests: the demo's docs parse as MkDocs and round-trip, its configuration agrees
with its site, and the build helpers read what they should."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from locflow.connectors.markdown import read_markdown, rebuild
from locflow.pipeline.docs import discover_docs
from locflow.settings import load_config
from tests.support.doc_oracles import first_difference, marker_difference, markers, page_skeleton
from tests.support.env import ROOT, run_cli
from tests.support.mkdocs_site import (
    PSEUDO_LOCALE,
    WARNING_LINE,
    build,
    built_page,
    corpus_site,
    extension_classes,
)
from tests.support.real_docs import PROJECTS, pages

DEMO = ROOT / "examples" / "demo"
SOURCE_DOCS = DEMO / "docs"


# --- the demo (fast) ------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(SOURCE_DOCS.glob("*.md")), ids=lambda p: p.name)
def test_demo_docs_parse_as_mkdocs_and_round_trip(path: Path):
    doc = read_markdown(path, dialect="mkdocs")
    assert doc.blocks
    assert rebuild(doc, {}) == doc.text


def test_the_demo_guide_shows_the_mkdocs_syntax():
    text = (SOURCE_DOCS / "guide.md").read_text("utf-8")
    found = [(m.marker, m.keyword) for m in markers(text)]
    assert ("!!!", "tip") in found and '!!! tip "' in text  # an admonition with a title
    assert ("???+", "note") in found
    assert [m for m, _ in found].count("===") == 2
    assert ("///", "note") in found and "/// note | " in text
    assert any(m == "[^" for m, _ in found) and any(m == "*[" for m, _ in found)
    for syntax in ("{ .md-button }", "\n:   ", "++ctrl+f++"):
        assert syntax in text
    events = "\n".join(page_skeleton(text))
    for made in ("admonition tip", 'details class="note" open', "tabbed-set", "<dl>", "<abbr"):
        assert made in events


def test_the_demo_translates_its_docs_where_its_site_reads_them():
    config = load_config(DEMO / "locflow.toml", env={})
    docs = {d.name: d for d in discover_docs(config)}
    assert set(docs) == {"docs/guide.md", "docs/index.md"}
    assert [docs["docs/guide.md"].output(loc) for loc in config.locales] == [
        f"docs/{loc}/guide.md" for loc in config.locales
    ]


def test_the_demo_site_has_a_language_for_each_locale():
    from mkdocs.utils.yaml import yaml_load

    site = yaml_load((DEMO / "mkdocs.yml").read_text("utf-8"))
    config = load_config(DEMO / "locflow.toml", env={})
    (i18n,) = [p["i18n"] for p in site["plugins"] if isinstance(p, dict) and "i18n" in p]
    assert i18n["docs_structure"] == "folder"
    languages = [lang["locale"] for lang in i18n["languages"]]
    assert languages == [config.source_locale, *config.locales]
    assert i18n["languages"][0].get("default") is True


# --- the build helpers (fast) ----------------------------------------------------------------


def test_warning_lines_are_found_in_a_build_log():
    log = "INFO    -  Building\nWARNING -  Doc file 'a.md' contains a link\nINFO - x WARNING\n"
    assert WARNING_LINE.findall(log) == ["WARNING -  Doc file 'a.md' contains a link"]


def test_built_pages_follow_directory_urls(tmp_path: Path):
    assert built_page(tmp_path, "index.md") == tmp_path / "site" / "index.html"
    assert built_page(tmp_path, "a/guide.md", "fr") == tmp_path / "site/fr/a/guide/index.html"
    assert built_page(tmp_path, "a/index.md") == tmp_path / "site/a/index.html"


def test_extension_classes_count_what_extensions_made():
    html = (
        '<nav class="admonition note">x</nav><article><div class="admonition note">'
        '<details class="tip" open><summary>s</summary></details><kbd class="key-f">F</kbd>'
        '<div class="tabbed-set tabbed-alternate"></div><abbr title="t">HTML</abbr></article>'
    )
    counted = extension_classes(html)
    assert counted["admonition"] == 1  # the one outside <article> is not counted
    assert counted["details"] == counted["summary"] == counted["kbd"] == counted["abbr"] == 1
    assert counted["tabbed-set"] == 1


# --- real builds (slow) ---------------------------------------------------------------------


def _compare_built(site: Path, page: str, locale: str) -> str | None:
    source, target = built_page(site, page), built_page(site, page, locale)
    if not target.exists():
        return f"{page} [{locale}]: not built"
    a, b = (
        extension_classes(source.read_text("utf-8")),
        extension_classes(target.read_text("utf-8")),
    )
    return None if a == b else f"{page} [{locale}]: {dict(a)} became {dict(b)}"


@pytest.mark.slow
def test_the_demo_site_builds_strict_in_every_locale(tmp_path: Path):
    site = tmp_path / "demo"
    shutil.copytree(DEMO, site)
    run = run_cli(
        "run", "--config", "locflow.toml", cwd=site, env={"LOCFLOW_ENGINE_NAME": "pseudo"}
    )
    assert run.returncode == 0, run.stdout + run.stderr
    config = load_config(site / "locflow.toml", env={})
    result = build(site)
    assert result.returncode == 0 and not result.warnings, result.output[-3000:]
    problems = []
    for locale in config.locales:
        for page in ("index.md", "guide.md"):
            source = (site / "docs" / page).read_text("utf-8")
            target = (site / "docs" / locale / page).read_text("utf-8")
            problems += [
                f"{page} [{locale}]: {p}"
                for p in (
                    first_difference(page_skeleton(source), page_skeleton(target)),
                    marker_difference(source, target),
                )
                if p
            ]
            problems += [p for p in [_compare_built(site, page, locale)] if p]
    assert not problems, "\n".join(problems)


@pytest.mark.slow
def test_the_translated_corpus_builds_strict(tmp_path: Path):
    trees = []
    for project in PROJECTS:
        pages(project, tmp_path / "extract")
        trees.append((project.name, tmp_path / "extract" / project.name))
    made = corpus_site(tmp_path / "site", trees)
    assert len(made.pages) >= 100 and not made.failed, made.failed
    result = build(tmp_path / "site")
    assert result.returncode == 0 and not result.warnings, result.output[-3000:]
    problems = [
        p for page in made.pages if (p := _compare_built(tmp_path / "site", page, PSEUDO_LOCALE))
    ]
    if problems:
        pytest.fail(f"{len(problems)}/{len(made.pages)} pages:\n" + "\n".join(problems[:25]))
