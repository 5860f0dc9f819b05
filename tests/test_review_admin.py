"""User administration in the review UI, in process (FastAPI's TestClient) on SQLite and
PostgreSQL: the admin pages and their forms, who may use them, CSRF, the forced password
change after a one-time password, and sessions ended by a change. The browser tests in
test_review_ui_admin.py drive the same screens through Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from locflow.db.session import open_database
from locflow.review.app import create_app
from locflow.review.throttle import SignInThrottle
from locflow.review.users import MIN_PASSWORD, authenticate, events, get_user
from tests.support.helpers import config_for
from tests.support.review_demo import PASSWORD, Demo, add_users

SECRET = b"s" * 32
NEW = "my own long password"


@pytest.fixture
def demo(demo_project: Path, db_url: str) -> Demo:
    """The demo's configuration and its users; nothing synced (these pages need no strings)."""
    d = Demo(demo_project, db_url, config_for(demo_project, db_url), open_database(db_url))
    add_users(d)
    return d


@pytest.fixture
def app(demo: Demo):
    return create_app(demo.config, secret=SECRET, factory=demo.Session)


@pytest.fixture
def client(app):
    with TestClient(app) as c:
        yield c


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field on the page"
    return m.group(1)


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Sign in; the CSRF token of the page the sign-in leads to."""
    token = csrf_of(client.get("/login").text)
    done = client.post("/login", data={"csrf": token, "name": name, "password": password})
    assert done.status_code == 200, done.text
    return csrf_of(done.text)


def one_time_of(html: str) -> str:
    m = re.search(r'<code id="one-time">([^<]+)</code>', html)
    assert m, "no one-time password on the page"
    return m.group(1)


def user_info(demo: Demo, name: str):
    with demo.Session() as s:
        return get_user(s, name)


def trail(demo: Demo, name: str) -> list[tuple[str, str, str]]:
    with demo.Session() as s:
        return [(actor, action, detail) for _, actor, _, action, detail in events(s, name)]


# --- who may --------------------------------------------------------------------------


def test_only_an_admin_sees_the_users_page_and_the_header_link(client):
    for path in ("/admin/users", "/admin/users/fanny", "/password"):
        assert client.get(path, follow_redirects=False).headers["location"] == "/login"
    assert client.post("/password", data={"csrf": "x"}).status_code == 403
    for name in ("fanny", "lea"):
        sign_in(client, name)
        assert 'href="/admin/users"' not in client.get("/").text
        refused = client.get("/admin/users")
        assert refused.status_code == 403 and "Only an admin manages users" in refused.text
        assert client.get("/admin/users/fanny").status_code == 403
        assert "content-security-policy" in refused.headers
        client.cookies.clear()
    sign_in(client, "root")
    assert 'href="/admin/users"' in client.get("/").text
    page = client.get("/admin/users")
    assert page.status_code == 200
    for name, role in (("dieter", "reviewer"), ("fanny", "reviewer"), ("lea", "lead")):
        row = re.search(rf'data-user="{name}">(.*?)</tr>', page.text, re.S)
        assert row and f'<td class="role">{role}</td>' in row.group(1)


def test_reviewers_and_leads_cannot_post_admin_forms(client, demo):
    for name in ("fanny", "lea"):
        token = sign_in(client, name)
        add = client.post("/admin/users", data={"csrf": token, "name": "x1", "locales": "fr"})
        promote = client.post("/admin/users/dieter/role", data={"csrf": token, "role": "admin"})
        assert (add.status_code, promote.status_code) == (403, 403)
        client.cookies.clear()
    assert user_info(demo, "x1") is None and user_info(demo, "dieter").role == "reviewer"


def test_admin_forms_need_the_csrf_token(client, demo):
    token = sign_in(client, "root")
    for path, data in (
        ("/admin/users", {"name": "nina", "locales": "fr"}),
        ("/admin/users/fanny/role", {"role": "lead"}),
        ("/admin/users/fanny/deactivate", {}),
        ("/admin/users/fanny/reset-password", {}),
    ):
        assert client.post(path, data=data).status_code == 403
        assert client.post(path, data={**data, "csrf": token + "x"}).status_code == 403
    fanny = user_info(demo, "fanny")
    assert user_info(demo, "nina") is None and fanny.role == "reviewer" and fanny.active


# --- the forms ------------------------------------------------------------------------


def test_an_added_user_gets_a_one_time_password_shown_once(client, demo):
    token = sign_in(client, "root")
    data = {"csrf": token, "name": "nina", "role": "lead", "locales": "fr, de"}
    added = client.post("/admin/users", data=data)
    assert added.status_code == 200
    one_time = one_time_of(added.text)
    nina = user_info(demo, "nina")
    assert (nina.role, nina.locales, nina.password_change_required) == ("lead", ("de", "fr"), True)
    with demo.Session() as s, s.begin():
        assert authenticate(s, "nina", one_time) is not None
    assert [(a, act) for a, act, _ in trail(demo, "nina")] == [
        ("root", "add"),
        ("root", "reset-password"),
    ]
    listed = client.get("/admin/users").text
    assert one_time not in listed and 'data-user="nina"' in listed
    assert "reset-password by root" in listed  # the last change


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "bad name!", "locales": "fr"}, "invalid user name"),
        ({"name": "nina", "locales": "xx-nope"}, "xx-nope"),
        ({"name": "nina", "locales": ""}, "needs --locale"),
        ({"name": "fanny", "locales": "fr"}, "already exists"),
        ({"name": "nina", "role": "boss", "locales": "fr"}, "unknown role"),
    ],
)
def test_a_refused_addition_is_a_notice_on_the_page(client, demo, data, message):
    token = sign_in(client, "root")
    refused = client.post("/admin/users", data={"csrf": token, **data})
    assert refused.status_code == 400
    assert 'role="alert"' in refused.text and message in refused.text
    assert 'id="one-time"' not in refused.text
    assert user_info(demo, "nina") is None and len(trail(demo, "fanny")) == 1


def test_role_and_locales_change_with_an_audit_trail(client, demo):
    token = sign_in(client, "root")
    role = client.post("/admin/users/fanny/role", data={"csrf": token, "role": "lead"})
    assert role.status_code == 200 and "Role changed" in role.text
    locales = client.post("/admin/users/fanny/locales", data={"csrf": token, "locales": "de,fr"})
    assert locales.status_code == 200 and "Locales changed" in locales.text
    fanny = user_info(demo, "fanny")
    assert (fanny.role, fanny.locales) == ("lead", ("de", "fr"))
    assert trail(demo, "fanny")[1:] == [
        ("root", "set-role", "reviewer -> lead"),
        ("root", "set-locales", "ar, fr, ru -> de, fr"),
    ]
    page = client.get("/admin/users/fanny").text  # its audit trail, newest first
    shown = re.findall(r'<td class="action">([^<]+)</td>', page)
    assert shown == ["set-locales", "set-role", "add"]


def test_deactivate_and_activate_keep_the_account(client, demo):
    token = sign_in(client, "root")
    off = client.post("/admin/users/dieter/deactivate", data={"csrf": token})
    assert off.status_code == 200 and "can no longer sign in" in off.text
    assert not user_info(demo, "dieter").active
    other = TestClient(client.app)
    refused = other.post(
        "/login",
        data={"csrf": csrf_of(other.get("/login").text), "name": "dieter", "password": PASSWORD},
    )
    assert refused.status_code == 401
    on = client.post("/admin/users/dieter/activate", data={"csrf": token})
    assert on.status_code == 200 and user_info(demo, "dieter").active
    assert [a for _, a, _ in trail(demo, "dieter")] == ["add", "deactivate", "activate"]
    sign_in(other, "dieter")


def test_a_reset_shows_a_one_time_password_that_the_user_must_change(client, demo):
    token = sign_in(client, "root")
    reset = client.post("/admin/users/dieter/reset-password", data={"csrf": token})
    assert reset.status_code == 200
    one_time = one_time_of(reset.text)
    assert user_info(demo, "dieter").password_change_required
    assert one_time not in client.get("/admin/users/dieter").text  # shown once
    with demo.Session() as s, s.begin():
        assert authenticate(s, "dieter", PASSWORD) is None
        assert authenticate(s, "dieter", one_time) is not None


@pytest.mark.parametrize(
    ("path", "data", "message"),
    [
        ("/admin/users/root/role", {"role": "lead"}, "last active admin"),
        ("/admin/users/root/deactivate", {}, "last active admin"),
        ("/admin/users/fanny/locales", {"locales": "zz_QQ"}, "zz_QQ"),
        ("/admin/users/fanny/locales", {"locales": ""}, "needs at least one locale"),
        ("/admin/users/fanny/role", {"role": "reviewer"}, "already a reviewer"),
        ("/admin/users/fanny/activate", {}, "Not done: fanny is active."),
    ],
)
def test_a_refused_change_is_a_notice_not_an_error(client, demo, path, data, message):
    token = sign_in(client, "root")
    refused = client.post(path, data={"csrf": token, **data})
    assert refused.status_code == 400
    assert 'role="alert"' in refused.text and message in refused.text
    assert len(trail(demo, "root")) == 1 and len(trail(demo, "fanny")) == 1
    assert user_info(demo, "root").role == "admin"


def test_unknown_users_and_actions_are_404(client):
    token = sign_in(client, "root")
    assert client.get("/admin/users/nobody").status_code == 404
    assert client.post("/admin/users/nobody/role", data={"csrf": token}).status_code == 404
    assert client.post("/admin/users/fanny/remove", data={"csrf": token}).status_code == 404


# --- sessions -------------------------------------------------------------------------


def test_a_change_signs_the_user_out_elsewhere(client, app, demo):
    with TestClient(app) as fanny:
        sign_in(fanny, "fanny")
        assert fanny.get("/queue/fr", follow_redirects=False).status_code == 200
        token = sign_in(client, "root")
        client.post("/admin/users/fanny/role", data={"csrf": token, "role": "lead"})
        gone = fanny.get("/queue/fr", follow_redirects=False)
        assert gone.status_code == 303 and gone.headers["location"] == "/login"
        sign_in(fanny, "fanny")
        assert "fanny</a> · lead" in fanny.get("/").text
    assert client.get("/admin/users").status_code == 200  # the admin's own session stays


# --- the forced password change -------------------------------------------------------


def reset(client: TestClient, name: str) -> str:
    token = sign_in(client, "root")
    one_time = one_time_of(
        client.post(f"/admin/users/{name}/reset-password", data={"csrf": token}).text
    )
    client.cookies.clear()
    return one_time


def test_a_one_time_password_leads_to_the_password_page_and_nowhere_else(client, demo):
    one_time = reset(client, "fanny")
    login = csrf_of(client.get("/login").text)
    signed = client.post(
        "/login",
        data={"csrf": login, "name": "fanny", "password": one_time},
        follow_redirects=False,
    )
    assert signed.status_code == 303 and signed.headers["location"] == "/password"
    page = client.get("/password")
    assert page.status_code == 200 and "Choose a new password" in page.text
    token = csrf_of(page.text)
    for path in ("/", "/queue/fr", "/item/1", "/admin/users"):
        gone = client.get(path, follow_redirects=False)
        assert gone.status_code == 303 and gone.headers["location"] == "/password"
    acted = client.post("/item/1/approve", data={"csrf": token}, follow_redirects=False)
    assert acted.status_code == 303 and acted.headers["location"] == "/password"
    assert client.post("/logout", data={"csrf": token}).status_code == 200  # may sign out


@pytest.mark.parametrize(
    ("current", "new", "repeat", "message"),
    [
        ("wrong password", NEW, NEW, "wrong current password"),
        (None, "short", "short", f"at least {MIN_PASSWORD} characters"),
        (None, NEW, NEW + "!", "differ"),
        (None, None, None, "other than the current one"),
    ],
)
def test_a_refused_password_change_keeps_the_one_time_password(
    client, demo, current, new, repeat, message
):
    one_time = reset(client, "fanny")
    token = sign_in(client, "fanny", one_time)
    form = {"current": current or one_time, "new": new or one_time, "repeat": repeat or one_time}
    refused = client.post("/password", data={"csrf": token, **form})
    assert refused.status_code == 400 and message in refused.text
    assert user_info(demo, "fanny").password_change_required
    assert client.get("/", follow_redirects=False).headers["location"] == "/password"


def test_choosing_a_new_password_opens_the_ui(client, demo):
    one_time = reset(client, "fanny")
    token = sign_in(client, "fanny", one_time)
    assert client.post("/password", data={"new": NEW, "repeat": NEW}).status_code == 403
    form = {"csrf": token, "current": one_time, "new": NEW, "repeat": NEW}
    done = client.post("/password", data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/?notice=password"
    home = client.get(done.headers["location"])  # a fresh session for this browser
    assert home.status_code == 200 and "Your password is changed" in home.text
    assert client.get("/queue/fr").status_code == 200
    assert not user_info(demo, "fanny").password_change_required
    assert trail(demo, "fanny")[-1] == ("fanny", "passwd", "changed by the user")
    client.cookies.clear()
    sign_in(client, "fanny", NEW)


def test_any_user_may_change_their_own_password(client, app, demo):
    with TestClient(app) as elsewhere:
        sign_in(elsewhere, "lea")
        token = sign_in(client, "lea")
        page = client.get("/password")
        assert "Change your password" in page.text and 'href="/password"' in page.text
        form = {"csrf": token, "current": PASSWORD, "new": NEW, "repeat": NEW}
        assert client.post("/password", data=form).status_code == 200
        gone = elsewhere.get("/", follow_redirects=False)
        assert gone.headers["location"] == "/login"  # the other session ended
    with demo.Session() as s, s.begin():
        assert authenticate(s, "lea", NEW) is not None


def test_wrong_current_passwords_are_throttled_like_sign_ins(demo):
    now = [1000.0]
    app = create_app(
        demo.config,
        secret=SECRET,
        factory=demo.Session,
        throttle=SignInThrottle(clock=lambda: now[0]),
    )
    with TestClient(app) as client:
        token = sign_in(client, "lea")
        wrong = {"csrf": token, "current": "not my password", "new": NEW, "repeat": NEW}
        for _ in range(4):  # three are free, the fourth makes the next one wait
            assert client.post("/password", data=wrong).status_code == 400
        right = {**wrong, "current": PASSWORD}
        waiting = client.post("/password", data=right)
        assert waiting.status_code == 429 and waiting.headers["retry-after"] == "1"
        with demo.Session() as s, s.begin():
            assert authenticate(s, "lea", PASSWORD) is not None  # nothing changed
        now[0] += 2
        assert client.post("/password", data=right, follow_redirects=False).status_code == 303
    with demo.Session() as s, s.begin():
        assert authenticate(s, "lea", NEW) is not None
