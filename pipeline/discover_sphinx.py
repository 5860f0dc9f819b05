"""Sphinx's translation settings, read from conf.py without running it.

conf.py is Python: only top-level assignments of literals (`locale_dirs = ['locale/']`,
`gettext_compact = False`) are read, with `ast.literal_eval`; anything computed is ignored
and Sphinx's default assumed. The gettext build dir is `<BUILDDIR>/gettext`, BUILDDIR from
the Makefile sphinx-quickstart writes beside conf.py or one folder up (default `_build`).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

SPHINX_DEFAULT_LOCALE_DIRS = ("locales",)
_BUILDDIR = re.compile(r"^BUILDDIR\s*\??=\s*(\S+)\s*$", re.MULTILINE)
_SPHINX_NAMES = ("extensions", "html_theme", "master_doc", "root_doc", "locale_dirs")


@dataclass(frozen=True)
class SphinxConf:
    folder: str
    """conf.py's folder, relative to the project root ("." for the root)."""
    locale_dirs: tuple[str, ...] | None
    """As set in conf.py (relative to its folder); None when conf.py does not set it."""
    gettext_compact: bool | str
    gettext_dir: str
    """Where `sphinx-build -b gettext` writes the templates, relative to the project root."""


def literal_assignments(source: str) -> dict[str, Any]:
    """Top-level `name = <literal>` assignments of a Python file; the rest is skipped."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {}
    out: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if not isinstance(target, ast.Name):
            continue
        try:
            out[target.id] = ast.literal_eval(value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            out.pop(target.id, None)  # computed: Sphinx sees something we cannot know
    return out


def is_sphinx_conf(source: str, values: dict[str, Any]) -> bool:
    return any(n in values for n in _SPHINX_NAMES) or "sphinx" in source.lower()


def read_sphinx_conf(conf: str, source: str, makefiles: dict[str, str]) -> SphinxConf | None:
    """The settings of the conf.py at `conf` (relative path) with text `source`; `makefiles`:
    the text of `Makefile`s beside it or one folder up, by relative path. None: not Sphinx's."""
    values = literal_assignments(source)
    if not is_sphinx_conf(source, values):
        return None
    folder = str(PurePosixPath(conf).parent)
    dirs = values.get("locale_dirs")
    locale_dirs = (
        tuple(str(d) for d in dirs)
        if isinstance(dirs, (list, tuple)) and dirs and all(isinstance(d, str) for d in dirs)
        else None
    )
    compact = values.get("gettext_compact", True)
    if not isinstance(compact, (bool, str)):
        compact = True
    return SphinxConf(folder, locale_dirs, compact, _gettext_dir(folder, makefiles))


def _gettext_dir(folder: str, makefiles: dict[str, str]) -> str:
    for make in (_join(folder, "Makefile"), _join(str(PurePosixPath(folder).parent), "Makefile")):
        text = makefiles.get(make)
        m = _BUILDDIR.search(text) if text else None
        if m and "$" not in m[1]:
            return _join(str(PurePosixPath(make).parent), m[1], "gettext")
    return _join(folder, "_build", "gettext")


def _join(*parts: str) -> str:
    path = PurePosixPath(*[p.strip("/") or "." for p in parts])
    clean: list[str] = []
    for part in path.parts:
        if part == "..":
            if clean and clean[-1] != "..":
                clean.pop()
                continue
        elif part == ".":
            continue
        clean.append(part)
    return "/".join(clean) or "."


def join(*parts: str) -> str:
    """Relative POSIX path of `parts` joined, `.` and `..` folded ("." for the root)."""
    return _join(*parts)
