"""`make bench-scale`: locflow at scale, on SQLite, as plain functions (no Prefect).

1. **100k segments**: a generated project of 20 templates × 5,000 entries (realistic UI and
   doc strings: placeholders of three formats, HTML, plurals, contexts, comments, references)
   with catalogues for 2 locales (60 % translated, some fuzzy). Timed: sync (a first sync
   imports every translation), plan (every locale) and export; segments per second and the
   process's peak RSS after each step (target: at most 300 MB).
2. **No-op re-run over real catalogues**: Django's and Sphinx's own .po files from the venv
   (≥ 100 catalogues) as a project; after a first full run (sync, pseudo translation, export),
   sync + plan + export once more with nothing changed, against GNU `msgcat` run on each of
   the same files (to /dev/null, summed). Target: at most 3 × msgcat.
3. **Prefect's fixed cost** apart: one trivial flow run against an ephemeral API.

Each part runs in its own process so its peak RSS is its own. `--templates/--entries/...`
shrink it (the smoke test runs it tiny); `--json` prints the figures as JSON.

Part 1 is in bench/scale_project.py, part 2 in bench/scale_noop.py, the timed steps and the
peak RSS measurement they share in bench/scale_pipeline.py.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.scale_noop import noop_part
from bench.scale_project import generate_project, scale_part

# --- part 3: Prefect's fixed cost -------------------------------------------------------

_TRIVIAL_FLOW = """
import time
start = time.perf_counter()
from prefect import flow
@flow
def trivial() -> int:
    return 1
assert trivial() == 1
print(time.perf_counter() - start)
"""


def prefect_part() -> dict[str, Any]:
    """One trivial flow run against a temporary local API, in a fresh process."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    with tempfile.TemporaryDirectory(prefix="locflow-prefect-") as home:
        env.update(PREFECT_HOME=home, PREFECT_SERVER_ANALYTICS_ENABLED="false")
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", _TRIVIAL_FLOW],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        wall = time.perf_counter() - start
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
    return {"process_seconds": round(wall, 2), "flow_seconds": round(float(proc.stdout), 2)}


# --- running the parts ------------------------------------------------------------------


def _in_subprocess(args: list[str]) -> dict[str, Any]:
    """Run one part in a fresh interpreter (its own peak RSS); its JSON result."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench.scale_bench", *args, "--json"],
        capture_output=True,
        text=True,
        timeout=3600,
        cwd=Path(__file__).resolve().parent.parent,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"part {args[1]} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout)


def run_part(part: str, opts: argparse.Namespace, work: Path) -> dict[str, Any]:
    if opts.tracemalloc:
        tracemalloc.start()
    if part == "generate":
        start = time.perf_counter()
        n = generate_project(
            work / "scale",
            templates=opts.templates,
            entries=opts.entries,
            locales=tuple(opts.locales.split(",")),
        )
        return {"segments": n, "seconds": round(time.perf_counter() - start, 1)}
    if part == "scale":
        segments = opts.templates * opts.entries
        return scale_part(work / "scale", segments=segments, full_plan=opts.full_plan)
    if part == "noop":
        return noop_part(work / "corpus", limit=opts.corpus_limit)
    if part == "prefect":
        return prefect_part()
    raise ValueError(part)


def run_all(opts: argparse.Namespace, work: Path) -> dict[str, Any]:
    common = [
        "--workdir",
        str(work),
        "--templates",
        str(opts.templates),
        "--entries",
        str(opts.entries),
        "--locales",
        opts.locales,
        *(["--corpus-limit", str(opts.corpus_limit)] if opts.corpus_limit else []),
        *(["--tracemalloc"] if opts.tracemalloc else []),
        *(["--full-plan"] if opts.full_plan else []),
    ]
    parts = ["generate", "scale", "noop"] + ([] if opts.no_prefect else ["prefect"])
    results = {}
    for part in parts:
        results[part] = (
            _in_subprocess(["--part", part, *common])
            if opts.isolate
            else run_part(part, opts, work)
        )
    if opts.no_prefect:
        results["prefect"] = {"skipped": "--no-prefect"}
    return results


def format_report(results: dict[str, Any]) -> Iterator[str]:
    scale, noop, pf = results["scale"], results["noop"], results["prefect"]
    yield f"== {scale['segments']:,} segments, {scale['locales']} locales (SQLite) =="
    yield f"   generated in {results['generate']['seconds']} s"
    yield f"   RSS after imports: {scale['rss_after_imports_mb']} MB"
    for p in scale["phases"]:
        extra = f", Python peak {p['py_peak_mb']:.0f} MB" if p["py_peak_mb"] else ""
        yield (
            f"   {p['name']:<30} {p['seconds']:8.2f} s  {p['per_second']:>9,.0f} items/s  "
            f"peak RSS {p['peak_rss_mb']:6.1f} MB{extra}"
        )
    if scale["memory_examples"]:
        m = scale["memory_examples"]
        yield (
            f"   plan's memory examples: {m['ms_per_string']} ms per queued string "
            f"({m['sampled']} sampled) × {m['queued_strings']:,} = ~{m['extrapolated_seconds']} s"
        )
    ok = "OK" if scale["peak_rss_mb"] <= scale["rss_target_mb"] else "MISSED"
    yield f"   peak RSS {scale['peak_rss_mb']} MB (target ≤ {scale['rss_target_mb']:.0f}): {ok}"
    yield (
        f"   imported {scale['imported']:,} translations; plan queued {scale['queued_by_plan']:,}"
        f"; export wrote {scale['files_written']} files"
    )
    yield f"== no-op re-run: {noop['catalogues']} real catalogues, {noop['entries']:,} entries =="
    for p in noop["phases"]:
        yield f"   {p['name']:<7} {p['seconds']:8.3f} s"
    yield f"   locflow sync+plan+export  {noop['locflow_seconds']:.3f} s"
    if noop["msgcat_seconds"] is None:
        yield "   msgcat not installed: no comparison"
    else:
        ok = "OK" if noop["ratio"] <= noop["ratio_target"] else "MISSED"
        yield f"   msgcat, one run per file  {noop['msgcat_seconds']:.3f} s"
        yield f"   ratio {noop['ratio']} × msgcat (target ≤ {noop['ratio_target']:.0f}): {ok}"
    yield (
        f"   unchanged files untouched: {noop['files_untouched']}; plan queued "
        f"{noop['queued_by_plan']}; peak RSS {noop['peak_rss_mb']} MB"
    )
    if "skipped" in pf:
        yield f"== Prefect start-up: skipped ({pf['skipped']}) =="
    elif "error" in pf:
        yield f"== Prefect start-up: failed ({pf['error']}) =="
    else:
        yield (
            f"== Prefect start-up (ephemeral API, one trivial flow): {pf['flow_seconds']} s "
            f"in-process, {pf['process_seconds']} s with interpreter start =="
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--templates", type=int, default=20)
    parser.add_argument("--entries", type=int, default=5000, help="entries per template")
    parser.add_argument("--locales", default="fr,ru", help="locales of the generated project")
    parser.add_argument(
        "--corpus-limit", type=int, default=None, help="only the N smallest real templates"
    )
    parser.add_argument("--workdir", type=Path, default=None, help="kept; default: a temp dir")
    parser.add_argument("--part", choices=("generate", "scale", "noop", "prefect"))
    parser.add_argument("--no-prefect", action="store_true", help="skip Prefect's start-up")
    parser.add_argument(
        "--no-isolate",
        dest="isolate",
        action="store_false",
        help="run every part in this process (peak RSS is then shared)",
    )
    parser.add_argument("--tracemalloc", action="store_true", help="Python heap peaks (slow)")
    parser.add_argument(
        "--full-plan", action="store_true", help="time plan with its memory examples (slow)"
    )
    parser.add_argument("--json", action="store_true")
    opts = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="locflow-scale-") as tmp:
        work = opts.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        if opts.part:
            result = run_part(opts.part, opts, work)
            print(json.dumps(result) if opts.json else result)
            return 0
        results = run_all(opts, work)
    if opts.json:
        print(json.dumps(results, indent=2))
    else:
        print("\n".join(format_report(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
