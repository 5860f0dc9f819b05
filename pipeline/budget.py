"""A run's cost cap: batches are sent while what is spent, plus the estimate of what is in
flight, plus the next batch's estimate stays within it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


class CostCapReached(RuntimeError):
    """The next batch would pass the run's cost cap; what is stored so far stays."""


@dataclass
class Budget:
    limit: float | None
    """USD at most (None: no cap)."""
    spent: float = 0.0
    reserved: float = 0.0
    """Estimated cost of batches sent but not finished."""

    def reserve(self, estimate: Callable[[], float]) -> float:
        """Reserve a batch's estimated cost before it is sent and return it; raises
        CostCapReached when it does not fit. Without a cap nothing is estimated (0.0)."""
        if self.limit is None:
            return 0.0
        expected = estimate()
        if self.spent + self.reserved + expected > self.limit:
            raise CostCapReached(
                f"cost cap reached: spent ${self.spent:.4f} of ${self.limit:.4f}; "
                f"the next batch would need about ${expected:.4f}. Work so far is stored."
            )
        self.reserved += expected
        return expected

    def settle(self, expected: float, cost: float) -> None:
        """A batch finished: its reservation becomes what it cost."""
        self.reserved -= expected
        self.spent += cost
