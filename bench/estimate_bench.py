"""How close is the dry-run estimate to what a run really sends? (issue 12, case 8)

    python -m bench.estimate_bench                    # the demo and Sphinx's sphinx.pot
    python -m bench.estimate_bench --pot other.pot --locales de,ja

Each corpus is synced into a fresh SQLite database, estimated the way `locflow translate
--dry-run` does (pipeline/cost.py), then translated through the pipeline's batch loop
against the Qwen-MT simulator with its faults off, as the flows run it: every locale in one
stream of stored batches with the flows' window (threads, one event loop), paced at `--rpm`
(default the real 60: at the provider's limit the engine's queue packs across the batches in
flight, as the estimate assumes; a high rate sends each batch as it comes). Printed per
corpus: estimated requests against paid requests (answered 2xx with usage), and estimated
input tokens against billed input tokens, as ratios (1.00: exact), and estimated output
tokens against billed output tokens. The output estimate (PackSizing.reply_tokens) is
calibrated here; the simulator's pseudo-localisation runs longer than most real
translations, so on a real model the output estimate errs high, on the side of a cost cap.
Target: every ratio within 0.7..1.3.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from locflow.connectors.engines.base import Engine, EngineStats
from locflow.connectors.engines.registry import create_engine, sizing_for
from locflow.db import repo
from locflow.db.session import open_database
from locflow.pipeline.batches import translate_batch
from locflow.pipeline.budget import Budget
from locflow.pipeline.cost import estimate
from locflow.pipeline.plan import LocalePlan, plan_locale
from locflow.pipeline.runner import LoopRunner
from locflow.pipeline.stream import Window, batches_of, send_stream
from locflow.pipeline.summary import BatchResult
from locflow.pipeline.sync import sync_project
from locflow.pipeline.translate import Job, jobs_of
from locflow.settings import Config, load_config
from tests.fakes.qwen_sim import QwenSim

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "demo"
KEY = "sk-estimate-bench-000000"


@dataclass(frozen=True)
class Measured:
    corpus: str
    strings: int
    estimated_requests: int
    paid_requests: int
    estimated_tokens_in: int
    tokens_in: int
    estimated_tokens_out: int
    tokens_out: int
    pack_sizes: tuple[tuple[int, int], ...] = ()
    """(strings in a verified call, calls of that size) of the run."""

    @property
    def requests_ratio(self) -> float:
        return self.estimated_requests / max(1, self.paid_requests)

    @property
    def tokens_in_ratio(self) -> float:
        return self.estimated_tokens_in / max(1, self.tokens_in)

    @property
    def tokens_out_ratio(self) -> float:
        return self.estimated_tokens_out / max(1, self.tokens_out)

    def line(self) -> str:
        return (
            f"{self.corpus}: {self.strings} strings; requests {self.estimated_requests} est / "
            f"{self.paid_requests} paid = {self.requests_ratio:.2f}; tokens in "
            f"{self.estimated_tokens_in} / {self.tokens_in} = {self.tokens_in_ratio:.2f}; "
            f"tokens out {self.estimated_tokens_out} / {self.tokens_out} = "
            f"{self.tokens_out_ratio:.2f}"
        )


def sphinx_pot() -> Path:
    """The message catalogue template shipped in the installed Sphinx package."""
    import sphinx  # only the bench needs it

    return Path(sphinx.__file__).parent / "locale" / "sphinx.pot"


def project_for(pot: Path, locales: list[str], where: Path) -> Path:
    """A copy of the demo project whose template is `pot` (no glossary)."""
    project = where / pot.stem
    shutil.copytree(DEMO, project)
    shutil.copy(pot, project / "locale" / "messages.pot")
    toml = project / "locflow.toml"
    text = toml.read_text().replace('locales = ["fr", "ru", "ar", "de"]', f"locales = {locales!r}")
    head, _, _ = text.partition("[[glossaries]]")
    toml.write_text(head.replace("'", '"'))
    return project


def measure(project: Path, name: str = "", engine_extra: str = "", rpm: float = 60.0) -> Measured:
    """Estimate, then translate, `project` against a fault-free simulator."""
    with QwenSim(api_key=KEY) as sim:
        toml = project / "locflow.toml"
        toml.write_text(
            toml.read_text().replace(
                'name = "pseudo"',
                f'name = "qwen_mt"\nbase_url = "{sim.base_url}"\nrpm = {rpm}\n{engine_extra}',
            )
        )
        config, plans = synced_plans(toml, f"sqlite:///{project / 'estimate.db'}")
        est = estimate(plans, config.engine, config.source_locale)
        done, stats = _translate(config, plans)
    return Measured(
        name or project.name,
        est.strings,
        est.requests,
        sum(r.paid_requests for r in done),
        est.tokens_in,
        sim.counters.billed_prompt_tokens,
        est.tokens_out,
        sim.counters.billed_completion_tokens,
        stats.sizes if stats else (),
    )


def synced_plans(toml: Path, db_url: str) -> tuple[Config, list[LocalePlan]]:
    """The project of `toml` synced into `db_url`, and every locale's plan."""
    config = load_config(toml, env={"LOCFLOW_DATABASE_URL": db_url})
    factory = open_database(db_url)
    with factory() as s, s.begin():
        sync_project(s, config)
    with factory() as s:
        found = repo.find_project(s, config.project)
        assert found is not None
        plans = [plan_locale(s, found, locale) for locale in config.locales]
    factory.kw["bind"].dispose()
    return config, plans


def _translate(config: Config, plans: list) -> tuple[list[BatchResult], EngineStats | None]:
    os.environ.setdefault("DASHSCOPE_API_KEY", KEY)
    engine = create_engine(config.engine)
    jobs = {plan.locale: jobs_of(plan) for plan in plans}
    return stream_translate(config, engine, jobs), engine.stats()


def stream_translate(
    config: Config, engine: Engine, jobs: Mapping[str, list[Job]]
) -> list[BatchResult]:
    """Every locale's `jobs` in one stream of stored batches, with the flows' window
    (pipeline/stream.py), threads standing in for Prefect's task runner."""
    done: list[BatchResult] = []
    window = Window.for_engine(engine.limits().concurrency, sizing_for(config.engine).max_pack)

    def refused(locale: str, exc: Exception) -> None:
        raise RuntimeError(f"{locale} refused: {exc}")

    with LoopRunner() as runner, ThreadPoolExecutor(max_workers=window.most) as pool:
        send_stream(
            batches_of(jobs),
            lambda batch: pool.submit(
                translate_batch, config, engine, runner, list(batch.jobs), None, Budget(None)
            ),
            window=window,
            budget=Budget(None),
            estimate=lambda batch: 0.0,
            on_done=lambda locale, result, finished: done.append(result),
            on_refused=refused,
        )
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pot", type=Path, help="a template (default: Sphinx's sphinx.pot)")
    parser.add_argument("--locales", default="de,ja")
    parser.add_argument("--rpm", type=float, default=60.0, help="the engine's pace")
    args = parser.parse_args(argv)
    os.environ["DASHSCOPE_API_KEY"] = KEY
    locales = args.locales.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        demo = Path(tmp) / "demo"
        shutil.copytree(DEMO, demo)
        results = [measure(demo, "examples/demo", rpm=args.rpm)]
        pot = args.pot or sphinx_pot()
        results.append(measure(project_for(pot, locales, Path(tmp)), pot.name, rpm=args.rpm))
    for m in results:
        print(m.line())
        print(f"  verified packs by size: {m.pack_sizes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
