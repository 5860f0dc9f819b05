"""The reviewer web UI: FastAPI, server-rendered Jinja2 pages, no JavaScript build.

`create_app(config, secret=…)` serves sign-in, a queue per locale with filters, one item
with its plural forms, history and checks, and the review actions (`review.actions`, which
enforces who may do what). Every page escapes what it shows (autoescape; no `|safe` on
data), every POST needs a CSRF token, and the only script is ours (CSP nonce).

The routes live in `review.routes` (one router per screen); sign-in and CSRF are their
dependencies (`review.routes.deps`), and what they share is one `ReviewUi` on `app.state`.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy.orm import Session, sessionmaker

from locflow.db.session import open_database
from locflow.review.actions import PermissionDenied
from locflow.review.present import diff_text, state_name
from locflow.review.routes import auth, item, queue
from locflow.review.routes.deps import (
    NeedsLogin,
    ReviewUi,
    denied_page,
    http_error_page,
    to_login,
)
from locflow.review.views import GlossaryCache
from locflow.review.web import CSRF_FIELD, ui_secret
from locflow.settings import Config

HERE = Path(__file__).parent

__all__ = ["create_app", "ui_secret"]


def templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"), autoescape=True, undefined=StrictUndefined
    )
    env.globals.update(state_name=state_name, diff_text=diff_text, csrf_field=CSRF_FIELD)
    return env


def create_app(
    config: Config, *, secret: bytes, factory: sessionmaker[Session] | None = None
) -> FastAPI:
    app = FastAPI(title="locflow review", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.ui = ReviewUi(
        config=config,
        db=factory or open_database(config.database_url),
        templates=templates(),
        secret=secret,
        glossary=GlossaryCache(config),
    )
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for router in (auth.router, queue.router, item.router):
        app.include_router(router)
    app.add_exception_handler(NeedsLogin, to_login)
    app.add_exception_handler(HTTPException, http_error_page)
    app.add_exception_handler(PermissionDenied, denied_page)
    return app
