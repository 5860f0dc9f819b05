"""The in-process review app on the demo project with its review users and two extra
strings, and the helpers its page tests share (tests/test_review_ux.py, test_review_bulk.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from fastapi.testclient import TestClient

from locflow.db import repo
from locflow.db.states import State
from locflow.review import actions
from locflow.review.app import create_app
from locflow.review.users import get_user
from tests.support.review_demo import PASSWORD, Demo, add_users, make_demo
from tests.support.review_ux import add_strings

SECRET = b"s" * 32


def demo_with_strings(demo_project, db_url: str) -> Demo:
    add_strings(demo_project)  # two strings like two of the demo's, for the memory
    d = make_demo(demo_project, db_url)
    add_users(d)
    return d


def app_for(demo: Demo):
    return create_app(demo.config, secret=SECRET, factory=demo.Session)


def client_of(app) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def csrf_token(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field on the page"
    return m.group(1)


def sign_in(client: TestClient, name: str = "fanny") -> str:
    token = csrf_token(client.get("/login").text)
    client.post("/login", data={"csrf": token, "name": name, "password": PASSWORD})
    return csrf_token(client.get("/queue/fr").text)


def approve(demo: Demo, msgid: str, locale: str, user: str = "fanny") -> int:
    vid = demo.version_of(msgid, locale).id
    with demo.Session() as s, s.begin():
        actions.approve(s, get_user(s, user), vid)
    return vid


def add_version(demo: Demo, msgid: str, locale: str, forms, **kw) -> int:
    row = demo.version_of(msgid, locale)
    with demo.Session() as s, s.begin():
        return repo.add_version(
            s,
            repo.NewVersion(
                segment_id=row.segment_id,
                locale=locale,
                forms=tuple(forms),
                state=kw.pop("state", State.NEEDS_REVIEW),
                origin=kw.pop("origin", "engine"),
                source_hash=row.source_hash,
                **kw,
            ),
        )


def text_of(html: str, css_class: str) -> str:
    """The text of the first element with this class (tags dropped)."""
    m = re.search(
        rf'class="[^"]*\b{css_class}\b[^"]*"[^>]*>(.*?)</(section|tr|td|p|aside|li)>', html, re.S
    )
    assert m, css_class
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m.group(1))).strip()
