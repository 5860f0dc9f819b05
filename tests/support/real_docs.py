"""Real MkDocs docs (the sdists of Python-Markdown, pymdown-extensions, mkdocstrings, griffe and
mkdocs-autorefs), pseudo-translated the way the pipeline does it and judged by oracles that do
not use our own parser.

For each page: parse (dialect "mkdocs" unless told), mask each block's msgid, pseudo-localise
it (the pseudo engine's `pseudo_localise`), unmask, `rebuild`, then
- skeleton: Python-Markdown with a Material-like extension set renders source and
  translation; the block tags with their classes, code and math verbatim, link and image
  targets, ids and the inline tags extensions make (kbd, mark, abbr, ...) must be the same;
- markers: every extension-syntax line (`!!!`, `???`, `===`, `///`, `--8<--`, `:::`, `*[`,
  `[^`, `{%`, `[TOC]`, `{:`) comes back at the same indentation with the same keyword, in
  order; mkdocstrings' indented options under `:::` come back verbatim;
- soft breaks: a soft-wrapped source paragraph is still wrapped in the translation.

The pages are read from the cached sdists and never committed. To see where the parser
stands (pages kept on each oracle, the first failure of each page; exit 1 while a page fails
an oracle or fewer than 95 % of wrapped paragraphs stay wrapped), and one page in full (its
translation and every skeleton difference):

    .venv/bin/python -m tests.support.real_docs [--dialect commonmark] [--all-failures]
    .venv/bin/python -m tests.support.real_docs --show pymdown-extensions/extensions/tabbed.md
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.support.doc_oracles import (
    first_difference,
    marker_difference,
    page_skeleton,
    soft_breaks,
)
from tests.support.real_data import SDISTS, extract, sdist


@dataclass(frozen=True)
class Project:
    name: str
    dist: str
    version: str
    docs: str
    """The docs folder inside the sdist (below its top folder)."""
    snippets: str = ""
    """The snippets folder below `docs` (pymdownx.snippets' base path), if the site has one."""
    auto_append: tuple[str, ...] = ()
    """Snippets appended to every page (pymdownx.snippets' auto_append). Link definitions
    yes (their targets are compared); abbreviation lists no: a translation cannot know the
    terms a file outside the page defines, so only a page's own `*[X]:` terms are judged."""


PROJECTS = (
    Project("markdown", "markdown", "3.11.4", "docs"),
    Project(
        "pymdown-extensions",
        "pymdown_extensions",
        "13.1.2",
        "docs/src/markdown",
        ".snippets",
        ("links.md",),  # the site appends refs.md (links.md + abbr.md): see below
    ),
    Project("mkdocstrings", "mkdocstrings", "1.0.8", "docs"),
    Project("griffe", "griffe", "2.4.1", "docs"),
    Project("autorefs", "mkdocs_autorefs", "1.4.5", "docs"),
)


def pages(project: Project, dest: Path, *, cached_only: bool = False) -> list[Path]:
    """The project's Markdown pages, extracted below `dest`; snippet files and hidden
    folders are not pages. `cached_only`: an empty list when the sdist is missing (the
    script's mode) instead of skipping or failing (the tests' mode)."""
    path = SDISTS / f"{project.dist}-{project.version}.tar.gz"
    if not cached_only:
        path = sdist(project.dist, project.version)
    elif not path.exists():
        return []
    root = extract(path, project.docs, dest / project.name)
    return sorted(
        p
        for p in root.rglob("*.md")
        if not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


# --- translating a page as the pipeline does -------------------------------------------------


def pseudo_translate(text: str, path: str, dialect: str = "mkdocs") -> tuple[object, str]:
    """(the parsed Document, its pseudo-translation rebuilt)."""
    from locflow.connectors.markdown import parse_markdown, rebuild

    doc = parse_markdown(text, path, dialect=dialect)
    return doc, rebuild(doc, translations(doc))


def translations(doc: object) -> dict[str, str]:
    """msgid -> mask, the pseudo engine's transform, unmask (as pipeline/translate does)."""
    from locflow.catalog.placeholders import mask, unmask
    from locflow.connectors.engines.pseudo import MARKDOWN_BRACKETS, pseudo_localise

    out = {}
    for block in doc.blocks:  # type: ignore[attr-defined]
        seg = block.segment
        masked = mask(seg.msgid, seg.flags, markdown="markdown" in seg.flags)
        framed = pseudo_localise(masked.text, (), MARKDOWN_BRACKETS)
        out[seg.msgid] = unmask(masked, framed) if masked.text else seg.msgid
    return out


# --- one page, one project -------------------------------------------------------------------


@dataclass(frozen=True)
class PageResult:
    page: str
    skeleton: str | None
    """The first difference of the rendered HTML skeletons; None when they agree."""
    markers: str | None
    wrapped: int = 0
    still_wrapped: int = 0


def judge(path: Path, root: Path, project: Project, dialect: str = "mkdocs") -> PageResult:
    from locflow.connectors.markdown import parse_markdown, rebuild

    name = path.relative_to(root).as_posix()
    text = path.read_text("utf-8")
    try:
        doc = parse_markdown(text, name, dialect=dialect)
        translated = translations(doc)
        out = rebuild(doc, translated)
    except Exception as exc:  # a crash is a failure of every oracle, reported as such
        problem = f"{type(exc).__name__}: {exc}"
        return PageResult(name, problem, problem)
    snippets = root / project.snippets if project.snippets else None
    try:
        a = page_skeleton(text, snippets, project.auto_append)
        b = page_skeleton(out, snippets, project.auto_append)
        shape = first_difference(a, b)
    except Exception as exc:
        shape = f"Python-Markdown failed: {type(exc).__name__}: {exc}"
    wrapped, kept = soft_breaks(doc, translated)
    return PageResult(name, shape, marker_difference(text, out), wrapped, kept)


def judge_project(
    project: Project, dest: Path, dialect: str, cached_only: bool = False
) -> list[PageResult]:
    found = pages(project, dest, cached_only=cached_only)
    root = dest / project.name
    return [judge(p, root, project, dialect) for p in found]


_SKELETON_KIND = re.compile(
    r"(\w+) at #\d+: source (?:\d+ *)?(<\w+(?: class=\"[^\"]*\")?|text|\(nothing\))"
)
_MARKER_KIND = re.compile(r"(\w+): line \d+ '[ \t]*([^\s']+)")


def failure_kinds(results: Sequence[PageResult]) -> Counter[str]:
    """First failures by kind (`skeleton replace <div class="admonition note"`, `markers
    lost !!!`), to see which fix helps most pages."""
    out: Counter[str] = Counter()
    for r in results:
        for oracle, message in (("skeleton", r.skeleton), ("markers", r.markers)):
            if message:
                m = (_SKELETON_KIND if oracle == "skeleton" else _MARKER_KIND).search(message)
                out[f"{oracle} {' '.join(m.groups()) if m else message[:40]}"] += 1
    return out


def soft_break_share(results: Sequence[PageResult]) -> float:
    wrapped = sum(r.wrapped for r in results)
    return 100.0 * sum(r.still_wrapped for r in results) / wrapped if wrapped else 100.0


def show(name: str, dialect: str) -> int:
    """One page (`project/path`): its translation, then the unified diff of the skeletons."""
    project_name, _, page = name.partition("/")
    project = next((p for p in PROJECTS if p.name == project_name), None)
    if project is None:
        print(f"unknown project {project_name!r}; one of {[p.name for p in PROJECTS]}")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        pages(project, Path(tmp), cached_only=True)
        root = Path(tmp) / project.name
        if not (root / page).is_file():
            print(f"no page {page!r} in {project.name}")
            return 2
        text = (root / page).read_text("utf-8")
        _, out = pseudo_translate(text, page, dialect)
        snippets = root / project.snippets if project.snippets else None
        a = page_skeleton(text, snippets, project.auto_append)
        b = page_skeleton(out, snippets, project.auto_append)
    print(out)
    print("--- skeleton: source / +++ translation")
    print("\n".join(difflib.unified_diff(a, b, "source", "translation", lineterm="", n=2)))
    print(f"markers: {marker_difference(text, out) or 'kept'}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dialect", default="mkdocs", choices=("commonmark", "mkdocs"))
    parser.add_argument("--all-failures", action="store_true", help="every failing page")
    parser.add_argument("--show", metavar="PROJECT/PAGE", help="one page in full")
    args = parser.parse_args(argv)
    if args.show:
        return show(args.show, args.dialect)
    every: list[PageResult] = []
    with tempfile.TemporaryDirectory() as tmp:
        for project in PROJECTS:
            results = judge_project(project, Path(tmp), args.dialect, cached_only=True)
            if not results:
                print(f"{project.name}: sdist missing in {SDISTS} (make real-data)")
                continue
            every += results
            _print_project(project, results, args.all_failures)
    print("most common first failures:")
    for kind, n in failure_kinds(every).most_common(15):
        print(f"  {n:4d}  {kind}")
    print(
        f"all: {len(every)} pages, skeleton kept {sum(r.skeleton is None for r in every)}, "
        f"markers kept {sum(r.markers is None for r in every)}, "
        f"soft breaks kept {soft_break_share(every):.1f} % "
        f"({sum(r.still_wrapped for r in every)}/{sum(r.wrapped for r in every)})"
    )
    failing = any(r.skeleton or r.markers for r in every)
    return 1 if failing or soft_break_share(every) < 95.0 or not every else 0


def _print_project(project: Project, results: Sequence[PageResult], every: bool) -> None:
    both = sum(r.skeleton is None and r.markers is None for r in results)
    print(
        f"{project.name} {project.version}: {len(results)} pages, "
        f"skeleton kept {sum(r.skeleton is None for r in results)}, "
        f"markers kept {sum(r.markers is None for r in results)}, both {both}, "
        f"soft breaks kept {soft_break_share(results):.1f} % "
        f"({sum(r.still_wrapped for r in results)}/{sum(r.wrapped for r in results)})"
    )
    failing = [r for r in results if r.skeleton or r.markers]
    for r in failing if every else failing[:12]:
        if r.skeleton:
            print(f"  {r.page}: skeleton: {r.skeleton}")
        if r.markers:
            print(f"  {r.page}: markers: {r.markers}")
    if not every and len(failing) > 12:
        print(f"  ... {len(failing) - 12} more failing pages (--all-failures)")


if __name__ == "__main__":
    sys.exit(main())
