"""Bulk approval from the web queue, in two steps: what would be approved (the rows of the
filtered view, or the rows a reviewer ticked, with why the others are left alone), then,
once the reviewer confirmed that count, the approval itself, refused when the count no
longer holds (someone else acted meanwhile, or the view changed).

The approving is `review.actions`' own: `bulk_approve` for a filtered view, `approve` for
each ticked row. The count is checked on what the action did, inside its transaction, so a
mismatch leaves nothing approved (the caller rolls back on `CountChanged`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from locflow.db import review_repo
from locflow.db.review_repo import QueueFilter, QueueRow
from locflow.db.states import State
from locflow.review import actions
from locflow.review.users import UserInfo

MAX_IDS = 1000
"""Ticked rows one request may carry (a page shows 50)."""


class CountChanged(Exception):
    """What would be approved is no longer what the reviewer confirmed."""

    def __init__(self, confirmed: int, now: int) -> None:
        super().__init__(f"{now} item(s) can be approved now, not {confirmed}")
        self.confirmed = confirmed
        self.now = now


@dataclass(frozen=True)
class BulkPlan:
    scope: str
    """"view": every row of the filtered view without issues; "selected": ticked rows."""
    approvable: tuple[QueueRow, ...]
    skipped: tuple[tuple[QueueRow, str], ...]
    """Ticked rows left alone, with the reason."""
    ids: tuple[int, ...] = ()
    """The ticked version ids (scope "selected")."""

    @property
    def count(self) -> int:
        return len(self.approvable)


def selected_ids(form: Mapping[str, Any]) -> tuple[int, ...]:
    """Ticked rows: `sel-<id>` checkboxes, or the `ids` list a confirmation carries."""
    ids = [k.removeprefix("sel-") for k in form if k.startswith("sel-")]
    ids += str(form.get("ids", "")).split(",")
    return tuple(sorted({int(i) for i in ids if i.strip().isdigit()}))[:MAX_IDS]


def _view_filter(queue: QueueFilter) -> QueueFilter:
    """The queue as `actions.bulk_approve` narrows it: machine and needs-review only."""
    bulk = (State.MACHINE, State.NEEDS_REVIEW)
    states = tuple(x for x in queue.states or bulk if x in bulk)
    return QueueFilter(queue.locale, states or bulk, queue.issue, queue.source, queue.search)


def plan_view(s: Session, project_id: int, queue: QueueFilter) -> BulkPlan:
    """What `actions.bulk_approve` would approve in this view: no issue at all, made for
    today's source text, not empty (a filter on issues leaves nothing)."""
    if queue.issue:
        return BulkPlan("view", (), ())
    rows = review_repo.queue_page(s, project_id, _view_filter(queue), limit=10**9)
    ok = tuple(r for r in rows if not r.issues and any(r.forms) and not r.outdated)
    return BulkPlan("view", ok, ())


def why_not(row: QueueRow, current_id: int | None) -> str:
    """Why one ticked row will not be approved in bulk ("" when it will)."""
    if current_id != row.version_id:
        return f"no longer current (#{current_id} is)" if current_id else "rejected"
    if row.state == State.APPROVED:
        return "already approved"
    if not any(row.forms):
        return "empty: edit it"
    if row.outdated:
        return "made for an earlier source text: open it to confirm"
    errors = sorted({str(i.get("check")) for i in row.issues if i.get("severity") == "error"})
    if errors:
        return "fails " + ", ".join(errors) + ": open it to edit or approve anyway"
    return ""


def plan_selected(s: Session, project_id: int, locale: str, ids: Iterable[int]) -> BulkPlan:
    """Ticked rows of this locale and project: those the Approve button of their row would
    approve (no error-level check failing, current, for today's source), and the rest."""
    ok: list[QueueRow] = []
    skipped: list[tuple[QueueRow, str]] = []
    wanted = tuple(ids)
    for vid in wanted:
        row = review_repo.version_with_source(s, vid)
        if row is None or row.locale != locale:
            continue
        if review_repo.project_of_version(s, vid) != project_id:
            continue
        current = review_repo.current_version(s, row.segment_id, row.locale)
        reason = why_not(row, current.id if current is not None else None)
        if reason:
            skipped.append((row, reason))
        else:
            ok.append(row)
    return BulkPlan("selected", tuple(ok), tuple(skipped), wanted)


def approve_view(
    s: Session, actor: UserInfo, project_id: int, queue: QueueFilter, confirmed: int
) -> int:
    """`actions.bulk_approve` on the view; CountChanged unless it approved `confirmed`."""
    result = actions.bulk_approve(s, actor, project_id, queue)
    if len(result.approved) != confirmed:
        raise CountChanged(confirmed, len(result.approved))
    return confirmed


def approve_selected(
    s: Session, actor: UserInfo, project_id: int, locale: str, ids: Iterable[int], confirmed: int
) -> int:
    """`actions.approve` on each ticked row that qualifies; CountChanged unless that is
    `confirmed` rows."""
    actions.authorise(actor, locale)
    plan = plan_selected(s, project_id, locale, ids)
    if plan.count != confirmed:
        raise CountChanged(confirmed, plan.count)
    for row in plan.approvable:
        actions.approve(s, actor, row.version_id)
    return confirmed
