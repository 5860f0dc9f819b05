"""The layout holds: one import name (`locflow.*`), every package shipped, test modules apart,
and import-linter's contracts kept (so `make test` fails on a broken contract even when
`make lint` was skipped)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

from tests.support.env import ROOT
from tests.support.lint_imports import lint_imports, package_dirs

MAPPED = ("catalog", "connectors", "glossaries", "db", "pipeline", "flows", "review", "cli")
"""The folders mapped under `locflow`: never importable by their own names."""
SKIPPED_DIRS = {".venv", "build", ".git", "__pycache__", "node_modules"}


def _python_files(top: Path) -> Iterator[Path]:
    for dirpath, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS and not d.startswith(".")]
        yield from (Path(dirpath) / f for f in files if f.endswith(".py"))


def _imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) for every absolute import in `path`; `from a import b` yields `a` and
    `a.b` (b may be a module)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
            yield from ((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)


def test_every_package_folder_is_listed_in_pyproject() -> None:
    with (ROOT / "pyproject.toml").open("rb") as f:
        listed = set(tomllib.load(f)["tool"]["setuptools"]["packages"])
    folders = package_dirs(ROOT)
    found = set()
    for name, folder in folders.items():
        for init in _python_files(folder):
            if init.name == "__init__.py":
                parts = init.parent.relative_to(folder).parts
                found.add(".".join((name, *parts)))
    assert found - listed == set()  # a package left out of the wheel
    for package in listed:  # and every listed one exists (data folders such as migrations too)
        mapped = max((n for n in folders if package == n or package.startswith(n + ".")), key=len)
        rest = package.removeprefix(mapped).lstrip(".")
        assert folders[mapped].joinpath(*rest.split(".") if rest else ()).is_dir(), package


def test_nothing_imports_a_mapped_folder_by_its_own_name() -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for path in _python_files(ROOT)
        for line, module in _imported_modules(path)
        if module.split(".")[0] in MAPPED
    ]
    assert wrong == []


def test_importing_db_from_the_checkout_fails_with_the_guard() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-c", "import db"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == "ImportError: import locflow.db, not db"


def test_no_test_module_imports_another_test_module_or_conftest() -> None:
    tests = ROOT / "tests"
    wrong = []
    for path in _python_files(tests):
        if "fixtures" in path.relative_to(tests).parts:
            continue  # sample projects, not test code
        for line, module in _imported_modules(path):
            parts = module.split(".")
            if parts[0] == "tests":
                parts = parts[1:]
            if parts and (parts[0].startswith("test_") or parts[0] == "conftest"):
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {module}")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level > 0:
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}: a relative import")
    assert wrong == []


def test_import_contracts_are_kept() -> None:
    done = lint_imports("--no-logo")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout
