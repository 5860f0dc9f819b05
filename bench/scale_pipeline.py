"""Measuring and running locflow's steps as plain functions (no Prefect), for the scale
benchmark (bench/scale_bench.py): each step's time and the process's peak RSS after it,
and sync / plan / translate (pseudo) / export over one project on one database.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


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


# --- a project's locflow.toml -----------------------------------------------------------


def write_config(root: Path, locales: tuple[str, ...], template: str, path: str) -> None:
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
        from locflow.db.session import open_database
        from locflow.settings import load_config

        self.config = load_config(
            self.root / "locflow.toml", env={"LOCFLOW_DATABASE_URL": self.database_url}
        )
        self.Session = open_database(self.database_url)

    def sync(self) -> Any:
        from locflow.pipeline.sync import sync_project

        with self.Session() as s, s.begin():
            return sync_project(s, self.config)

    def plan(self, examples: int | None = None, *, keep: bool = False) -> dict[str, Any]:
        """plan_locale per locale, one session each (as the flow's plan task does); each
        plan is dropped once summarised unless `keep`. `examples=0`: no fuzzy memory."""
        from locflow.db import repo
        from locflow.pipeline.plan import MEMORY_EXAMPLES, plan_locale

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
        from locflow.db import repo
        from locflow.pipeline.plan import MEMORY_EXAMPLES, SimilarTranslations

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
        from locflow.connectors.engines.registry import create_engine
        from locflow.pipeline.translate import jobs_of, store_outcomes, store_reused, translate_jobs

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
        from locflow.pipeline.export import export_project

        with self.Session() as s, s.begin():
            return export_project(s, self.config, now=NOW)

    def close(self) -> None:
        self.Session.kw["bind"].dispose()
