"""How an engine sizes its calls: which strings share one, what one is expected to cost in
input tokens, and the `max_tokens` it sends. The packing driver packs with it, and the
dry-run estimate (pipeline/cost.py) counts with it, so the estimate follows pack changes."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from locflow.connectors.engines.base import Request
from locflow.connectors.engines.pacing import estimate_tokens

OUTPUT_RATIO = 4
"""`max_tokens` per estimated input token of the text: translations run longer than their
source (more so in scripts a tokenizer splits finely), never this much longer."""
OUTPUT_BASE = 32
OUTPUT_PER_STRING = 8
"""Per string in a call: its line marker, and room for a short string's expansion."""


def max_output_tokens(
    requests: Sequence[Request], *, per_string: int = OUTPUT_PER_STRING, cap: int | None = None
) -> int:
    """The `max_tokens` a call carrying `requests` sends: a multiple of its text's estimate."""
    text = sum(estimate_tokens(r.text) for r in requests)
    wanted = OUTPUT_BASE + OUTPUT_RATIO * text + per_string * len(requests)
    return min(wanted, cap) if cap else wanted


EXPECTED_RATIO = 2.2
"""Reply tokens per estimated input token of the strings' lines, for the dry-run estimate:
`estimate_tokens` counts about 4 ASCII characters a token, where tokenizers split
punctuation, digits and placeholder tokens finer (x1.35 to x1.5 on the bench corpora), and
the reply is longer than its English source (x1.3 to x1.6). Measured by bench/estimate_bench
against the Qwen-MT simulator."""


PACKING_RATIO = 1.2
"""Provider tokens per estimated input token that the dry-run estimate packs with: the
driver cuts packs at its token budget in the provider's tokens, calibrated from replies
(sphinx.pot settles at about 1.25 against the simulator; the demo's packs are bound by the
count). Only where packs are cut: the estimated input tokens stay uncalibrated."""


def text_line_tokens(request: Request) -> int:
    """Tokens of one string's own line in a call: its text and its marker (`⟦1⟧ `, a JSON
    key). The reply mirrors it; a provider's terms and memory pairs are not echoed."""
    return estimate_tokens(request.text) + 4


def always_packable(request: Request) -> bool:
    return True


@dataclass(frozen=True)
class PackSizing:
    """How an engine sizes its calls: which strings share one, and what one is expected to
    cost. The driver packs with it, and the dry-run estimate (pipeline/cost.py) counts with
    it, so the estimate follows any change to how packs are made."""

    max_pack: int = 1
    max_input_tokens: int | None = None
    """Input tokens per call at most (None: no cap): the pack's token budget, in the
    provider's tokens as far as calibration knows them (see `take`)."""
    overhead_tokens: int = 0
    """Input tokens a call costs besides its strings (the prompt, a provider's wrapper)."""
    request_tokens: Callable[[Request], int] = text_line_tokens
    """Input tokens one string adds to a call (its line, and whatever else it carries)."""
    line_tokens: Callable[[Request], int] = text_line_tokens
    """Tokens of one string's line (see `text_line_tokens`): what the reply mirrors."""
    reply_ratio: float = EXPECTED_RATIO
    """Reply tokens per line token (see EXPECTED_RATIO)."""
    packable: Callable[[Request], bool] = always_packable
    """False keeps a string in a call of its own."""
    output_tokens: Callable[[Sequence[Request]], int] = max_output_tokens
    """The `max_tokens` a call sends (what bounds its cost)."""

    def take(self, stream: Iterable[Request], size: int, ratio: float = 1.0) -> list[int]:
        """The next pack from `stream` (one language pair, oldest first): indices into it.

        The oldest string always goes; a string that cannot be packed goes alone. Then the
        packable strings that follow join, in order, while the pack holds fewer than `size`
        and its estimate x `ratio` (the provider's tokens per estimated one, at least 1)
        stays within `max_input_tokens`; strings that cannot be packed are stepped over
        (they stay first in line for the next call). It stops at the first string that does
        not fit, so a long string is never overtaken for long."""
        cap, ratio = self.max_input_tokens, max(1.0, ratio)
        taken: list[int] = []
        tokens = self.overhead_tokens
        for i, request in enumerate(stream):
            packable = self.packable(request)
            if not taken:
                taken.append(i)
                tokens += self.request_tokens(request)
                if not packable:
                    break
                continue
            if not packable:
                continue
            cost = self.request_tokens(request)
            if len(taken) >= size or (cap is not None and (tokens + cost) * ratio > cap):
                break
            taken.append(i)
            tokens += cost
        return taken

    def packs(
        self, batch: Sequence[Request], pack_size: int | None = None, ratio: float = 1.0
    ) -> list[list[int]]:
        """Indices grouped by language pair, each pair's strings packed as one stream, oldest
        first (as the driver's queue takes them: see `take`)."""
        size = max(1, pack_size or self.max_pack)
        groups: dict[tuple[str, str], list[int]] = {}
        for i, r in enumerate(batch):
            groups.setdefault((r.source_locale, r.target_locale), []).append(i)
        packs: list[list[int]] = []
        for indices in groups.values():
            while indices:
                picked = self.take((batch[i] for i in indices), size, ratio)
                packs.append([indices[k] for k in picked])
                chosen = set(picked)
                indices = [i for k, i in enumerate(indices) if k not in chosen]
        return packs

    def call_tokens(self, requests: Sequence[Request]) -> int:
        """Input tokens one call carrying `requests` is expected to cost."""
        return self.overhead_tokens + sum(self.request_tokens(r) for r in requests)

    def reply_tokens(self, requests: Sequence[Request]) -> int:
        """Output tokens one call carrying `requests` is expected to cost (the dry-run
        estimate; `output_tokens` is the cap the call sends): its lines, translated."""
        return math.ceil(self.reply_ratio * sum(self.line_tokens(r) for r in requests))
