"""Counting events in sliding time windows (what a per-window rate limit allows)."""

from __future__ import annotations


def max_in_window(times: list[float], window: float) -> int:
    """The most events in any half-open window of `window` seconds."""
    times = sorted(times)
    best, j = 0, 0
    for i, start in enumerate(times):
        j = max(j, i)
        while j < len(times) and times[j] < start + window:
            j += 1
        best = max(best, j - i)
    return best
