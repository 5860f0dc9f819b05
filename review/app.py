"""The reviewer web UI: FastAPI, server-rendered Jinja2 pages, no JavaScript build.

`create_app(config, secret=…)` serves sign-in, a queue per locale with filters, one item
with its plural forms, history and checks, and the review actions (`review.actions`, which
enforces who may do what). Every page escapes what it shows (autoescape; no `|safe` on
data), every POST needs a CSRF token, and the only script is ours (CSP nonce).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from locflow.db import repo, review_repo
from locflow.db.session import open_database
from locflow.review import actions
from locflow.review.actions import ActionError, NeedsOverride, PermissionDenied
from locflow.review.detail import load_detail
from locflow.review.present import diff_text, is_rtl, state_name
from locflow.review.users import authenticate, get_user
from locflow.review.views import (
    ISSUE_CHOICES,
    PAGE_SIZE,
    STATE_CHOICES,
    Filters,
    GlossaryCache,
    item_forms,
    queue_rows,
)
from locflow.review.web import (
    CSRF_FIELD,
    WebUser,
    check_csrf,
    check_login_csrf,
    end_session,
    login_csrf,
    security_headers,
    set_login_cookie,
    signed_in,
    start_session,
    ui_secret,
)

HERE = Path(__file__).parent
NOTICES = {
    "approved": "Approved.",
    "rejected": "Rejected: it will be translated again on the next run.",
    "saved": "Saved as a new version and approved.",
    "kept": "Saved as a new version; kept for review because checks fail.",
    "reverted": "Restored as a new version.",
    "bulk": "Bulk approval done.",
    "signed-out": "Signed out.",
}

__all__ = ["create_app", "ui_secret"]


class _NeedsLogin(Exception):
    pass


def create_app(
    config: Any, *, secret: bytes, factory: sessionmaker[Session] | None = None
) -> FastAPI:
    app = FastAPI(title="locflow review", docs_url=None, redoc_url=None, openapi_url=None)
    db = factory or open_database(config.database_url)
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"), autoescape=True, undefined=StrictUndefined
    )
    env.globals.update(state_name=state_name, diff_text=diff_text, csrf_field=CSRF_FIELD)
    glossary = GlossaryCache(config)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    locales = tuple(config.locales)

    def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        nonce = secrets.token_urlsafe(16)
        context.setdefault("me", None)
        context.setdefault("locale", "")
        html = env.get_template(template).render(
            nonce=nonce, project=config.project, locales=locales, **context
        )
        response = HTMLResponse(html, status_code=status)
        security_headers(response, nonce)
        return response

    def who(s: Session, request: Request) -> WebUser:
        me = signed_in(s, request, secret)
        if me is None:
            raise _NeedsLogin()
        return me

    def project_id(s: Session) -> int | None:
        project = repo.find_project(s, config.project)
        return project.id if project is not None else None

    @app.exception_handler(_NeedsLogin)
    async def _to_login(request: Request, exc: _NeedsLogin) -> Response:
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        return page(request, "error.html", exc.status_code, message=str(exc.detail))

    @app.exception_handler(PermissionDenied)
    async def _denied(request: Request, exc: PermissionDenied) -> Response:
        return page(request, "error.html", 403, message=f"Not allowed: {exc}")

    # --- sign in and out -----------------------------------------------------------------

    @app.get("/login")
    def login_form(request: Request) -> Response:
        token, fresh = login_csrf(request, secret)
        response = page(request, "login.html", csrf=token, error="", name="")
        set_login_cookie(response, request, fresh)
        return response

    @app.post("/login")
    async def login(request: Request) -> Response:
        form = dict(await request.form())
        check_login_csrf(request, form, secret)
        return await run_in_threadpool(_login, request, form)

    def _login(request: Request, form: Mapping[str, Any]) -> Response:
        name, password = str(form.get("name", ""))[:64], str(form.get("password", ""))
        with db() as s, s.begin():
            user = authenticate(s, name, password) if name and password else None
            if user is not None:
                response = RedirectResponse("/", status_code=303)
                row = review_repo.get_user(s, user.name)
                assert row is not None
                start_session(s, response, request, secret, row.id)
                return response
        token, _ = login_csrf(request, secret)
        return page(
            request, "login.html", 401, csrf=token, error="Wrong name or password.", name=name
        )

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        form = dict(await request.form())
        return await run_in_threadpool(_logout, request, form)

    def _logout(request: Request, form: Mapping[str, Any]) -> Response:
        with db() as s, s.begin():
            me = signed_in(s, request, secret)
            if me is None:
                raise HTTPException(403, "not signed in")
            check_csrf(form, me)
            response = RedirectResponse("/login", status_code=303)
            end_session(s, response, me)
        return response

    # --- pages ---------------------------------------------------------------------------

    @app.get("/")
    def home(request: Request) -> Response:
        with db() as s:
            me = who(s, request)
        mine = [loc for loc in locales if me.user.can_review(loc)]
        if mine:
            return RedirectResponse(f"/queue/{mine[0]}", status_code=303)
        return page(request, "error.html", 200, me=me, message="You review no locale yet.")

    @app.get("/queue/{locale}")
    def queue(request: Request, locale: str) -> Response:
        if locale not in locales:
            raise HTTPException(404, f"{locale} is not a locale of this project")
        f = Filters.parse(request.query_params)
        with db() as s:
            me = who(s, request)
            pid = project_id(s)
            qf = f.queue(locale)
            total = review_repo.queue_count(s, pid, qf) if pid else 0
            pages = max(1, -(-total // PAGE_SIZE))
            current = min(f.page, pages)
            rows = (
                review_repo.queue_page(
                    s, pid, qf, limit=PAGE_SIZE, offset=(current - 1) * PAGE_SIZE
                )
                if pid
                else []
            )
            views = queue_rows(s, rows, glossary.view(s, pid))
            sources = review_repo.source_names(s, pid) if pid else []
        return page(
            request,
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
            notice=NOTICES.get(request.query_params.get("notice", ""), ""),
            count=request.query_params.get("count", ""),
        )

    def item_page(
        request: Request, s: Session, me: WebUser, vid: int, status: int = 200, error: str = ""
    ) -> Response:
        detail = load_detail(s, vid)
        pid = project_id(s)
        if detail is None or review_repo.project_of_version(s, vid) != pid:
            raise HTTPException(404, f"no translation #{vid}")
        f = Filters.parse(request.query_params)
        qf = f.queue(detail.row.locale)
        return page(
            request,
            "item.html",
            status,
            me=me,
            d=detail,
            r=detail.row,
            f=f,
            forms=item_forms(detail, glossary.view(s, pid)),
            source=queue_rows(s, [detail.row], glossary.view(s, pid))[0],
            next_id=review_repo.queue_neighbour(s, pid, qf, detail.row) if pid else None,
            prev_id=review_repo.queue_neighbour(s, pid, qf, detail.row, after=False)
            if pid
            else None,
            can_act=me.user.can_review(detail.row.locale),
            has_errors=any(i.get("severity") == "error" for i in detail.row.issues),
            error=error,
            notice=NOTICES.get(request.query_params.get("notice", ""), ""),
        )

    @app.get("/item/{vid}")
    def item(request: Request, vid: int) -> Response:
        with db() as s:
            return item_page(request, s, who(s, request), vid)

    # --- actions -------------------------------------------------------------------------

    async def act(
        request: Request, vid: int, run: Callable[[Session, Any, Mapping[str, Any]], Any]
    ) -> Response:
        form = dict(await request.form())
        return await run_in_threadpool(_act, request, vid, run, form)

    def _act(
        request: Request,
        vid: int,
        run: Callable[[Session, Any, Mapping[str, Any]], Any],
        form: Mapping[str, Any],
    ) -> Response:
        with db() as s:
            me = signed_in(s, request, secret)
            if me is None:
                raise HTTPException(403, "not signed in")
            check_csrf(form, me)
            if review_repo.project_of_version(s, vid) != project_id(s):
                raise HTTPException(404, f"no translation #{vid}")
        with db() as s:
            try:
                with s.begin():
                    actor = get_user(s, me.name)
                    if actor is None:
                        raise PermissionDenied("unknown user")
                    result = run(s, actor, form)
            except NeedsOverride as exc:
                return item_page(request, s, me, vid, 409, f"{exc} (tick “approve anyway”)")
            except ActionError as exc:
                return item_page(request, s, me, vid, 409, str(exc))
            return _after(result, Filters.parse(request.query_params), s, form.get("back"))

    def _after(result: Any, f: Filters, s: Session, back: object = None) -> Response:
        notice = {
            "approve": "approved",
            "reject": "rejected",
            "edit": "saved",
            "revert": "reverted",
        }
        code = notice.get(result.action, "approved")
        if result.state.name == "NEEDS_REVIEW":
            code = "kept"
        query = f.query(page="", notice=code)
        if code == "kept":
            return RedirectResponse(f"/item/{result.version_id}?{query}", status_code=303)
        row = review_repo.version_with_source(s, result.version_id)
        if back == "queue" and row is not None:  # approved from the list: stay on its page
            again = f.query(notice=code)
            return RedirectResponse(f"/queue/{row.locale}?{again}#v{row.version_id}", 303)
        pid = project_id(s)
        nxt = None
        if pid and row is not None:
            nxt = review_repo.queue_neighbour(s, pid, f.queue(row.locale), row)
        if nxt is not None:
            return RedirectResponse(f"/item/{nxt}?{query}", status_code=303)
        locale = row.locale if row is not None else locales[0]
        return RedirectResponse(f"/queue/{locale}?{query}", status_code=303)

    @app.post("/item/{vid}/approve")
    async def approve(request: Request, vid: int) -> Response:
        return await act(
            request,
            vid,
            lambda s, actor, form: actions.approve(
                s, actor, vid, override=form.get("override") == "1"
            ),
        )

    @app.post("/item/{vid}/reject")
    async def reject(request: Request, vid: int) -> Response:
        return await act(
            request,
            vid,
            lambda s, actor, form: actions.reject(s, actor, vid, str(form.get("reason", ""))),
        )

    @app.post("/item/{vid}/edit")
    async def edit(request: Request, vid: int) -> Response:
        def run(s: Session, actor: Any, form: Mapping[str, Any]) -> Any:
            forms = {
                int(k.removeprefix("form-")): str(v).replace("\r\n", "\n")
                for k, v in form.items()
                if k.startswith("form-") and k.removeprefix("form-").isdigit()
            }
            if not forms:
                raise ActionError("nothing to save")
            return actions.edit(s, actor, vid, forms, override=form.get("override") == "1")

        return await act(request, vid, run)

    @app.post("/item/{vid}/revert")
    async def revert(request: Request, vid: int) -> Response:
        def run(s: Session, actor: Any, form: Mapping[str, Any]) -> Any:
            to = str(form.get("to", ""))
            if not to.isdigit():
                raise ActionError("which version? (to=N)")
            return actions.revert(s, actor, vid, int(to), override=form.get("override") == "1")

        return await act(request, vid, run)

    @app.post("/queue/{locale}/bulk-approve")
    async def bulk(request: Request, locale: str) -> Response:
        if locale not in locales:
            raise HTTPException(404, f"{locale} is not a locale of this project")
        form = dict(await request.form())
        return await run_in_threadpool(_bulk, request, locale, form)

    def _bulk(request: Request, locale: str, form: Mapping[str, Any]) -> Response:
        f = Filters.parse(request.query_params)
        with db() as s, s.begin():
            me = signed_in(s, request, secret)
            if me is None:
                raise HTTPException(403, "not signed in")
            check_csrf(form, me)
            actor = get_user(s, me.name)
            pid = project_id(s)
            if actor is None or pid is None:
                raise HTTPException(403, "nothing to approve")
            result = actions.bulk_approve(s, actor, pid, f.queue(locale))
        query = f.query(page="", notice="bulk", count=len(result.approved))
        return RedirectResponse(f"/queue/{locale}?{query}", status_code=303)

    return app
