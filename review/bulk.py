"""Bulk approval from the web queue, in two steps: what would be approved (the rows of the
filtered view, or the rows a reviewer ticked, with why the others are left alone), then,
once the reviewer confirmed that count, the approval itself, refused when the count no
longer holds (someone else acted meanwhile, or the view changed).

Both steps run `review.actions`' own code: `bulk_approve` for a filtered view, `approve` for
each ticked row. The first step runs it in a transaction that is rolled back (a dry run), so
the count it states is what the action would do, whatever rules the action has; the second
checks the count on what the action did, inside its transaction, so a mismatch leaves
nothing approved (the caller rolls back on `CountChanged`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from locflow.db import review_repo
from locflow.db.review_repo import QueueFilter, QueueRow
from locflow.db.states import State
from locflow.review import actions
from locflow.review.gate import DEFAULT_LIMITS, authorise_bulk
from locflow.review.users import UserInfo
from locflow.settings_review import ReviewSettings

MAX_IDS = 1000
"""Ticked rows one request may carry (a page shows 50)."""
SHOWN = 50
"""Rows the confirmation lists."""

T = TypeVar("T")


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
    count: int
    """How many would be approved."""
    shown: tuple[QueueRow, ...]
    """The first SHOWN of them."""
    skipped: tuple[tuple[QueueRow, str], ...] = ()
    """Ticked rows left alone, with the reason."""
    ids: tuple[int, ...] = ()
    """The ticked version ids (scope "selected")."""


def selected_ids(form: Mapping[str, Any]) -> tuple[int, ...]:
    """Ticked rows: `sel-<id>` checkboxes, or the `ids` list a confirmation carries."""
    ids = [k.removeprefix("sel-") for k in form if k.startswith("sel-")]
    ids += str(form.get("ids", "")).split(",")
    return tuple(sorted({int(i) for i in ids if i.strip().isdigit()}))[:MAX_IDS]


def dry_run(factory: sessionmaker[Session], work: Callable[[Session], T]) -> T:
    """`work` in a transaction that is rolled back, whatever it wrote."""
    with factory() as s:
        transaction = s.begin()
        try:
            return work(s)
        finally:
            transaction.rollback()


def _rows(s: Session, ids: Iterable[int]) -> tuple[QueueRow, ...]:
    rows = (review_repo.version_with_source(s, vid) for vid in ids)
    return tuple(r for r in rows if r is not None)


def plan_view(
    factory: sessionmaker[Session],
    actor: UserInfo,
    project_id: int,
    queue: QueueFilter,
    limits: ReviewSettings = DEFAULT_LIMITS,
) -> BulkPlan:
    """What `actions.bulk_approve` would approve in this view now (PermissionDenied as the
    action raises it)."""
    approved = dry_run(
        factory, lambda s: actions.bulk_approve(s, actor, project_id, queue, limits=limits)
    )
    with factory() as s:
        shown = _rows(s, approved.approved[:SHOWN])
    return BulkPlan("view", len(approved.approved), shown)


def why_not(row: QueueRow, current_id: int | None, limits: ReviewSettings = DEFAULT_LIMITS) -> str:
    """Why one ticked row is left out of a bulk approval ("" when it is not): what the
    Approve button of its queue row would not approve either."""
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
    cap = limits.max_form_chars(max(len(row.msgid), len(row.msgid_plural or "")))
    if any(len(f) > cap for f in row.forms):
        return f"longer than the [review] limit of {cap:,} characters: open it to edit"
    return ""


def approve_ticked(
    s: Session,
    actor: UserInfo,
    project_id: int,
    locale: str,
    ids: Iterable[int],
    limits: ReviewSettings = DEFAULT_LIMITS,
) -> tuple[list[QueueRow], list[tuple[QueueRow, str]]]:
    """`actions.approve` on each ticked row of this locale and project that qualifies;
    (approved, left alone with the reason). Ticking rows is a bulk approval too: a lead's
    or an admin's, as for the filtered view."""
    authorise_bulk(actor, locale)
    done: list[QueueRow] = []
    skipped: list[tuple[QueueRow, str]] = []
    for row in _rows(s, ids):
        if row.locale != locale or review_repo.project_of_version(s, row.version_id) != project_id:
            continue
        current = review_repo.current_version(s, row.segment_id, row.locale)
        reason = why_not(row, current.id if current is not None else None, limits)
        if reason:
            skipped.append((row, reason))
        else:  # an ActionError raised here ends the whole transaction (rolled back)
            actions.approve(s, actor, row.version_id, limits=limits)
            done.append(row)
    return done, skipped


def plan_selected(
    factory: sessionmaker[Session],
    actor: UserInfo,
    project_id: int,
    locale: str,
    ids: tuple[int, ...],
    limits: ReviewSettings = DEFAULT_LIMITS,
) -> BulkPlan:
    """What approving the ticked rows would do now (a dry run of `approve_ticked`)."""
    done, skipped = dry_run(
        factory, lambda s: approve_ticked(s, actor, project_id, locale, ids, limits)
    )
    with factory() as s:  # as they are, not as the dry run left them
        shown = _rows(s, [r.version_id for r in done[:SHOWN]])
    return BulkPlan("selected", len(done), shown, tuple(skipped), ids)


def approve_view(
    s: Session,
    actor: UserInfo,
    project_id: int,
    queue: QueueFilter,
    confirmed: int,
    limits: ReviewSettings = DEFAULT_LIMITS,
) -> int:
    """`actions.bulk_approve` on the view; CountChanged unless it approved `confirmed`."""
    result = actions.bulk_approve(s, actor, project_id, queue, limits=limits)
    if len(result.approved) != confirmed:
        raise CountChanged(confirmed, len(result.approved))
    return confirmed


def approve_selected(
    s: Session,
    actor: UserInfo,
    project_id: int,
    locale: str,
    ids: Iterable[int],
    confirmed: int,
    limits: ReviewSettings = DEFAULT_LIMITS,
) -> int:
    """The ticked rows approved; CountChanged unless that is `confirmed` rows."""
    done, _ = approve_ticked(s, actor, project_id, locale, ids, limits)
    if len(done) != confirmed:
        raise CountChanged(confirmed, len(done))
    return confirmed
