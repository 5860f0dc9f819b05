"""Which stored version goes into an exported catalogue for each entry, and whether fuzzy:
one decision (`choose`) that export and `stats --catalogues` share."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from locflow.db import repo
from locflow.db.models import SegmentRow, Translation
from locflow.db.states import State
from locflow.pipeline.export_merge import Wanted


def choose(
    versions: Sequence[Translation], row: SegmentRow, approved_ids: set[int], machine: str
) -> Wanted | None:
    """Which version (if any) goes into the catalogue, and whether it is fuzzy.

    Approved for the current source > a stale approved/human text (fuzzy with the previous
    msgid when carried from a reworded entry, or one whose plural-ness changed; as-is when
    only notes changed, as msgmerge keeps it)
    > unreviewed human text (fuzzy) > machine output by policy (fuzzy or omitted).
    """
    usable = [v for v in versions if any(v.forms)]
    for v in usable:
        if v.state == State.APPROVED and v.source_hash == row.source_hash:
            return Wanted(tuple(v.forms), False)
    for v in usable:  # approved, then flagged (a glossary change): stays live until reviewed
        if (
            v.state == State.NEEDS_REVIEW
            and v.id in approved_ids
            and v.source_hash == row.source_hash
        ):
            return Wanted(tuple(v.forms), False)
    for v in usable:
        if v.state == State.STALE and (v.origin == "human" or v.id in approved_ids):
            if v.previous_msgid is None:  # only its notes changed: as msgmerge keeps it
                return Wanted(tuple(v.forms), False)
            return Wanted(tuple(v.forms), True, v.previous_msgid)
    for v in usable:
        if v.source_hash != row.source_hash:
            continue
        if v.origin == "human":
            return Wanted(tuple(v.forms), True, v.previous_msgid)
        if machine == "fuzzy":
            return Wanted(tuple(v.forms), True)
        return None
    return None


def wanted_versions(
    s: Session, rows: Sequence[SegmentRow], locale: str, machine: str
) -> tuple[dict[int, Wanted | None], dict[int, Translation]]:
    """What goes into the catalogue for each live segment (see `choose`), and the version
    it comes from."""
    current = repo.current_versions(s, [r.id for r in rows], locale)
    approved = repo.ever_approved(
        s,
        [
            v.id
            for vs in current.values()
            for v in vs
            if v.state in (State.STALE, State.NEEDS_REVIEW)
        ],
    )
    wanted = {r.id: choose(current.get(r.id, ()), r, approved, machine) for r in rows}
    chosen = {}
    for row_id, want in wanted.items():
        found = [v for v in current.get(row_id, ()) if want and tuple(v.forms) == want.forms]
        if found:
            chosen[row_id] = found[0]
    return wanted, chosen
