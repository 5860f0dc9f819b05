"""A run's cost cap, kept request by request, so the run never spends more than the cap.

Every request reserves its worst case before it is sent (input tokens with a margin, plus
the `max_tokens` it asks for, at the engine's prices; see connectors/engines/spend.py). A
reservation is admitted only when what is spent plus what is reserved plus it stays within
the cap; one that does not fit waits while other requests are out (they may settle lower),
and when nothing is out the run stops: nothing more is sent. A request answered with usage
is charged what its usage costs, one answered with an error nothing, and one whose outcome
is unknown (a timeout, a dropped connection) its whole reservation.

Between batches, a batch is not started when its estimate no longer fits either.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from locflow.connectors.engines.base import OverBudget
from locflow.connectors.engines.spend import Hold
from locflow.settings import Prices


class CostCapReached(RuntimeError):
    """The run's cost cap leaves no room for more work; what is stored so far stays."""


@dataclass
class Budget:
    limit: float | None
    """USD at most (None: no cap; spending is still counted)."""
    prices: Prices = field(default_factory=Prices)
    spent: float = 0.0
    """Charged so far: usage of paid requests, and whole reservations of unknown ones."""
    reserved: float = 0.0
    """Reservations of requests out now."""
    exhausted: bool = False
    """A request did not fit with nothing else out: nothing more is sent."""
    needed: float = 0.0
    """What the request or batch that did not fit would have needed."""
    out: int = 0
    """Requests out now (holding a reservation)."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def cost(self, hold: Hold) -> float:
        return self.prices.cost(hold.tokens_in, hold.tokens_out)

    # --- the engines' SpendGuard ---------------------------------------------------------

    def reserve(self, hold: Hold, *, final: bool = True) -> bool:
        with self._lock:
            cost = self.cost(hold)
            fits = self.limit is None or self.spent + self.reserved + cost <= self.limit
            if fits and not self.exhausted:
                self.reserved += cost
                self.out += 1
                return True
            if self.out > 0 and not self.exhausted:
                return False  # requests out now may settle lower: wait for them
            if final and not self.exhausted:  # one string that cannot fit: the run stops
                self.exhausted, self.needed = True, cost
            raise OverBudget(self.message() if final else "too large for what is left")

    def paid(self, hold: Hold, tokens_in: int, tokens_out: int) -> None:
        self._settle(hold, self.prices.cost(tokens_in, tokens_out))

    def unpaid(self, hold: Hold) -> None:
        self._settle(hold, 0.0)

    def unknown(self, hold: Hold) -> None:
        self._settle(hold, self.cost(hold))

    def _settle(self, hold: Hold, charged: float) -> None:
        with self._lock:
            self.out -= 1
            self.reserved = self.reserved - self.cost(hold) if self.out else 0.0
            self.spent += charged

    # --- the batch loop ------------------------------------------------------------------

    def check(self, estimate: Callable[[], float]) -> None:
        """Before a batch is started: raises CostCapReached when the run's requests have
        been stopped, or when the batch's estimate does not fit what is left."""
        if self.limit is None:
            return
        if not self.exhausted:
            expected = estimate()
            with self._lock:
                if self.spent + self.reserved + expected <= self.limit:
                    return
                self.needed = expected
        raise CostCapReached(self.message())

    def message(self) -> str:
        return (
            f"cost cap reached: spent ${self.spent:.4f} of ${self.limit or 0:.4f}; "
            f"the next request would need about ${self.needed:.4f}. Work so far is stored."
        )
