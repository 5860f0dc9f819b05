"""The home page, one locale's queue with its filters and pages, and bulk approval."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from locflow.db import review_repo
from locflow.review import actions
from locflow.review.present import is_rtl
from locflow.review.routes.deps import Locale, Poster, Reviewer, Ui, notice
from locflow.review.users import get_user
from locflow.review.views import ISSUE_CHOICES, PAGE_SIZE, STATE_CHOICES, Filters, queue_rows

router = APIRouter()


@router.get("/")
def home(ui: Ui, me: Reviewer) -> Response:
    mine = [loc for loc in ui.locales if me.user.can_review(loc)]
    if mine:
        return RedirectResponse(f"/queue/{mine[0]}", status_code=303)
    return ui.page("error.html", 200, me=me, message="You review no locale yet.")


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
        notice=notice(request),
        count=request.query_params.get("count", ""),
    )


@router.post("/queue/{locale}/bulk-approve")
def bulk_approve(request: Request, locale: Locale, me: Poster, ui: Ui) -> Response:
    f = Filters.parse(request.query_params)
    with ui.db() as s, s.begin():
        actor = get_user(s, me.name)
        pid = ui.project_id(s)
        if actor is None or pid is None:
            raise HTTPException(403, "nothing to approve")
        result = actions.bulk_approve(s, actor, pid, f.queue(locale))
    query = f.query(page="", notice="bulk", count=len(result.approved))
    return RedirectResponse(f"/queue/{locale}?{query}", status_code=303)
