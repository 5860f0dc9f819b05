"""What a run reports while it works: one value per batch done, for the CLI's progress
(rich bars on a terminal, plain lines in CI and schedule logs)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RunProgress:
    """`done` of `total` strings (or blocks) of `label` (a locale, `docs fr`), and what the
    whole run has spent so far, from the usage ledger: requests sent, tokens (in and out),
    cost (paid usage and unanswered charges)."""

    label: str
    done: int
    total: int
    requests: int = 0
    tokens: int = 0
    cost: float = 0.0

    @property
    def finished(self) -> bool:
        return self.done >= self.total

    def line(self) -> str:
        """One plain log line, e.g. `locflow: fr 120/480 strings, 9 requests, 4,210 tokens,
        $0.0123`."""
        return (
            f"locflow: {self.label} {self.done}/{self.total} strings, {self.requests:,} "
            f"requests, {self.tokens:,} tokens, ${self.cost:.4f}"
        )
