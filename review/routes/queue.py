"""The home page (every locale's progress), one locale's queue with its filters and pages,
and bulk approval of ticked rows or of the filtered view, confirmed with its count."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from locflow.db import review_repo
from locflow.review import bulk
from locflow.review.actions import ActionError, PermissionDenied
from locflow.review.present import is_rtl
from locflow.review.routes.deps import Form, Locale, Poster, Reviewer, ReviewUi, Ui, notice
from locflow.review.routes.notices import action_notice, progress
from locflow.review.users import UserInfo, get_user
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
        can_bulk=me.user.can_bulk(locale),
        rtl=is_rtl(locale),
        synced=pid is not None,
        done=done,
        on_page={v.row.version_id for v in views},
        progress=counts,
    )


# --- bulk approval ----------------------------------------------------------------------


@router.post("/queue/{locale}/bulk-approve")
def bulk_approve(request: Request, locale: Locale, me: Poster, form: Form, ui: Ui) -> Response:
    """Without `confirm`: the confirmation page, stating the count (a dry run of the action).
    With it and the count the reviewer saw: the approval, refused (409, nothing approved)
    when the count changed. A refusal of the action itself is shown as a notice."""
    f = Filters.parse(request.query_params)
    scope = "selected" if form.get("scope") == "selected" else "view"
    ids = bulk.selected_ids(form)
    confirmed = str(form.get("count", ""))
    limits = ui.config.review  # the [review] limits, as on the CLI
    with ui.db() as s:
        actor = get_user(s, me.name)
        pid = ui.project_id(s)
    if actor is None or pid is None:
        raise HTTPException(403, "nothing to approve")
    page = BulkPage(ui, me, actor, locale, f, scope, ids, pid)
    if form.get("confirm") != "1" or not confirmed.isdigit():
        return page.confirm()
    try:
        with ui.db() as s, s.begin():
            if scope == "selected":
                n = bulk.approve_selected(s, actor, pid, locale, ids, int(confirmed), limits)
            else:
                n = bulk.approve_view(s, actor, pid, f.queue(locale), int(confirmed), limits)
    except PermissionDenied as exc:
        return page.refused(403, f"Not allowed: {exc}")
    except bulk.CountChanged as exc:
        what = "selection" if scope == "selected" else "view"
        return page.confirm(
            409,
            f"Nothing was approved: the {what} changed since you confirmed ({exc}). "
            "Check the list and confirm again.",
        )
    except ActionError as exc:
        return page.confirm(409, f"Nothing was approved: {exc}")
    query = f.query(page="", notice="bulk", count=n)
    return RedirectResponse(f"/queue/{locale}?{query}", status_code=303)


@dataclass(frozen=True)
class BulkPage:
    """The confirmation page of one bulk approval."""

    ui: ReviewUi
    me: WebUser
    actor: UserInfo
    locale: str
    f: Filters
    scope: str
    ids: tuple[int, ...]
    project_id: int

    def confirm(self, status: int = 200, error: str = "") -> Response:
        """How many will be approved (and which), which ticked rows will not and why; its
        form carries the count back."""
        limits = self.ui.config.review
        try:
            if self.scope == "selected":
                plan = bulk.plan_selected(
                    self.ui.db, self.actor, self.project_id, self.locale, self.ids, limits
                )
            else:
                queue = self.f.queue(self.locale)
                plan = bulk.plan_view(self.ui.db, self.actor, self.project_id, queue, limits)
        except PermissionDenied as exc:
            return self.refused(403, f"Not allowed: {exc}")
        except ActionError as exc:
            return self.refused(409, f"Nothing can be approved in bulk: {exc}")
        return self.render(plan, status, error)

    def refused(self, status: int, error: str) -> Response:
        return self.render(bulk.BulkPlan(self.scope, 0, (), (), self.ids), status, error)

    def render(self, plan: bulk.BulkPlan, status: int, error: str) -> Response:
        with self.ui.db() as s:
            counts = progress(self.ui, s, self.project_id)
        return self.ui.page(
            "bulk.html",
            status,
            me=self.me,
            locale=self.locale,
            f=self.f,
            plan=plan,
            error=error,
            progress=counts,
        )
