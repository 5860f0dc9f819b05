"""One item (a version with its source, forms, history, checks and comments) and the review
actions on it. `review.actions` decides who may do what and how long a text may be (the
`[review]` limits of the project's config, passed to every action); a refused action shows
the item again (409) with the reason, a forbidden one is a 403 page.

Approving anyway (despite failing error-level checks) is offered only to who may do it, a
lead or an admin of the locale, with a reason field; a reviewer is told instead why they
cannot. Comments on the string are for the locale's reviewers, leads and admins.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from locflow.db import review_repo, tm_repo
from locflow.db.review_repo import QueueRow
from locflow.review import actions
from locflow.review.actions import ActionError, ActionResult, PermissionDenied
from locflow.review.detail import Detail, load_detail
from locflow.review.present import origin_label
from locflow.review.routes.deps import Form, Poster, Reviewer, ReviewUi, Ui
from locflow.review.routes.notices import action_notice, progress
from locflow.review.suggest import SuggestionCache
from locflow.review.users import UserInfo, get_user
from locflow.review.views import Filters, failing_checks, item_forms, queue_rows
from locflow.review.web import WebUser
from locflow.settings_review import ReviewSettings

router = APIRouter()
T = TypeVar("T")

Action = Callable[[Session, UserInfo, int, Mapping[str, Any], ReviewSettings], ActionResult]
"""One review action: (session, actor, version id, the posted form, the limits) -> what it
did."""

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
    can_override = me.user.can_override(r.locale)
    limits = ui.config.review
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
        can_override=can_override,
        has_errors=any(i.get("severity") == "error" for i in r.issues),
        blocked=blocked_message(r, can_override) if can_act and detail.is_current else "",
        no_override=override_refusal(r) if can_act and not can_override else "",
        cannot=cannot_message(r, can_act, detail.current_id),
        error=error,
        done=action_notice(request, s, pid),
        suggestions=suggestions(request).suggest(s, pid, r.locale, key) if pid else [],
        others=tm_repo.other_locales(s, r.segment_id, r.locale, ui.ordered(me)),
        terms=glossary.hints(r.segment, r.locale, r.forms),
        progress=progress(ui, s, pid),
        origin=origin_label(r.origin, r.author, r.engine),
        comments=detail.comments if can_act else (),
        timeline=timeline(detail, with_comments=can_act),
        max_note=limits.max_comment_chars,
        max_form=limits.max_form_chars(max(len(r.msgid), len(r.msgid_plural or ""))),
    )


def _failing(r: QueueRow) -> str:
    """ "the placeholders check (placeholders: missing {user})" for an item failing checks."""
    errors = [i for i in r.issues if i.get("severity") == "error"]
    names = failing_checks(r.issues)
    reasons = "; ".join(f"{i.get('check')}: {i.get('message')}" for i in errors)
    return f"the {', '.join(names)} check{'s' if len(names) > 1 else ''} ({reasons})"


def _blocks(r: QueueRow) -> bool:
    failing = any(i.get("severity") == "error" for i in r.issues)
    return failing and r.state.name != "APPROVED"


def blocked_message(r: QueueRow, can_override: bool) -> str:
    """What `a` says on an item whose error-level checks fail ("" when none fail)."""
    if not _blocks(r):
        return ""
    then = (
        "Edit it (e), or tick “approve anyway”, give the reason and press a again."
        if can_override
        else f"Edit it (e): only a lead or an admin of {r.locale} may approve it anyway."
    )
    return f"#{r.version_id} is not approved: it fails {_failing(r)}. {then}"


def override_refusal(r: QueueRow) -> str:
    """Why a reviewer gets no “approve anyway” on an item failing checks ("" otherwise)."""
    if not _blocks(r):
        return ""
    return (
        f"#{r.version_id} cannot be approved as it is: only a lead or an admin may override: "
        f"it fails {_failing(r)}. Edit it, or ask a lead of {r.locale} to approve it anyway."
    )


@dataclass(frozen=True)
class Event:
    """One line of an item's history below its versions: a review or a comment."""

    at: datetime
    who: str
    what: str
    """The action ("approve", "reject", …) or "commented"."""
    n: int | None
    change: str
    """ "needs review → approved"; "" for a comment."""
    text: str
    comment_id: int | None = None


def timeline(d: Detail, with_comments: bool) -> list[Event]:
    """Reviews (with their reasons and overrides) and, for the locale's reviewers, comments,
    newest first."""
    events = [
        Event(
            e.at, e.reviewer, e.action, e.n, _change(e.from_state.name, e.to_state.name), e.comment
        )
        for e in d.reviews
    ]
    if with_comments:
        events += [Event(c.at, c.author, "commented", c.n, "", c.text, c.id) for c in d.comments]
    return sorted(events, key=lambda e: e.at, reverse=True)


def _change(before: str, after: str) -> str:
    return f"{before.lower().replace('_', ' ')} → {after.lower().replace('_', ' ')}"


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
    done = attempt(request, ui, me, vid, lambda s, actor: act(s, actor, vid, form, limits(ui)))
    if isinstance(done, Response):
        return done
    with ui.db() as s:
        return after_action(ui, s, done, Filters.parse(request.query_params), form.get("back"))


def attempt(
    request: Request,
    ui: ReviewUi,
    me: WebUser,
    vid: int,
    work: Callable[[Session, UserInfo], T],
) -> T | Response:
    """`work` as the signed-in user in one transaction: what it returned, or the item page
    again (409) saying why it did not apply. PermissionDenied goes on to the 403 page."""
    with ui.db() as s:
        if review_repo.project_of_version(s, vid) != ui.project_id(s):
            raise HTTPException(404, f"no translation #{vid}")
    with ui.db() as s:
        try:
            with s.begin():
                actor = get_user(s, me.name)
                if actor is None:
                    raise PermissionDenied("unknown user")
                return work(s, actor)
        except ActionError as exc:  # NeedsOverride too: the page offers what applies
            return item_page(request, ui, s, me, vid, 409, str(exc))


def limits(ui: ReviewUi) -> ReviewSettings:
    """The `[review]` limits of the project's config, as the CLI applies them."""
    return ui.config.review


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


def _approve(
    s: Session, actor: UserInfo, vid: int, form: Mapping[str, Any], lim: ReviewSettings
) -> ActionResult:
    return actions.approve(
        s, actor, vid, override=_override(form), comment=_reason(form), limits=lim
    )


def _reject(
    s: Session, actor: UserInfo, vid: int, form: Mapping[str, Any], lim: ReviewSettings
) -> ActionResult:
    return actions.reject(s, actor, vid, str(form.get("reason", "")), limits=lim)


def _edit(
    s: Session, actor: UserInfo, vid: int, form: Mapping[str, Any], lim: ReviewSettings
) -> ActionResult:
    forms = {
        int(k.removeprefix("form-")): str(v).replace("\r\n", "\n")
        for k, v in form.items()
        if k.startswith("form-") and k.removeprefix("form-").isdigit()
    }
    if not forms:
        raise ActionError("nothing to save")
    return actions.edit(
        s, actor, vid, forms, override=_override(form), comment=_reason(form), limits=lim
    )


def _revert(
    s: Session, actor: UserInfo, vid: int, form: Mapping[str, Any], lim: ReviewSettings
) -> ActionResult:
    to = str(form.get("to", ""))
    if not to.isdigit():
        raise ActionError("which version? (to=N)")
    return actions.revert(
        s, actor, vid, int(to), override=_override(form), comment=_reason(form), limits=lim
    )


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


@router.post("/item/{vid}/comment")
def comment(request: Request, vid: int, me: Poster, form: Form, ui: Ui) -> Response:
    """A comment on the string in the item's locale (for its reviewers, leads and admins),
    then the item again at the comment."""
    text = str(form.get("text", "")).replace("\r\n", "\n")
    done = attempt(
        request,
        ui,
        me,
        vid,
        lambda s, actor: actions.add_comment(s, actor, vid, text, limits=limits(ui)),
    )
    if isinstance(done, Response):
        return done
    query = Filters.parse(request.query_params).query()
    here = f"/item/{vid}" + (f"?{query}" if query else "")
    return RedirectResponse(f"{here}#c{done.id}", status_code=303)
