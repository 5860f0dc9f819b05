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
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from catalog.plurals import plural_info
from catalog.segment import Segment
from connectors.engines.pseudo import pseudo_localise
from connectors.po import new_catalog, new_entry, render_po, with_entries

T = TypeVar("T")
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
RSS_TARGET_MB = 300.0
NOOP_TARGET = 3.0
CORPUS_LOCALES = ("fr", "de", "ru", "ja", "es", "it", "pt_BR", "pl", "nl", "cs")


# --- measuring --------------------------------------------------------------------------


def peak_rss_mb() -> float:
    """This process's peak resident set size so far (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2**20 if sys.platform == "darwin" else 2**10)


@dataclass
class Phase:
    name: str
    seconds: float
    items: int
    peak_rss_mb: float
    py_peak_mb: float | None = None
    """tracemalloc's peak of Python allocations during the phase (with --tracemalloc)."""

    @property
    def per_second(self) -> float:
        return self.items / self.seconds if self.seconds > 0 else float("inf")

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "per_second": round(self.per_second, 1)}


def measure(name: str, items: int, fn: Callable[[], T], phases: list[Phase]) -> T:
    traced = tracemalloc.is_tracing()
    if traced:
        tracemalloc.reset_peak()
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    py_peak = tracemalloc.get_traced_memory()[1] / 2**20 if traced else None
    phases.append(Phase(name, seconds, items, round(peak_rss_mb(), 1), py_peak))
    return result


# --- a generated project ----------------------------------------------------------------

_WORD_TEXT = (
    "file folder account project workspace server report invoice message contact calendar "
    "setting device backup template user group role permission token session window page "
    "document note tag label comment task issue release build branch commit change history "
    "search filter sort column row table chart view export import upload download share link "
    "copy move rename delete archive restore open close save edit create update remove add "
    "select cancel confirm retry continue back next previous first last new old current "
    "default custom advanced basic general private public shared local remote online offline "
    "available unavailable required optional invalid valid empty full ready pending failed "
    "completed running stopped paused queued scheduled daily weekly monthly yearly today now "
    "your this that all some every each other more less any no the a an of in on for to with "
    "from by at as is are was were be been can cannot could not will would should must may"
)
_WORDS = _WORD_TEXT.split()
_COMMON = (
    "Save",
    "Cancel",
    "Delete",
    "OK",
    "Close",
    "Settings",
    "Search",
    "Back",
    "Next",
    "Edit",
    "Help",
    "Loading…",
    "Are you sure?",
    "Done",
    "Retry",
)


def _sentence(rng: random.Random, low: int, high: int) -> str:
    words = rng.choices(_WORDS, k=rng.randint(low, high))
    return " ".join(words).capitalize()


def _entry(rng: random.Random, i: int, name: str) -> Segment:
    """One realistic template entry; `i` keeps msgids unique within a template."""
    roll = rng.random()
    flags: tuple[str, ...] = ()
    plural = None
    ctx = f"{name}-{i % 7}" if rng.random() < 0.05 else None
    if roll < 0.03:
        msgid = rng.choice(_COMMON)
        ctx = f"{name}-{i}"  # a shared UI word, told apart by context
    elif roll < 0.13:
        noun = rng.choice(_WORDS)
        msgid, plural = f"%d {noun} {i}", f"%d {noun}s {i}"
        flags = ("c-format",)
    elif roll < 0.23:
        msgid = f"{_sentence(rng, 2, 8)} %(name)s ({i})"
        flags = ("python-format",)
    elif roll < 0.33:
        msgid = f"{_sentence(rng, 2, 8)} {{count}} of {{total}} ({i})"
        flags = ("python-brace-format",)
    elif roll < 0.40:
        msgid = f"<b>{_sentence(rng, 1, 3)}</b> {_sentence(rng, 3, 10).lower()} ({i})"
    elif roll < 0.45:
        msgid = f"{_sentence(rng, 12, 40)}.\n{_sentence(rng, 5, 25)} ({i})."
    else:
        msgid = f"{_sentence(rng, 1, 12)} ({i})"
    comments = f"Translators: {_sentence(rng, 3, 9).lower()}" if rng.random() < 0.2 else ""
    refs = tuple(
        (f"src/{name}/{rng.choice(_WORDS)}.py", str(rng.randint(1, 2000)))
        for _ in range(rng.randint(1, 3))
    )
    return Segment(
        msgid=msgid,
        msgctxt=ctx,
        msgid_plural=plural,
        flags=flags,
        extracted_comments=comments,
        occurrences=refs,
    )


def _header(locale: str | None) -> list[tuple[str, str]]:
    fields = [
        ("Project-Id-Version", "bench 1.0"),
        ("Report-Msgid-Bugs-To", "bench@example.org"),
        ("POT-Creation-Date", "2026-11-01 12:00+0000"),
        ("PO-Revision-Date", "2026-11-02 12:00+0000" if locale else "YEAR-MO-DA HO:MI+ZONE"),
        ("Last-Translator", "Bench <bench@example.org>"),
        ("Language-Team", "Bench"),
        ("Language", locale or ""),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=UTF-8"),
        ("Content-Transfer-Encoding", "8bit"),
    ]
    if locale:
        fields.append(("Plural-Forms", plural_info(locale).header))
    return fields


def generate_project(
    root: Path,
    *,
    templates: int,
    entries: int,
    locales: tuple[str, ...],
    translated: float = 0.6,
    fuzzy: float = 0.05,
    seed: int = 7,
) -> int:
    """Write templates, catalogues and locflow.toml under `root`; the number of segments."""
    rng = random.Random(seed)
    (root / "templates").mkdir(parents=True, exist_ok=True)
    total = 0
    for t in range(templates):
        name = f"module{t:02d}"
        segments = [_entry(rng, i, name) for i in range(entries)]
        total += len(segments)
        pot = new_catalog(f"{name}.pot", _header(None), "Generated for bench/scale_bench.py.")
        pot = with_entries(
            pot, [new_entry(s, ("",) * (2 if s.msgid_plural else 1), fuzzy=False) for s in segments]
        )
        (root / "templates" / f"{name}.pot").write_bytes(render_po(pot))
        for locale in locales:
            nplurals = plural_info(locale).nplurals
            out = []
            for s in segments:
                n = nplurals if s.msgid_plural else 1
                if rng.random() < translated:
                    text = pseudo_localise(s.msgid_plural or s.msgid, ())
                    forms = (pseudo_localise(s.msgid, ()), *([text] * (n - 1)))[:n]
                    out.append(new_entry(s, forms, fuzzy=rng.random() < fuzzy))
                else:
                    out.append(new_entry(s, ("",) * n, fuzzy=False))
            po = with_entries(new_catalog(f"{name}.po", _header(locale)), out)
            path = root / "locale" / locale / f"{name}.po"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(render_po(po))
    _write_config(root, locales, "templates/*.pot", "locale/{locale}/{name}.po")
    return total


def _write_config(root: Path, locales: tuple[str, ...], template: str, path: str) -> None:
    (root / "locflow.toml").write_text(
        "[project]\n"
        f'name = "{root.name}"\n'
        'source_locale = "en"\n'
        f"locales = {json.dumps(list(locales))}\n\n"
        "[[catalogs]]\n"
        f'template = "{template}"\n'
        f'path = "{path}"\n\n'
        '[engine]\nname = "pseudo"\n\n'
        '[export]\nmachine = "fuzzy"\nmo = false\n',
        encoding="utf-8",
    )


# --- the pipeline as plain functions ----------------------------------------------------


@dataclass
class PlanSummary:
    queued_items: int
    keys: list[tuple[str | None, str, str | None]]
    """(msgctxt, msgid, msgid_plural) of each engine job the plan queued."""


@dataclass
class Pipeline:
    """sync / plan / translate (pseudo) / export over one project on one database."""

    root: Path
    database_url: str
    config: Any = field(init=False)
    Session: Any = field(init=False)

    def __post_init__(self) -> None:
        from db.session import open_database
        from flows.config import load_config

        self.config = load_config(
            self.root / "locflow.toml", env={"LOCFLOW_DATABASE_URL": self.database_url}
        )
        self.Session = open_database(self.database_url)

    def sync(self) -> Any:
        from flows.steps.sync import sync_project

        with self.Session() as s, s.begin():
            return sync_project(s, self.config)

    def plan(self, examples: int | None = None, *, keep: bool = False) -> dict[str, Any]:
        """plan_locale per locale, one session each (as the flow's plan task does); each
        plan is dropped once summarised unless `keep`. `examples=0`: no fuzzy memory."""
        from db import repo
        from flows.steps.plan import MEMORY_EXAMPLES, plan_locale

        out: dict[str, Any] = {}
        for locale in self.config.locales:
            with self.Session() as s:
                project = repo.get_or_create_project(
                    s, self.config.project, self.config.source_locale
                )
                plan = plan_locale(
                    s, project, locale, examples=MEMORY_EXAMPLES if examples is None else examples
                )
            out[locale] = plan if keep else PlanSummary(plan.queued_items, list(plan.queued))
            del plan
        return out

    def memory_examples_cost(self, plans: dict[str, PlanSummary], sample: int) -> dict[str, Any]:
        """What plan's fuzzy memory examples (SimilarTranslations.nearest, once per queued
        string) cost: timed on `sample` queued strings per locale, extrapolated to all."""
        from db import repo
        from flows.steps.plan import MEMORY_EXAMPLES, SimilarTranslations

        queries = seconds = 0.0
        total = 0
        with self.Session() as s:
            project = repo.get_or_create_project(s, self.config.project, self.config.source_locale)
            for locale, plan in plans.items():
                similar = SimilarTranslations(repo.approved_memory(s, project.id, locale))
                total += len(plan.keys)
                picked = plan.keys[:: max(1, len(plan.keys) // sample)][:sample]
                start = time.perf_counter()
                for key in picked:
                    similar.nearest(key[1], MEMORY_EXAMPLES)
                seconds += time.perf_counter() - start
                queries += len(picked)
        per_query = seconds / queries if queries else 0.0
        return {
            "sampled": int(queries),
            "ms_per_string": round(per_query * 1000, 3),
            "queued_strings": total,
            "extrapolated_seconds": round(per_query * total, 1),
        }

    def translate(self, plans: dict[str, Any]) -> int:
        from connectors.engines.registry import create_engine
        from flows.steps.translate import jobs_of, store_outcomes, store_reused, translate_jobs

        engine = create_engine(self.config.engine)
        stored = 0
        for plan in plans.values():
            outcomes = asyncio.run(translate_jobs(engine, jobs_of(plan), self.config.source_locale))
            with self.Session() as s, s.begin():
                stored += store_reused(s, plan.reused, run_id=None).reused
                counts = store_outcomes(
                    s,
                    outcomes,
                    source_locale=self.config.source_locale,
                    engine_name=engine.name,
                    run_id=None,
                )
                stored += counts.machine + counts.needs_review
        return stored

    def export(self) -> list[Any]:
        from flows.steps.export import export_project

        with self.Session() as s, s.begin():
            return export_project(s, self.config, now=NOW)

    def close(self) -> None:
        self.Session.kw["bind"].dispose()


# --- part 1: 100k segments --------------------------------------------------------------


def scale_part(
    root: Path, *, segments: int, full_plan: bool = False, sample: int = 300
) -> dict[str, Any]:
    """Sync, plan and export the generated project in `root` on a fresh SQLite database.

    Plan's fuzzy memory examples grow with queued × remembered strings, so by default plan
    is timed without them and their cost is timed on a sample and extrapolated
    (`full_plan` times the real thing)."""
    for stale in root.glob(".locflow/bench*.db*"):
        stale.unlink()
    # a new name each time: db.session migrates a URL once per process
    db = root / ".locflow" / f"bench-{time.time_ns()}.db"
    phases: list[Phase] = []
    pipe = Pipeline(root, f"sqlite:///{db}")
    import flows.steps.export
    import flows.steps.plan
    import flows.steps.sync  # noqa: F401 - imported before the baseline is taken

    start_rss = peak_rss_mb()
    report = measure("sync", segments, pipe.sync, phases)
    locales = len(pipe.config.locales)
    name = "plan" if full_plan else "plan (without memory examples)"
    plans = measure(name, segments * locales, lambda: pipe.plan(None if full_plan else 0), phases)
    queued = sum(p.queued_items for p in plans.values())
    examples = None if full_plan else pipe.memory_examples_cost(plans, sample)
    del plans
    files = measure("export", segments * locales, pipe.export, phases)
    pipe.close()
    return {
        "segments": segments,
        "locales": locales,
        "imported": report.imported,
        "queued_by_plan": queued,
        "memory_examples": examples,
        "files_written": sum(f.written for f in files),
        "rss_after_imports_mb": round(start_rss, 1),
        "phases": [p.as_dict() for p in phases],
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "rss_target_mb": RSS_TARGET_MB,
    }


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
    _write_config(root, ordered, "templates/*.pot", "locale/{locale}/{name}.po")
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
