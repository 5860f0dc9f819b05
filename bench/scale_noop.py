"""Part 2 of `make bench-scale`: a no-op re-run over real catalogues (Django's and
Sphinx's own .po files) against GNU msgcat run on each of the same files.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.scale_pipeline import Phase, Pipeline, measure, peak_rss_mb, write_config

NOOP_TARGET = 3.0
CORPUS_LOCALES = ("fr", "de", "ru", "ja", "es", "it", "pt_BR", "pl", "nl", "cs")


# --- part 2: no-op re-run over real catalogues ------------------------------------------


def _site_packages() -> Path:
    import django

    return Path(django.__file__).resolve().parent.parent


def real_catalogues(limit: int | None = None) -> list[tuple[str, Path, dict[str, Path]]]:
    """(name, template, {locale: catalogue}) from Django's and Sphinx's own locale folders."""
    site = _site_packages()
    groups: list[tuple[str, Path]] = [
        ("django", site / "django" / "conf" / "locale"),
        *(
            (f"django-{p.parent.name}", p)
            for p in sorted((site / "django" / "contrib").glob("*/locale"))
        ),
    ]
    out = []
    for name, base in groups:
        for domain in ("django", "djangojs"):
            template = base / "en" / "LC_MESSAGES" / f"{domain}.po"
            if not template.exists():
                continue
            found = {
                loc: base / loc / "LC_MESSAGES" / f"{domain}.po"
                for loc in CORPUS_LOCALES
                if (base / loc / "LC_MESSAGES" / f"{domain}.po").exists()
            }
            out.append((f"{name}-js" if domain == "djangojs" else name, template, found))
    sphinx = site / "sphinx" / "locale"
    if (sphinx / "sphinx.pot").exists():
        found = {
            loc: sphinx / loc / "LC_MESSAGES" / "sphinx.po"
            for loc in CORPUS_LOCALES
            if (sphinx / loc / "LC_MESSAGES" / "sphinx.po").exists()
        }
        out.append(("sphinx", sphinx / "sphinx.pot", found))
    if limit:  # the smallest templates: a quick run
        out = sorted(out, key=lambda item: item[1].stat().st_size)[:limit]
    return out


def build_corpus_project(root: Path, limit: int | None = None) -> list[Path]:
    """A project of real templates and catalogues; the catalogue files."""
    files = []
    locales = set()
    for name, template, found in real_catalogues(limit):
        (root / "templates").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, root / "templates" / f"{name}.pot")
        for loc, path in found.items():
            dest = root / "locale" / loc / f"{name}.po"
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
            files.append(dest)
            locales.add(loc)
    ordered = tuple(loc for loc in CORPUS_LOCALES if loc in locales)
    write_config(root, ordered, "templates/*.pot", "locale/{locale}/{name}.po")
    return files


def msgcat_seconds(files: list[Path]) -> float | None:
    """GNU msgcat over each file, one process per file, output to /dev/null; summed."""
    exe = shutil.which("msgcat")
    if exe is None:
        return None
    total = 0.0
    for path in files:
        start = time.perf_counter()
        subprocess.run(
            [exe, str(path), "-o", os.devnull], check=True, capture_output=True, timeout=120
        )
        total += time.perf_counter() - start
    return total


def noop_part(root: Path, *, limit: int | None = None) -> dict[str, Any]:
    files = build_corpus_project(root, limit)
    entries = 0
    pipe = Pipeline(root, f"sqlite:///{root / '.locflow' / 'bench.db'}")
    setup: list[Phase] = []
    measure("first sync", 0, pipe.sync, setup)
    plans = measure("first plan", 0, lambda: pipe.plan(keep=True), setup)
    measure("first translate (pseudo)", 0, lambda: pipe.translate(plans), setup)
    measure("first export", 0, pipe.export, setup)
    del plans
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in files}
    phases: list[Phase] = []
    entries = sum(p.read_bytes().count(b"\nmsgid ") for p in files)
    start = time.perf_counter()
    report = measure("sync", entries, pipe.sync, phases)
    plans = measure("plan", entries, pipe.plan, phases)
    queued = sum(p.queued_items for p in plans.values())
    results = measure("export", entries, pipe.export, phases)
    locflow = time.perf_counter() - start
    pipe.close()
    unchanged = all(before[p] == (p.stat().st_mtime_ns, p.read_bytes()) for p in files)
    msgcat = msgcat_seconds(files)
    return {
        "catalogues": len(files),
        "entries": entries,
        "sync_unchanged": report.catalogs_unchanged,
        "queued_by_plan": queued,
        "files_changed": sum(f.changed for f in results),
        "files_untouched": unchanged,
        "setup": [p.as_dict() for p in setup],
        "phases": [p.as_dict() for p in phases],
        "locflow_seconds": round(locflow, 3),
        "msgcat_seconds": round(msgcat, 3) if msgcat is not None else None,
        "ratio": round(locflow / msgcat, 2) if msgcat else None,
        "ratio_target": NOOP_TARGET,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
