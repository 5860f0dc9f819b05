"""Translation states and the one function that moves between them."""

from __future__ import annotations

from enum import IntEnum


class State(IntEnum):
    """Spaced so new states fit and "at least reviewed" is a comparison."""

    REJECTED = 5
    STALE = 8
    NEEDS_REVIEW = 10
    MACHINE = 20
    APPROVED = 30


ALLOWED: dict[State, frozenset[State]] = {
    State.MACHINE: frozenset({State.APPROVED, State.REJECTED, State.NEEDS_REVIEW, State.STALE}),
    State.NEEDS_REVIEW: frozenset({State.APPROVED, State.REJECTED, State.STALE}),
    State.APPROVED: frozenset({State.STALE, State.NEEDS_REVIEW, State.REJECTED}),
    State.STALE: frozenset({State.APPROVED, State.REJECTED, State.NEEDS_REVIEW}),
    State.REJECTED: frozenset({State.NEEDS_REVIEW}),
}


class TransitionError(ValueError):
    pass


def check_transition(current: State, target: State) -> None:
    if target not in ALLOWED[current]:
        raise TransitionError(f"cannot move a translation from {current.name} to {target.name}")
