"""Throughput at the provider's limit (issue 16): `locflow run` against the Qwen-MT simulator.

    python -m bench.throughput_bench                      # Django admin x 5 locales, faults on
    python -m bench.throughput_bench --no-adapt           # the same, pack sizes fixed at the cap
    python -m bench.throughput_bench --corpus core        # Django's own catalogue x 5 locales

A real public catalogue set (Django 5.0.9's English catalogue as the template, from the
sdist `make real-data` caches) is localised by the real CLI, `locflow run`, into 5 locales,
against the simulator at Qwen-MT's real limits (60 RPM, 100k input TPM, enforced per
second), with faults injected on every attempt (20 % 429, 5 % 5xx) and misalignment injected
into 5 % of packed replies. Then the same project is run once more against a fault-free
simulator, as the reference each stored translation is compared with.

Printed:
- the fair floor: max(attempts ÷ RPM, charged input tokens ÷ TPM), and the wall ÷ floor,
  with the wall from the first request to the last and for the whole command;
- paid requests (answered 2xx with usage) per 1,000 strings;
- strings lost (queued but not stored) and misaligned translations stored (a stored text
  that differs from the fault-free reference);
- the pack sizes (verified calls by strings carried) and each locale's pack-size trajectory.

Targets: <= 20 paid requests per 1,000 strings; wall <= 1.15 x the floor; 0 lost; 0 misaligned.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from locflow.db.models import SegmentRow, Translation
from locflow.db.session import open_database
from tests.fakes.qwen_sim import QwenSim
from tests.support.real_data import NEW, extract, sdist

KEY = "sk-throughput-bench-0000"
LOCALES = ("de", "fr", "ja", "es", "ru")
CORPORA = {"admin": "django/contrib/admin/locale", "core": "django/conf/locale"}
FAULTS = {"429": 0.20, "500": 0.025, "503": 0.025}
RPM, TPM = 60.0, 100_000.0


class TimedSim(QwenSim):
    """The simulator, also keeping when each attempt arrived (throttled ones included)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.arrived: list[float] = []
        self._arrivals = threading.Lock()

    def handle(self, auth, raw):  # type: ignore[no-untyped-def, override]
        with self._arrivals:
            self.arrived.append(time.monotonic())
        return super().handle(auth, raw)


@dataclass(frozen=True)
class Run:
    exit_code: int
    command_s: float
    report: dict
    sim: TimedSim
    translations: dict[tuple[str, str, str], tuple[str, ...]]


def project(corpus: str, where: Path, locales: tuple[str, ...]) -> Path:
    """The template and a `locflow.toml` whose `[engine]` lines `run` fills in."""
    root = where / "project"
    template = extract(sdist("Django", NEW), CORPORA[corpus] + "/en", where / "en")
    (root / "template").mkdir(parents=True, exist_ok=True)
    (root / "template" / "django.po").write_bytes(
        (template / "LC_MESSAGES" / "django.po").read_bytes()
    )
    (root / "locflow.toml").write_text(
        f"""[project]
name = "throughput-{corpus}"
source_locale = "en"
locales = {json.dumps(list(locales))}

[[catalogs]]
template = "template/django.po"
path = "locale/{{locale}}/LC_MESSAGES/django.po"

[engine]
@ENGINE@

[export]
mo = false
""",
        encoding="utf-8",
    )
    return root


def run(root: Path, sim: TimedSim, engine: str, db: Path) -> Run:
    toml = root / "locflow.toml"
    lines = f'name = "qwen_mt"\nbase_url = "{sim.base_url}"\n{engine}'
    toml.write_text(toml.read_text(encoding="utf-8").replace("@ENGINE@", lines), encoding="utf-8")
    env = {
        **os.environ,
        "DASHSCOPE_API_KEY": KEY,
        "LOCFLOW_DATABASE_URL": f"sqlite:///{db}",
        "NO_COLOR": "1",
    }
    env.pop("PREFECT_API_URL", None)
    exe = Path(sys.executable).parent / "locflow"
    started = time.monotonic()
    done = subprocess.run(
        [str(exe), "run", "--json", "--allow-partial"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.monotonic() - started
    try:
        report = json.loads(done.stdout)
    except ValueError:
        report = {"stdout": done.stdout[-2000:], "stderr": done.stderr[-2000:]}
    return Run(done.returncode, elapsed, report, sim, stored(f"sqlite:///{db}"))


def stored(url: str) -> dict[tuple[str, str, str], tuple[str, ...]]:
    """The newest engine translation of every (msgctxt, msgid, locale)."""
    factory = open_database(url)
    out: dict[tuple[str, str, str], tuple[str, ...]] = {}
    with factory() as s:
        rows = s.execute(
            select(SegmentRow.msgctxt, SegmentRow.msgid, Translation.locale, Translation.forms)
            .join(Translation, Translation.segment_id == SegmentRow.id)
            .where(Translation.origin == "engine")
            .order_by(Translation.n)
        )
        for ctx, msgid, locale, forms in rows:
            out[(ctx or "", msgid, locale)] = tuple(forms)
    factory.kw["bind"].dispose()
    return out


def summary(name: str, faulted: Run, reference: Run, rpm: float, tpm: float) -> list[str]:
    sim, c = faulted.sim, faulted.sim.counters
    strings = len(reference.translations)
    lost = sum(1 for k in reference.translations if k not in faulted.translations)
    wrong = sum(1 for k, v in faulted.translations.items() if reference.translations.get(k, v) != v)
    floor = max(c.attempts * 60.0 / rpm, c.prompt_tokens * 60.0 / tpm)
    wall = (sim.arrived[-1] - sim.arrived[0]) if len(sim.arrived) > 1 else 0.0
    paid = c.status.get(200, 0)
    engine = _engine_stats(faulted.report)
    lines = [
        f"== {name}: exit {faulted.exit_code}, {strings} strings",
        f"attempts {c.attempts} (charged {c.charged}, throttled by the limiter {c.throttled}, "
        f"injected {dict(c.injected)}), paid {paid} = {1000 * paid / max(1, strings):.1f} "
        "per 1,000 strings",
        f"input tokens charged {c.prompt_tokens} (billed {c.billed_prompt_tokens}), "
        f"{c.billed_prompt_tokens / max(1, paid):.0f} per paid request",
        f"floor {floor:.1f} s = max(attempts/RPM {c.attempts * 60.0 / rpm:.1f} s, "
        f"tokens/TPM {c.prompt_tokens * 60.0 / tpm:.1f} s)",
        f"wall first->last request {wall:.1f} s = {wall / max(floor, 1e-9):.2f} x floor; "
        f"whole command {faulted.command_s:.1f} s = {faulted.command_s / max(floor, 1e-9):.2f} x",
        f"lost {lost}, misaligned stored {wrong}",
        f"verified calls by size: {engine.get('sizes')}",
    ]
    trajectory: dict[str, list[str]] = {}
    for locale, packs, size in engine.get("pack_trajectory") or []:
        trajectory.setdefault(locale, []).append(f"{size}@{packs}")
    for locale, steps in sorted(trajectory.items()):
        lines.append(f"pack size {locale} (size@packs so far): {' '.join(steps)}")
    lines.append(f"pack sizes at the end: {engine.get('pack_sizes')}")
    return lines


def _engine_stats(report: dict) -> dict:
    found = report.get("engine") or report.get("run", {}).get("engine") or {}
    return found if isinstance(found, dict) else {}


def measure(args: argparse.Namespace) -> list[str]:
    """The fault-free reference once, then one faulted run per seed (each seed draws its
    own faults: with ~20 requests a run, one seed alone says little)."""
    engine = f"rpm = {args.rpm}\ntpm = {args.tpm}\n"
    if args.no_adapt:
        engine += "adaptive = false\n"
    if args.pack_size:
        engine += f"pack_size = {args.pack_size}\n"
    faults = {} if args.no_faults else dict(FAULTS)
    lines: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp)
        ref_root = project(args.corpus, where / "ref", LOCALES[: args.locales])
        with TimedSim(api_key=KEY) as ref_sim:
            reference = run(ref_root, ref_sim, "rpm = 600000\ntpm = 100000000", where / "ref.db")
        if reference.exit_code != 0:
            return [f"the reference run failed: {reference.report}"]
        for seed in range(args.seed, args.seed + args.runs):
            root = project(args.corpus, where / f"s{seed}", LOCALES[: args.locales])
            options: dict[str, object] = {"rpm": args.rpm, "tpm": args.tpm, "faults": faults}
            if args.misalign and not args.no_faults:
                options["misalign"] = args.misalign
            with TimedSim(api_key=KEY, seed=seed, **options) as sim:
                faulted = run(root, sim, engine, where / f"s{seed}.db")
            lines += summary(f"{args.corpus}, seed {seed}", faulted, reference, args.rpm, args.tpm)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", choices=sorted(CORPORA), default="admin")
    parser.add_argument("--locales", type=int, default=5, help="how many of de,fr,ja,es,ru")
    parser.add_argument("--rpm", type=float, default=RPM)
    parser.add_argument("--tpm", type=float, default=TPM)
    parser.add_argument("--misalign", type=float, default=0.05, help="share of packs")
    parser.add_argument("--no-faults", action="store_true")
    parser.add_argument("--no-adapt", action="store_true", help="pack sizes fixed at the cap")
    parser.add_argument("--pack-size", type=int, help="[engine] pack_size (default: its own)")
    parser.add_argument("--seed", type=int, default=1, help="the first seed")
    parser.add_argument("--runs", type=int, default=5, help="faulted runs, one per seed")
    args = parser.parse_args(argv)
    for line in measure(args):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
