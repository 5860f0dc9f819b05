"""Per-locale review progress: how many strings' current versions are approved, machine
output, waiting in needs-review or stale, and how many have no version at all.

One statement for every locale of a project, so a page showing progress on its locale tabs
costs one query, however many locales there are. Session first, never commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, func, literal_column, select, union_all
from sqlalchemy.orm import Session, aliased

from locflow.db.models import SegmentRow, Source, Translation
from locflow.db.states import State


@dataclass(frozen=True)
class Progress:
    """One locale's counts over the project's live (not obsolete) strings."""

    locale: str
    total: int
    approved: int = 0
    machine: int = 0
    needs_review: int = 0
    stale: int = 0

    @property
    def untranslated(self) -> int:
        return max(0, self.total - self.approved - self.machine - self.needs_review - self.stale)

    @property
    def pending(self) -> int:
        """What waits for a reviewer (the default queue)."""
        return self.machine + self.needs_review + self.stale

    def percent(self, count: int) -> float:
        return 100.0 * count / self.total if self.total else 0.0

    @property
    def approved_percent(self) -> int:
        """Rounded down, so 100 % means every string is approved."""
        return (100 * self.approved // self.total) if self.total else 0


_FIELD = {
    State.APPROVED: "approved",
    State.MACHINE: "machine",
    State.NEEDS_REVIEW: "needs_review",
    State.STALE: "stale",
}
_TOTAL = -1


def locale_progress(s: Session, project_id: int, locales: tuple[str, ...]) -> dict[str, Progress]:
    """{locale: Progress} for `locales`, in one query (the current version of a string in a
    locale is its newest non-rejected one, as in the review queue)."""
    newer = aliased(Translation)
    live = (SegmentRow.obsolete.is_(False), Source.project_id == project_id)
    per_state = (
        select(Translation.locale, Translation.state, func.count())
        .join(SegmentRow, SegmentRow.id == Translation.segment_id)
        .join(Source, Source.id == SegmentRow.source_id)
        .where(
            *live,
            Translation.locale.in_(list(locales)),
            Translation.state != int(State.REJECTED),
            ~exists().where(
                newer.segment_id == Translation.segment_id,
                newer.locale == Translation.locale,
                newer.n > Translation.n,
                newer.state != int(State.REJECTED),
            ),
        )
        .group_by(Translation.locale, Translation.state)
    )
    total = (
        select(literal_column("''"), literal_column(str(_TOTAL)), func.count())
        .select_from(SegmentRow)
        .join(Source, Source.id == SegmentRow.source_id)
        .where(*live)
    )
    counts: dict[str, dict[str, int]] = {loc: {} for loc in locales}
    strings = 0
    for locale, state, n in s.execute(union_all(per_state, total)):
        if state == _TOTAL:
            strings = int(n)
        elif locale in counts and State(state) in _FIELD:
            counts[locale][_FIELD[State(state)]] = int(n)
    return {loc: Progress(loc, strings, **counts[loc]) for loc in locales}
