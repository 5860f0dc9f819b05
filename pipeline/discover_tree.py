"""Which files `locflow init` looks at: the project's templates, catalogues, Sphinx conf.py
files and MkDocs or Zensical site configs, found by one walk that skips environments, VCS,
build output and test suites."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from locflow.pipeline.mkdocs_site import SITE_FILES

SKIP_DIRS = frozenset(
    {
        ".venv", "venv", "env", "node_modules", ".git", ".hg", ".svn", ".tox", ".nox",
        "build", "_build", "dist", "site-packages", "__pycache__", ".locflow", ".cache",
        ".mypy_cache", ".pytest_cache", ".ruff_cache", "tests", "test",
    }
)  # fmt: skip
"""Folders never searched: environments, VCS, build output (Sphinx's gettext build dir is
read through conf.py instead) and test suites (Django's tests hold fixture catalogues)."""


@dataclass
class Tree:
    """The files init reads, relative POSIX paths."""

    pots: list[str] = field(default_factory=list)
    pos: list[str] = field(default_factory=list)
    confs: list[str] = field(default_factory=list)
    sites: list[str] = field(default_factory=list)
    """MkDocs and Zensical configs (mkdocs.yml, mkdocs.yaml, zensical.toml)."""


def walk(root: str | os.PathLike[str]) -> Tree:
    tree = Tree()
    for here, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info"))
        rel = os.path.relpath(here, root)
        for name in sorted(files):
            p = name if rel == "." else f"{PurePosixPath(*rel.split(os.sep))}/{name}"
            if name.endswith(".pot"):
                tree.pots.append(p)
            elif name.endswith(".po"):
                tree.pos.append(p)
            elif name == "conf.py":
                tree.confs.append(p)
            elif name in SITE_FILES:
                tree.sites.append(p)
    return tree


def pots_under(root: str | os.PathLike[str], folder: str) -> list[str]:
    """The templates under a build folder, relative to it, without `.pot`."""
    top = os.path.join(root, folder)
    out = []
    for here, dirs, files in os.walk(top):
        dirs.sort()
        rel = os.path.relpath(here, top)
        for name in sorted(files):
            if name.endswith(".pot"):
                p = name[:-4] if rel == "." else f"{PurePosixPath(*rel.split(os.sep))}/{name[:-4]}"
                out.append(p)
    return out
