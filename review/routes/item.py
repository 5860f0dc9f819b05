"""One item (a version with its source, forms, history and checks) and the review actions on
it. `review.actions` decides who may do what; a refused action shows the item again (409)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from locflow.db import review_repo, tm_repo
from locflow.db.review_repo import QueueRow
from locflow.review import actions
from locflow.review.actions import ActionError, ActionResult, NeedsOverride, PermissionDenied
from locflow.review.detail import load_detail
from locflow.review.present import origin_label
from locflow.review.routes.deps import Form, Poster, Reviewer, ReviewUi, Ui
from locflow.review.routes.notices import action_notice, progress
from locflow.review.suggest import SuggestionCache
from locflow.review.users import UserInfo, get_user
from locflow.review.views import Filters, failing_checks, item_forms, queue_rows
from locflow.review.web import WebUser

router = APIRouter()

Action = Callable[[Session, UserInfo, int, Mapping[str, Any]], ActionResult]
"""One review action: (session, actor, version id, the posted form) -> what it did."""

NOTICE_OF_ACTION = {
    "approve": "approved",
    "reject": "rejected",
    "edit": "saved",
    "revert": "reverted",
}


def suggestions(request: Request) -> SuggestionCache:
    """The app's translation-memory cache (one per app, made on first use)."""
    state = request.app.state
    cache = getattr(state, "suggestions", None)
    if cache is None:
        cache = state.suggestions = SuggestionCache()
    return cache


def item_page(
    request: Request,
    ui: ReviewUi,
    s: Session,
    me: WebUser,
    vid: int,
    status: int = 200,
    error: str = "",
) -> Response:
    detail = load_detail(s, vid)
    pid = ui.project_id(s)
    if detail is None or review_repo.project_of_version(s, vid) != pid:
        raise HTTPException(404, f"no translation #{vid}")
    f = Filters.parse(request.query_params)
    qf = f.queue(detail.row.locale)
    glossary = ui.glossary.view(s, pid)
    r = detail.row
    key = (r.msgctxt, r.msgid, r.msgid_plural)
    can_act = me.user.can_review(r.locale)
    return ui.page(
        "item.html",
        status,
        me=me,
        d=detail,
        r=detail.row,
        f=f,
        forms=item_forms(detail, glossary),
        source=queue_rows(s, [detail.row], glossary)[0],
        next_id=review_repo.queue_neighbour(s, pid, qf, detail.row) if pid else None,
        prev_id=review_repo.queue_neighbour(s, pid, qf, detail.row, after=False) if pid else None,
        can_act=can_act,
        has_errors=any(i.get("severity") == "error" for i in r.issues),
        blocked=blocked_message(r) if can_act and detail.is_current else "",
        cannot=cannot_message(r, can_act, detail.current_id),
        error=error,
        done=action_notice(request, s, pid),
        suggestions=suggestions(request).suggest(s, pid, r.locale, key) if pid else [],
        others=tm_repo.other_locales(s, r.segment_id, r.locale, ui.locales),
        terms=glossary.hints(r.segment, r.locale, r.forms),
        progress=progress(ui, s, pid),
        origin=origin_label(r.origin, r.author, r.engine),
    )


def blocked_message(r: QueueRow) -> str:
    """What `a` says on an item whose error-level checks fail ("" when none fail)."""
    errors = [i for i in r.issues if i.get("severity") == "error"]
    if not errors or r.state.name == "APPROVED":
        return ""
    names = failing_checks(r.issues)
    reasons = "; ".join(f"{i.get('check')}: {i.get('message')}" for i in errors)
    return (
        f"#{r.version_id} is not approved: it fails the {', '.join(names)} "
        f"check{'s' if len(names) > 1 else ''} ({reasons}). Edit it (e), or tick "
        "“approve anyway” and press a again."
    )


def cannot_message(r: QueueRow, can_act: bool, current_id: int | None) -> str:
    """What `a` says where there is no Approve button."""
    if not can_act:
        return f"#{r.version_id} cannot be approved: you do not review {r.locale}."
    if current_id != r.version_id:
        return f"#{r.version_id} is not the current version: open #{current_id} to approve."
    return f"#{r.version_id} is already approved."


@router.get("/item/{vid}")
def item(request: Request, vid: int, me: Reviewer, ui: Ui) -> Response:
    with ui.db() as s:
        return item_page(request, ui, s, me, vid)


# --- actions ----------------------------------------------------------------------------


def run_action(
    request: Request, ui: ReviewUi, me: WebUser, vid: int, form: Mapping[str, Any], act: Action
) -> Response:
    """Run one action in its own transaction, then go on (or show why it did not apply)."""
    with ui.db() as s:
        if review_repo.project_of_version(s, vid) != ui.project_id(s):
            raise HTTPException(404, f"no translation #{vid}")
    with ui.db() as s:
        try:
            with s.begin():
                actor = get_user(s, me.name)
                if actor is None:
                    raise PermissionDenied("unknown user")
                result = act(s, actor, vid, form)
        except NeedsOverride as exc:
            return item_page(request, ui, s, me, vid, 409, f"{exc} (tick “approve anyway”)")
        except ActionError as exc:
            return item_page(request, ui, s, me, vid, 409, str(exc))
        return after_action(ui, s, result, Filters.parse(request.query_params), form.get("back"))


def after_action(
    ui: ReviewUi, s: Session, result: ActionResult, f: Filters, back: object = None
) -> Response:
    """Where a done action leads: the item again while it is kept for review, the queue when
    approved from there, else the next item in the queue (or the queue once it is empty)."""
    code = NOTICE_OF_ACTION.get(result.action, "approved")
    if result.state.name == "NEEDS_REVIEW":
        code = "kept"
    query = f.query(page="", notice=code, about=result.version_id)
    if code == "kept":
        return RedirectResponse(f"/item/{result.version_id}?{query}", status_code=303)
    row = review_repo.version_with_source(s, result.version_id)
    if back == "queue" and row is not None:  # approved from the list: stay on its page
        again = f.query(notice=code, about=result.version_id)
        return RedirectResponse(f"/queue/{row.locale}?{again}#v{row.version_id}", 303)
    pid = ui.project_id(s)
    nxt = None
    if pid and row is not None:
        nxt = review_repo.queue_neighbour(s, pid, f.queue(row.locale), row)
    if nxt is not None:
        return RedirectResponse(f"/item/{nxt}?{query}", status_code=303)
    locale = row.locale if row is not None else ui.locales[0]
    return RedirectResponse(f"/queue/{locale}?{query}", status_code=303)


def _override(form: Mapping[str, Any]) -> bool:
    return form.get("override") == "1"


def _reason(form: Mapping[str, Any]) -> str:
    """Why a lead or admin approves anyway (required with an override)."""
    return str(form.get("reason", ""))


def _approve(s: Session, actor: UserInfo, vid: int, form: Mapping[str, Any]) -> ActionResult:
    return actions.approve(s, actor, vid, override=_override(form), comment=_reason(form))


def _reject(s: Session, actor: UserInfo, vid: int, form: Mapping[str, Any]) -> ActionResult:
    return actions.reject(s, actor, vid, str(form.get("reason", "")))


def _edit(s: Session, actor: UserInfo, vid: int, form: Mapping[str, Any]) -> ActionResult:
    forms = {
        int(k.removeprefix("form-")): str(v).replace("\r\n", "\n")
        for k, v in form.items()
        if k.startswith("form-") and k.removeprefix("form-").isdigit()
    }
    if not forms:
        raise ActionError("nothing to save")
    return actions.edit(s, actor, vid, forms, override=_override(form), comment=_reason(form))


def _revert(s: Session, actor: UserInfo, vid: int, form: Mapping[str, Any]) -> ActionResult:
    to = str(form.get("to", ""))
    if not to.isdigit():
        raise ActionError("which version? (to=N)")
    return actions.revert(s, actor, vid, int(to), override=_override(form), comment=_reason(form))


@router.post("/item/{vid}/approve")
def approve(request: Request, vid: int, me: Poster, form: Form, ui: Ui) -> Response:
    return run_action(request, ui, me, vid, form, _approve)


@router.post("/item/{vid}/reject")
def reject(request: Request, vid: int, me: Poster, form: Form, ui: Ui) -> Response:
    return run_action(request, ui, me, vid, form, _reject)


@router.post("/item/{vid}/edit")
def edit(request: Request, vid: int, me: Poster, form: Form, ui: Ui) -> Response:
    return run_action(request, ui, me, vid, form, _edit)


@router.post("/item/{vid}/revert")
def revert(request: Request, vid: int, me: Poster, form: Form, ui: Ui) -> Response:
    return run_action(request, ui, me, vid, form, _revert)
