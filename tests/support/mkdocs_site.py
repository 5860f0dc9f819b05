"""Building translated MkDocs Material sites, as a user of mkdocs-static-i18n does.

`corpus_site` lays real pages out in the plugin's folder structure (docs/en/ the source,
docs/<locale>/ the pseudo-translation); `build` runs `mkdocs build --strict` and returns its
WARNING lines; `extension_classes` counts what the extensions made in a built page, to
compare a translated page with its source.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

PSEUDO_LOCALE = "en_XA"
"""The pseudo-locale code Android and Windows use; mkdocs-static-i18n accepts `ll_CC`."""

EXTENSIONS_YML = """\
markdown_extensions:
  - toc
  - admonition
  - attr_list
  - def_list
  - footnotes
  - abbr
  - md_in_html
  - tables
  - pymdownx.details
  - pymdownx.superfences
  - pymdownx.tabbed:
      alternate_style: true
  - pymdownx.blocks.admonition:
      types: [new, settings, note, abstract, info, tip, success, question, warning,
              failure, danger, bug, example, important, quote, attention, caution, error,
              hint]
  - pymdownx.blocks.details
  - pymdownx.blocks.tab:
      alternate_style: true
  - pymdownx.blocks.html
  - pymdownx.blocks.definition
  - pymdownx.keys
  - pymdownx.mark
  - pymdownx.caret
  - pymdownx.tilde
  - pymdownx.critic
  - pymdownx.arithmatex:
      generic: true
  - pymdownx.tasklist
  - pymdownx.highlight
  - pymdownx.inlinehilite
  - pymdownx.snippets:
      check_paths: false
      base_path: [{snippets}]
  - pymdownx.emoji:
      emoji_index: !!python/name:material.extensions.emoji.twemoji
      emoji_generator: !!python/name:material.extensions.emoji.to_svg
"""

RELAXED = """\
validation:
  nav:
    omitted_files: info
    not_found: info
    absolute_links: info
  links:
    not_found: info
    anchors: info
    absolute_links: info
    unrecognized_links: info
"""
"""What the corpus build relaxes (warnings become INFO lines, `--strict` stays on): links to
pages and anchors the sdists do not ship or that only exist on the projects' own sites."""


def site_yml(locales: Sequence[str], *, snippets: str = "snippets", relaxed: bool = False) -> str:
    """An mkdocs.yml: Material, the extensions, the i18n plugin with docs/en/ as default."""
    langs = "\n".join(
        f"        - locale: {code}\n          name: {code}\n          build: true"
        + ("\n          default: true" if code == "en" else "")
        + ("\n          theme:\n            language: en" if code == PSEUDO_LOCALE else "")
        for code in ("en", *locales)
    )
    return (
        "site_name: locflow corpus\ndocs_dir: docs\nsite_dir: site\n"
        "theme:\n  name: material\n"
        + EXTENSIONS_YML.format(snippets=snippets)
        + (RELAXED if relaxed else "")
        + "plugins:\n  - search\n  - i18n:\n      docs_structure: folder\n      languages:\n"
        + langs
        + "\n"
    )


@dataclass(frozen=True)
class Build:
    returncode: int
    output: str
    warnings: tuple[str, ...]
    """The WARNING lines of the build log (with --strict, any one fails the build)."""


WARNING_LINE = re.compile(r"^WARNING\b.*$", re.MULTILINE)


def build(site: Path, timeout: float = 600) -> Build:
    """`mkdocs build --strict` in `site` with the virtualenv's MkDocs."""
    env = {**os.environ, "NO_MKDOCS_2WARNING_LINE": "1", "NO_COLOR": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict"],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    output = proc.stdout + proc.stderr
    return Build(proc.returncode, output, tuple(WARNING_LINE.findall(output)))


_BACKSLASH_ID = re.compile(r"\{:?[^}\n]*#\\")
"""`{: #\\6.0}`: an id MkDocs itself warns about in the source page (a `\\` in a URL)."""


@dataclass(frozen=True)
class CorpusSite:
    pages: tuple[str, ...]
    """Pages built in both languages (docs-relative, posix)."""
    failed: tuple[str, ...]
    """Pages whose translation could not be made (the plugin falls back to English)."""
    left_out: tuple[str, ...]
    """Pages the source alone makes MkDocs warn about (see _BACKSLASH_ID): not built."""


def corpus_site(
    root: Path, trees: Iterable[tuple[str, Path]], locale: str = PSEUDO_LOCALE
) -> CorpusSite:
    """A site under `root` with each (name, docs folder) copied to docs/en/<name>/ and its
    pages pseudo-translated (dialect "mkdocs") to docs/<locale>/<name>/."""
    from tests.support.real_docs import pseudo_translate

    built: list[str] = []
    failed: list[str] = []
    left_out: list[str] = []
    names: list[str] = []
    for name, tree in trees:
        src = root / "docs" / "en" / name
        shutil.copytree(tree, src, dirs_exist_ok=True)
        names.append(name)
        for page in sorted(src.rglob("*.md")):
            rel = page.relative_to(root / "docs" / "en").as_posix()
            if any(part.startswith(".") for part in rel.split("/")):
                continue  # snippet files: MkDocs does not build them
            text = _without_missing_icons(page.read_text("utf-8"))
            if _BACKSLASH_ID.search(text):
                page.unlink()
                left_out.append(rel)
                continue
            page.write_text(text, "utf-8")
            target = root / "docs" / locale / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                _, out = pseudo_translate(text, rel)
            except Exception:
                failed.append(rel)
                continue
            target.write_text(out, "utf-8")
            built.append(rel)
    home = "# Corpus\n\n" + "".join(f"- [{n}]({n}/index.md)\n" for n in names)
    (root / "docs" / "en" / "index.md").write_text(home, "utf-8")
    (root / "snippets").mkdir(exist_ok=True)
    (root / "mkdocs.yml").write_text(site_yml([locale], relaxed=True), "utf-8")
    return CorpusSite(tuple(built), tuple(failed), tuple(left_out))


_LUCIDE = re.compile(r"\A(---\n(?:.*\n)*?)icon: lucide/.*\n")


def _without_missing_icons(text: str) -> str:
    """pymdown-extensions' pages name Zensical's `lucide/` icons in their front matter,
    which Material for MkDocs lacks (the build would stop): that key goes, in both."""
    return _LUCIDE.sub(r"\1", text)


_MADE = re.compile(
    r'class="(?P<c>admonition[ "]|tabbed-set|footnote[ "]|md-button|keys|arithmatex|'
    r"critic|task-list-item)"
    r"|<(?P<t>details|summary|abbr|mark|ins|del|kbd|dl|dt|dd|sup|table)[\s>]"
)


def built_page(site: Path, page: str, locale: str | None = None) -> Path:
    """Where MkDocs (directory URLs) writes docs/<lang>/`page`: `a/b.md` -> a/b/index.html."""
    stem = page[: -len(".md")]
    rel = stem[: -len("index")] if stem == "index" or stem.endswith("/index") else stem + "/"
    return site / "site" / (locale or "") / rel / "index.html"


def extension_classes(html: str) -> Counter[str]:
    """What the extensions made in a built page's article (admonitions, tabs, details,
    footnotes, buttons, keys, abbreviations, ...), counted."""
    start, end = html.find("<article"), html.rfind("</article>")
    article = html[start:end] if start >= 0 else html
    return Counter((m["c"] or m["t"]).rstrip(' "') for m in _MADE.finditer(article))
