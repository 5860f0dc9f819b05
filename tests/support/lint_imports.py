"""import-linter's `lint-imports` on the checkout, laid out as the installed `locflow`.

import-linter (grimp) finds a package's modules by walking the directory the package's import
resolves to. In a checkout that is `locflow/`, which holds only __init__.py and settings.py:
setuptools' `package-dir` maps the other folders (catalog/, db/, cli/, ...) under `locflow`.
So this builds a throwaway tree `locflow/` with one symlink per mapped folder, read from
pyproject.toml (where the mapping is written once), and runs `lint-imports` from there with
the contracts in pyproject.toml. Arguments are passed on to `lint-imports`.

    python -m tests.support.lint_imports      (`make lint`, `make test`, tests/test_layout.py)
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "locflow"


def package_dirs(root: Path = ROOT) -> dict[str, Path]:
    """`[tool.setuptools] package-dir`: import name -> folder."""
    with (root / "pyproject.toml").open("rb") as f:
        mapping = tomllib.load(f)["tool"]["setuptools"]["package-dir"]
    return {name: root / folder for name, folder in mapping.items()}


def build_tree(dest: Path, root: Path = ROOT) -> Path:
    """Lay out `dest/locflow/` as an install would, with symlinks into `root`."""
    top = dest / PACKAGE
    top.mkdir(parents=True)
    for name, folder in package_dirs(root).items():
        if name == PACKAGE:
            for item in folder.iterdir():
                if item.suffix == ".py":
                    (top / item.name).symlink_to(item)
            continue
        parent, _, child = name.rpartition(".")
        if parent != PACKAGE:
            raise ValueError(f"{name}: only folders mapped directly under {PACKAGE} are linked")
        (top / child).symlink_to(folder, target_is_directory=True)
    return dest


def lint_imports(*args: str, root: Path = ROOT) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "lint-imports"
    with tempfile.TemporaryDirectory(prefix="locflow-imports-") as tmp:
        tree = build_tree(Path(tmp), root)
        return subprocess.run(
            [str(exe), "--no-cache", str(root / "pyproject.toml"), *args],
            cwd=tree,  # lint-imports imports the root package from its working directory
            capture_output=True,
            text=True,
        )


def main() -> int:
    done = lint_imports(*sys.argv[1:])
    sys.stdout.write(done.stdout)
    sys.stderr.write(done.stderr)
    return done.returncode


if __name__ == "__main__":
    raise SystemExit(main())
