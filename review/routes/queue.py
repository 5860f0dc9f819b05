"""The home page (every locale's progress), one locale's queue with its filters and pages,
and bulk approval of ticked rows or of the filtered view, confirmed with its count."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from locflow.db import review_repo
from locflow.review import bulk
from locflow.review.actions import ActionError, PermissionDenied, authorise
from locflow.review.present import is_rtl
from locflow.review.routes.deps import Form, Locale, Poster, Reviewer, ReviewUi, Ui, notice
from locflow.review.routes.notices import action_notice, progress
from locflow.review.users import get_user
from locflow.review.views import ISSUE_CHOICES, PAGE_SIZE, STATE_CHOICES, Filters, queue_rows
from locflow.review.web import WebUser

router = APIRouter()


@router.get("/")
def home(request: Request, ui: Ui, me: Reviewer) -> Response:
    with ui.db() as s:
        pid = ui.project_id(s)
        counts = progress(ui, s, pid)
    return ui.page(
        "home.html",
        me=me,
        progress=counts,
        synced=pid is not None,
        notice=notice(request),
    )


@router.get("/queue/{locale}")
def queue(request: Request, locale: Locale, me: Reviewer, ui: Ui) -> Response:
    f = Filters.parse(request.query_params)
    with ui.db() as s:
        pid = ui.project_id(s)
        qf = f.queue(locale)
        total = review_repo.queue_count(s, pid, qf) if pid else 0
        pages = max(1, -(-total // PAGE_SIZE))
        current = min(f.page, pages)
        offset = (current - 1) * PAGE_SIZE
        rows = review_repo.queue_page(s, pid, qf, limit=PAGE_SIZE, offset=offset) if pid else []
        views = queue_rows(s, rows, ui.glossary.view(s, pid))
        sources = review_repo.source_names(s, pid) if pid else []
        done = action_notice(request, s, pid)
        counts = progress(ui, s, pid)
    return ui.page(
        "queue.html",
        me=me,
        locale=locale,
        f=f,
        rows=views,
        total=total,
        page_no=current,
        pages=pages,
        sources=sources,
        states=STATE_CHOICES,
        issue_kinds=ISSUE_CHOICES,
        can_act=me.user.can_review(locale),
        rtl=is_rtl(locale),
        synced=pid is not None,
        done=done,
        on_page={v.row.version_id for v in views},
        progress=counts,
    )


# --- bulk approval ----------------------------------------------------------------------


@router.post("/queue/{locale}/bulk-approve")
def bulk_approve(request: Request, locale: Locale, me: Poster, form: Form, ui: Ui) -> Response:
    """Without `confirm`: the confirmation page, stating the count. With it and the count
    the reviewer saw: the approval, refused (409, nothing approved) when the count changed."""
    f = Filters.parse(request.query_params)
    scope = "selected" if form.get("scope") == "selected" else "view"
    ids = bulk.selected_ids(form)
    confirmed = str(form.get("count", ""))
    with ui.db() as s:
        try:
            with s.begin():
                actor = get_user(s, me.name)
                pid = ui.project_id(s)
                if actor is None or pid is None:
                    raise HTTPException(403, "nothing to approve")
                authorise(actor, locale)
                if form.get("confirm") != "1" or not confirmed.isdigit():
                    return _confirm_page(ui, s, me, locale, f, scope, ids, pid)
                if scope == "selected":
                    n = bulk.approve_selected(s, actor, pid, locale, ids, int(confirmed))
                else:
                    n = bulk.approve_view(s, actor, pid, f.queue(locale), int(confirmed))
        except PermissionDenied as exc:
            return _confirm_page(ui, s, me, locale, f, scope, ids, None, 403, f"Not allowed: {exc}")
        except bulk.CountChanged as exc:
            pid = ui.project_id(s)
            message = (
                f"Nothing was approved: the {'selection' if scope == 'selected' else 'view'} "
                f"changed since you confirmed ({exc}). Check the list and confirm again."
            )
            return _confirm_page(ui, s, me, locale, f, scope, ids, pid, 409, message)
        except ActionError as exc:
            pid = ui.project_id(s)
            return _confirm_page(ui, s, me, locale, f, scope, ids, pid, 409, str(exc))
    query = f.query(page="", notice="bulk", count=n)
    return RedirectResponse(f"/queue/{locale}?{query}", status_code=303)


def _confirm_page(
    ui: ReviewUi,
    s: Session,
    me: WebUser,
    locale: str,
    f: Filters,
    scope: str,
    ids: tuple[int, ...],
    pid: int | None,
    status: int = 200,
    error: str = "",
) -> Response:
    """The confirmation: how many will be approved (and which), which ticked rows will not
    and why; its form carries the count back."""
    if pid is None:
        plan = bulk.BulkPlan(scope, (), (), ids)
    elif scope == "selected":
        plan = bulk.plan_selected(s, pid, locale, ids)
    else:
        plan = bulk.plan_view(s, pid, f.queue(locale))
    return ui.page(
        "bulk.html",
        status,
        me=me,
        locale=locale,
        f=f,
        plan=plan,
        error=error,
        progress=progress(ui, s, ui.project_id(s)),
    )
