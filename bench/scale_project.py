"""Part 1 of `make bench-scale`: a generated project of realistic templates and
catalogues (100k segments by default), then sync, plan and export timed on it.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

from bench.scale_pipeline import Phase, Pipeline, measure, peak_rss_mb, write_config
from locflow.catalog.plurals import plural_info
from locflow.catalog.segment import Segment
from locflow.connectors.engines.pseudo import pseudo_localise
from locflow.connectors.po import render_po
from locflow.connectors.po_edit import new_catalog, new_entry, with_entries

RSS_TARGET_MB = 300.0


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
    write_config(root, locales, "templates/*.pot", "locale/{locale}/{name}.po")
    return total


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
    import locflow.pipeline.export
    import locflow.pipeline.plan
    import locflow.pipeline.sync  # noqa: F401 - imported before the baseline is taken

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
