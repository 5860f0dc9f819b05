"""A project pointed at the Qwen-MT simulator, and what the simulator billed."""

from __future__ import annotations

from pathlib import Path

from locflow.pipeline.cost import prices_for
from locflow.settings import Config
from tests.fakes.qwen_sim import QwenSim


def use_sim(project: Path, sim: QwenSim, extra: str = "") -> None:
    """The project's engine becomes qwen_mt at the simulator, unpaced (`extra`: more keys)."""
    toml = project / "locflow.toml"
    toml.write_text(
        toml.read_text().replace(
            'name = "pseudo"',
            f'name = "qwen_mt"\nbase_url = "{sim.base_url}"\nrpm = 60000\n{extra}',
        )
    )


def billed(sim: QwenSim, config: Config) -> float:
    """What the provider bills at the engine's prices: usage of every 200 reply."""
    c = sim.counters
    return prices_for(config.engine).cost(c.billed_prompt_tokens, c.billed_completion_tokens)
