"""The review UI in process (FastAPI's TestClient) on SQLite and PostgreSQL: sign-in,
sessions, CSRF, permissions, escaping and security headers. The browser tests in
test_review_ui.py drive the same screens through Chromium."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from locflow.db import repo
from locflow.db.models import Review
from locflow.db.states import State
from locflow.review.app import create_app
from locflow.review.web import LOGIN_COOKIE, SESSION_COOKIE, ui_secret
from tests.support.review_demo import PASSWORD, Demo, add_users, make_demo

SECRET = b"s" * 32


@pytest.fixture
def demo(demo_project, db_url) -> Demo:
    d = make_demo(demo_project, db_url)
    add_users(d)
    return d


@pytest.fixture
def client(demo):
    with TestClient(create_app(demo.config, secret=SECRET, factory=demo.Session)) as c:
        yield c


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field on the page"
    return m.group(1)


def sign_in(client: TestClient, name: str, password: str = PASSWORD):
    token = _csrf(client.get("/login").text)
    return client.post(
        "/login",
        data={"csrf": token, "name": name, "password": password},
        follow_redirects=False,
    )


def test_sign_in_needs_the_form_token_and_the_right_password(client):
    page = client.get("/login")
    assert page.status_code == 200 and LOGIN_COOKIE in page.cookies
    no_token = client.post("/login", data={"name": "fanny", "password": PASSWORD})
    assert no_token.status_code == 403
    wrong = sign_in(client, "fanny", "nope nope nope")
    assert wrong.status_code == 401 and "Wrong name or password" in wrong.text
    assert SESSION_COOKIE not in client.cookies
    ok = sign_in(client, "fanny")
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    cookie = ok.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    home = client.get("/", follow_redirects=False)
    assert home.status_code == 200 and 'href="/queue/fr"' in home.text  # progress per locale


def test_pages_need_a_session(client):
    for path in ("/", "/queue/fr", "/item/1"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/login"
    assert client.post("/item/1/approve", data={"csrf": "x"}).status_code == 403


def test_approve_through_the_ui_records_a_review(client, demo):
    sign_in(client, "fanny")
    target = demo.version_of("Save changes?", "fr")
    page = client.get(f"/item/{target.id}")
    assert page.status_code == 200
    token = _csrf(page.text)
    assert client.post(f"/item/{target.id}/approve", data={}).status_code == 403
    done = client.post(f"/item/{target.id}/approve", data={"csrf": token}, follow_redirects=False)
    assert done.status_code == 303 and "notice=approved" in done.headers["location"]
    with demo.Session() as s:
        assert demo.version_of("Save changes?", "fr").state == State.APPROVED
        review = s.scalar(select(Review).where(Review.translation_id == target.id))
        assert (review.reviewer, review.action) == ("fanny", "approve")


def test_edit_with_a_broken_placeholder_stays_in_review_unless_overridden(client, demo):
    sign_in(client, "fanny")
    target = demo.version_of("Signed in as {user}", "fr")
    token = _csrf(client.get(f"/item/{target.id}").text)
    kept = client.post(
        f"/item/{target.id}/edit", data={"csrf": token, "form-0": "Connecté : {nom}"}
    )
    assert kept.status_code == 200 and "kept for review" in kept.text
    assert "missing {user}" in kept.text
    current = demo.version_of("Signed in as {user}", "fr")
    assert (current.state, current.origin, current.author) == (
        State.NEEDS_REVIEW,
        "human",
        "fanny",
    )
    refused = client.post(f"/item/{current.id}/approve", data={"csrf": token})
    assert refused.status_code == 409 and "ask a lead of fr" in refused.text
    forced = client.post(f"/item/{current.id}/approve", data={"csrf": token, "override": "1"})
    assert forced.status_code == 403 and "only a lead or an admin of fr" in forced.text
    assert demo.version_of("Signed in as {user}", "fr").state == State.NEEDS_REVIEW
    client.post("/logout", data={"csrf": token})
    sign_in(client, "lea")  # a lead overrides, with a reason
    token = _csrf(client.get(f"/item/{current.id}").text)
    bare = client.post(f"/item/{current.id}/approve", data={"csrf": token, "override": "1"})
    assert bare.status_code == 409 and "needs a reason" in bare.text
    reason = {"csrf": token, "override": "1", "reason": "the app passes nom"}
    assert client.post(f"/item/{current.id}/approve", data=reason).status_code == 200
    assert demo.version_of("Signed in as {user}", "fr").state == State.APPROVED


def test_a_de_reviewer_reads_fr_but_cannot_act_on_it(client, demo):
    sign_in(client, "dieter")
    target = demo.version_of("Notes", "fr")
    page = client.get(f"/item/{target.id}")
    assert page.status_code == 200 and "read only" in page.text
    assert 'id="approve"' not in page.text
    token = _csrf(page.text)
    for path, data in (
        (f"/item/{target.id}/approve", {}),
        (f"/item/{target.id}/reject", {"reason": "no"}),
        (f"/item/{target.id}/edit", {"form-0": "x"}),
        (f"/item/{target.id}/revert", {"to": "1"}),
        ("/queue/fr/bulk-approve", {}),
    ):
        response = client.post(path, data={"csrf": token, **data})
        assert response.status_code == 403, path
        assert "dieter does not review fr" in response.text
    assert demo.version_of("Notes", "fr").id == target.id
    assert demo.version_of("Notes", "fr").state == target.state


def test_untrusted_text_is_escaped_and_pages_carry_security_headers(client, demo):
    evil = "<script>alert(1)</script>"
    row = demo.version_of("Settings", "fr")
    with demo.Session() as s, s.begin():
        vid = repo.add_version(
            s,
            repo.NewVersion(
                segment_id=row.segment_id,
                locale="fr",
                forms=(evil,),
                state=State.NEEDS_REVIEW,
                origin="engine",
                source_hash=row.source_hash,
                engine="x",
                model=evil,
            ),
        )
    sign_in(client, "fanny")
    for path in (f"/item/{vid}", "/queue/fr?q=alert"):
        page = client.get(path)
        assert evil not in page.text, path
        assert "&lt;script&gt;" in page.text, path
        headers = page.headers
        assert "script-src 'nonce-" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["cache-control"] == "no-store"


def test_bulk_approve_and_sign_out(client, demo):
    sign_in(client, "fanny")  # a reviewer may not bulk-approve
    token = _csrf(client.get("/queue/fr").text)
    assert client.post("/queue/fr/bulk-approve", data={"csrf": token}).status_code == 403
    client.post("/logout", data={"csrf": token})
    sign_in(client, "lea")
    token = _csrf(client.get("/queue/de").text)
    assert client.post("/queue/de/bulk-approve", data={"csrf": token}).status_code == 403
    confirm = client.post("/queue/fr/bulk-approve", data={"csrf": token})
    assert confirm.status_code == 200 and demo.queue_ids("fr") != []  # asks first, with a count
    count = re.search(r'name="count" value="(\d+)"', confirm.text).group(1)
    done = client.post(
        "/queue/fr/bulk-approve",
        data={"csrf": token, "count": count, "confirm": "1"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and "notice=bulk" in done.headers["location"]
    assert demo.queue_ids("fr") == [] and demo.queue_ids("de") != []
    out = client.post("/logout", data={"csrf": token}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/queue/fr", follow_redirects=False).headers["location"] == "/login"


def test_unknown_locale_and_item_are_404(client):
    sign_in(client, "fanny")
    assert client.get("/queue/xx").status_code == 404
    assert client.get("/item/999999").status_code == 404


def test_ui_secret_comes_from_the_environment_or_is_random(capsys):
    assert ui_secret({"LOCFLOW_UI_SECRET": "k" * 40}) == b"k" * 40
    assert capsys.readouterr().err == ""
    first, second = ui_secret({}), ui_secret({})
    assert first != second and len(first) == 32
    assert "LOCFLOW_UI_SECRET is not set" in capsys.readouterr().err


def test_approving_from_the_queue_stays_on_the_queue(client, demo):
    sign_in(client, "fanny")
    page = client.get("/queue/fr?q=Settings")
    target = demo.version_of("Settings", "fr")
    assert f'action="/item/{target.id}/approve?q=Settings"' in page.text
    done = client.post(
        f"/item/{target.id}/approve?q=Settings",
        data={"csrf": _csrf(page.text), "back": "queue"},
        follow_redirects=False,
    )
    assert done.headers["location"] == (
        f"/queue/fr?q=Settings&notice=approved&about={target.id}#v{target.id}"
    )
    assert "Approved." in client.get(done.headers["location"]).text


def _post_paths(routes: list, prefix: str = "") -> list[str]:
    """Every POST route's path (FastAPI 0.150+ lists an included router as one entry)."""
    paths = []
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            paths += _post_paths(included.routes, prefix + route.include_context.prefix)
        elif "POST" in (getattr(route, "methods", None) or ()):
            paths.append(prefix + route.path)
    return sorted(paths)


def test_every_post_route_refuses_a_missing_or_wrong_csrf_token(demo):
    """Enumerates the app's POST routes: a new one without the CSRF dependency fails here."""
    app = create_app(demo.config, secret=SECRET, factory=demo.Session)
    paths = _post_paths(app.routes)
    assert {"/login", "/logout", "/item/{vid}/approve", "/queue/{locale}/bulk-approve"} <= set(
        paths
    )
    target = demo.version_of("Notes", "fr")
    queue_before = demo.queue_ids("fr")
    values = {"vid": str(target.id), "locale": "fr", "name": "dieter", "action": "deactivate"}
    # what each form would need to do something (sign in, edit, revert, reject, override)
    fields = {"name": "fanny", "password": PASSWORD, "form-0": "x", "to": "1", "reason": "no"}
    with TestClient(app) as client:
        sign_in(client, "fanny")
        client.get("/login")  # a sign-in form's cookie, so /login checks the token itself
        assert LOGIN_COOKIE in client.cookies and SESSION_COOKIE in client.cookies
        for path in paths:
            names = re.findall(r"{(\w+)", path)
            assert set(names) <= set(values), f"{path}: give this test a value for {names}"
            url = re.sub(r"{(\w+)[^}]*}", lambda m: values[m.group(1)], path)
            for token in ({}, {"csrf": "forged"}):
                data = {**fields, "override": "1", **token}
                response = client.post(url, data=data, follow_redirects=False)
                assert response.status_code == 403, (path, token)
                assert "CSRF" in response.text, (path, token)
        assert client.get("/queue/fr", follow_redirects=False).status_code == 200  # not out
    current = demo.version_of("Notes", "fr")
    assert (current.id, current.state) == (target.id, target.state)
    assert demo.queue_ids("fr") == queue_before


def test_a_malformed_item_address_asks_for_a_session_first(client):
    """Sign-in is a dependency of the route, so it comes before the path's validation."""
    response = client.get("/item/abc", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    sign_in(client, "fanny")
    assert client.get("/item/abc").status_code == 404  # a page that does not exist
