"""The review UI's hardening: every response (errors included, from our routes or from the
framework) carries the security headers and is a page; odd ids are 404s, never 500s; a body
over the limit is a 413 page; `[ui] secure_cookies` gives Secure cookies and HSTS; `locflow
ui` beyond loopback needs a real secret and warns about plain HTTP; and, in Chromium, the
throttled sign-in page says how long to wait."""

from __future__ import annotations

import dataclasses
import http.client
import os
import re
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from locflow.review.app import create_app
from locflow.review.web import LOGIN_COOKIE, SecretError, is_loopback, ui_secret
from locflow.settings import ConfigError, UiSettings, config_from_mapping
from tests.support.env import IN_CI, ROOT, run_cli
from tests.support.review_demo import PASSWORD, Demo, add_users, make_demo
from tests.support.ui_server import serve_ui

SECRET = b"s" * 32
HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    root = tmp_path_factory.mktemp("hardening") / "demo"
    shutil.copytree(ROOT / "examples" / "demo", root)
    d = make_demo(root)
    add_users(d)
    return d


def _app(demo: Demo, factory=None, **ui: object):
    config = dataclasses.replace(demo.config, ui=UiSettings(**ui))  # type: ignore[arg-type]
    return create_app(config, secret=SECRET, factory=factory or demo.Session)


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field on the page"
    return m.group(1)


def _sign_in(client: TestClient, name: str = "fanny") -> str:
    token = _csrf(client.get("/login").text)
    done = client.post("/login", data={"csrf": token, "name": name, "password": PASSWORD})
    return _csrf(done.text)  # the session's token, from the queue page


def assert_hardened(response, *, hsts: bool = False) -> None:
    where = f"{response.request.method} {response.request.url.path} {response.status_code}"
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, (where, name)
    csp = response.headers.get("content-security-policy", "")
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp, where
    assert ("strict-transport-security" in response.headers) == hsts, where


BAD_IDS = ("99999999999999999999", "abc", "-1", "0", "1.5", "1e3", "%20", "%EF%BC%91")


def test_odd_ids_and_wrong_methods_are_pages_with_the_headers(demo):
    with TestClient(_app(demo), raise_server_exceptions=False) as client:
        token = _sign_in(client)
        seen = []
        for vid in BAD_IDS:
            page = client.get(f"/item/{vid}")
            assert page.status_code == 404 and "text/html" in page.headers["content-type"], vid
            seen.append(page)
            for action in ("approve", "reject", "edit", "revert"):
                posted = client.post(f"/item/{vid}/{action}", data={"csrf": token})
                assert posted.status_code == 404, (vid, action)
                seen.append(posted)
        for method, path, status in (
            ("PUT", "/login", 405),
            ("DELETE", "/item/1", 405),
            ("GET", "/item/1/approve", 405),
            ("PATCH", "/queue/fr", 405),
            ("GET", "/nowhere", 404),
            ("GET", "/queue/xx", 404),
            ("GET", "/static/nothing.css", 404),
            ("POST", "/login", 403),  # no sign-in form token
            ("GET", "/queue/fr?page=abc&state=%00", 200),
            ("GET", "/static/review.css", 200),
        ):
            response = client.request(method, path)
            assert response.status_code == status, (method, path)
            if status >= 400:
                assert "<!doctype html>" in response.text, (method, path)
            seen.append(response)
        assert "allow" in seen[-10].headers  # a 405 keeps its Allow header
    for response in seen:
        assert_hardened(response)


def test_without_a_session_an_odd_id_asks_to_sign_in_first(demo):
    with TestClient(_app(demo)) as client:
        for vid in BAD_IDS:
            response = client.get(f"/item/{vid}", follow_redirects=False)
            assert response.status_code == 303 and response.headers["location"] == "/login"
            assert_hardened(response)
            assert client.post(f"/item/{vid}/approve", data={"csrf": "x"}).status_code == 403


def test_a_body_over_the_limit_is_a_413_page(demo):
    with TestClient(_app(demo, max_body_bytes=4096)) as client:
        token = _sign_in(client)
        vid = demo.version_of("Settings", "fr").id
        big = {"csrf": token, "form-0": "x" * 5000}
        declared = client.post(f"/item/{vid}/edit", data=big)
        assert declared.status_code == 413
        assert "too large: at most 4 KiB" in declared.text
        assert_hardened(declared)

        def chunks():  # no Content-Length: counted while it is read
            yield f"csrf={token}&form-0=".encode()
            for _ in range(10):
                yield b"y" * 1000

        streamed = client.post(
            f"/item/{vid}/edit",
            content=chunks(),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert streamed.status_code == 413 and "too large" in streamed.text
        assert_hardened(streamed)
        assert demo.version_of("Settings", "fr").id == vid  # nothing was saved
        login = client.post("/login", data={"password": "p" * 5000})
        assert login.status_code == 413
        assert_hardened(login)


def test_the_default_limit_is_one_mib_and_a_framework_400_is_a_page_too(demo):
    with TestClient(_app(demo)) as client:
        over = client.post("/login", data={"name": "x" * (1024 * 1024 + 1)})
        assert over.status_code == 413 and "at most 1024 KiB" in over.text
    with TestClient(_app(demo, max_body_bytes=4 * 1024 * 1024)) as client:
        # under a higher limit, starlette refuses a multipart field over 1 MiB itself
        big = {"name": "x" * (1024 * 1024 + 10)}
        multi = client.post("/login", data=big, files={"f": ("f.txt", b"")})
        assert multi.status_code == 400 and "<!doctype html>" in multi.text
        assert "exceeded maximum size" in multi.text
        assert_hardened(multi)


def test_a_server_error_is_a_page_with_the_headers(demo, tmp_path):
    broken = sessionmaker(create_engine(f"sqlite:///{tmp_path / 'empty.db'}"))  # no tables
    with TestClient(_app(demo, factory=broken), raise_server_exceptions=False) as client:
        token = _csrf(client.get("/login").text)
        failed = client.post("/login", data={"csrf": token, "name": "fanny", "password": "p"})
        assert failed.status_code == 500
        assert "Something went wrong" in failed.text and "Traceback" not in failed.text
        assert "no such table" not in failed.text
        assert_hardened(failed)


def test_secure_cookies_mark_the_cookies_secure_and_send_hsts(demo):
    with TestClient(_app(demo, secure_cookies=True), raise_server_exceptions=False) as client:
        page = client.get("/login")
        assert "; secure" in page.headers["set-cookie"].lower()
        # on plain http://testserver the client keeps a Secure cookie to itself: hand it over
        client.cookies.set(LOGIN_COOKIE, page.cookies[LOGIN_COOKIE])
        assert_hardened(page, hsts=True)
        assert page.headers["strict-transport-security"] == "max-age=31536000"
        token = _csrf(page.text)
        done = client.post(
            "/login",
            data={"csrf": token, "name": "fanny", "password": PASSWORD},
            follow_redirects=False,
        )
        assert done.status_code == 303
        session_cookie = next(
            c for c in done.headers.get_list("set-cookie") if c.startswith("locflow_session=")
        )
        assert "; secure" in session_cookie.lower()
        assert_hardened(client.get("/nowhere"), hsts=True)
    with TestClient(_app(demo)) as plain:
        page = plain.get("/login")
        assert "secure" not in page.headers["set-cookie"].lower()
        assert_hardened(page, hsts=False)


# --- settings and startup ---------------------------------------------------------------


def test_ui_settings_are_typed_and_typos_named():
    def ui(table: dict[str, object]) -> UiSettings:
        data = {"project": {"locales": ["fr"]}, "ui": table}
        return config_from_mapping(data, root=Path("."), env={}).ui

    got = ui({"secure_cookies": True, "trusted_proxies": ["10.1.2.3/8", "::1"]})
    assert got.secure_cookies and got.trusted_proxies == ("10.0.0.0/8", "::1/128")
    assert ui({}).max_body_bytes == 1024 * 1024
    for table, message in (
        ({"secure_cookie": True}, "unknown key 'secure_cookie' (did you mean 'secure_cookies'?)"),
        ({"trusted_proxy": []}, "unknown key 'trusted_proxy'"),
        ({"trusted_proxies": "10.0.0.0/8"}, "trusted_proxies must be a list of strings"),
        ({"trusted_proxies": ["10.0.0.0/33"]}, "trusted_proxies: '10.0.0.0/33'"),
        ({"secure_cookies": "yes"}, "secure_cookies must be true or false"),
        ({"max_body_bytes": 10}, "max_body_bytes must be at least 1024"),
    ):
        with pytest.raises(ConfigError, match=re.escape(message)):
            ui(table)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.2", False),
        ("review.example.org", False),
    ],
)
def test_what_counts_as_loopback(host, loopback):
    assert is_loopback(host) == loopback


def test_beyond_loopback_the_secret_must_have_32_bytes(capsys):
    with pytest.raises(SecretError, match=r"LOCFLOW_UI_SECRET is not set; serving on 0\.0\.0\.0"):
        ui_secret({}, "0.0.0.0")
    with pytest.raises(SecretError, match="has 3 bytes"):
        ui_secret({"LOCFLOW_UI_SECRET": "abc"}, "10.1.2.3")
    assert ui_secret({"LOCFLOW_UI_SECRET": "k" * 32}, "0.0.0.0") == b"k" * 32
    assert capsys.readouterr().err == ""
    assert ui_secret({"LOCFLOW_UI_SECRET": "abc"}, "127.0.0.1") == b"abc"  # loopback: a warning
    assert "LOCFLOW_UI_SECRET is short" in capsys.readouterr().err
    assert len(ui_secret({}, "localhost")) == 32
    assert "using a random secret for this process" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize(("secret", "problem"), [(None, "is not set"), ("é" * 15, "30 bytes")])
def test_locflow_ui_refuses_to_serve_beyond_loopback_without_a_real_secret(demo, secret, problem):
    env = {k: v for k, v in os.environ.items() if k != "LOCFLOW_UI_SECRET"}
    env.update(demo.env)
    if secret is not None:
        env["LOCFLOW_UI_SECRET"] = secret
    done = run_cli("ui", "--host", "0.0.0.0", "--port", "9", cwd=demo.root, env=env)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("locflow: error: LOCFLOW_UI_SECRET")
    assert problem in lines[0]


def _raw(base: str, method: str, path: str, headers: dict[str, str], body: bytes = b""):
    """One request over http.client: a declared Content-Length may be longer than `body`
    (the server must answer before reading it)."""
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.putrequest(method, path)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders(body or None)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


@pytest.mark.slow
def test_locflow_ui_on_all_addresses_warns_about_plain_http_and_hardens_real_errors(demo):
    with serve_ui(demo, "--host", "0.0.0.0") as (base, _):
        port = base.rsplit(":", 1)[1]
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        for method, path, headers, status in (
            ("GET", "/item/99999999999999999999", {}, 303),
            ("PUT", "/login", {}, 405),
            ("GET", "/nowhere", {}, 404),
            ("POST", "/login", {**form, "Content-Length": "2000000"}, 413),
        ):
            code, got, body = _raw(base, method, path, headers, b"name=x" if status == 413 else b"")
            assert code == status, (method, path)
            for name, value in HEADERS.items():
                assert got.get(name) == value, (path, name)
            assert "server" not in got  # uvicorn's banner is off
            if status >= 400:
                assert b"<!doctype html>" in body, path
    log = (demo.root / f"ui-{port}.log").read_text()
    assert "warning: serving plain HTTP on 0.0.0.0" in log
    assert "secure_cookies = true" in log


# --- the throttled sign-in in a browser ---------------------------------------------------


CHROMIUM = os.environ.get("LOCFLOW_TEST_CHROMIUM", "/usr/bin/chromium")


@pytest.mark.slow
def test_a_throttled_sign_in_shows_how_long_to_wait_in_chromium(demo):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install -e '.[test]')")
    if not Path(CHROMIUM).exists():
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
    with serve_ui(demo) as (base, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=args)
        page = browser.new_page(base_url=base)
        page.goto("/login")
        statuses = []
        for _ in range(12):  # three free failures, then doubling waits: a 429 soon
            page.fill("input[name=name]", "mallory")
            page.fill("input[name=password]", "a wrong guess")
            with page.expect_navigation() as nav:
                page.click("button[type=submit]")
            statuses.append(nav.value.status)
            if statuses[-1] == 429:
                break
        assert statuses[-1] == 429 and set(statuses[:-1]) == {401}, statuses
        seconds = int(nav.value.headers["retry-after"])
        note = page.inner_text(".error")
        assert re.fullmatch(r"Too many failed sign-ins\. Try again in \d+ seconds?\.", note)
        assert int(re.findall(r"\d+", note)[0]) <= seconds
        assert page.locator("input[name=password]").is_enabled()
        page.wait_for_timeout(1200)  # our script counts down (the CSP let it run)
        later = page.inner_text(".error")
        assert later != note, later
        browser.close()


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI requires the browser tests to run: {reason}")
    pytest.skip(reason)
