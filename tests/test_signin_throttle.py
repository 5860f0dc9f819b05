"""Sign-in throttling: the back-off rules with an injected clock, which address a request
counts for, the sign-in form answering 429 with `Retry-After` in process, and a real
`locflow ui` under a burst of wrong passwords (memory stays flat, the right password works
once the wait is over)."""

from __future__ import annotations

import dataclasses
import re
import shutil
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from locflow.review.app import create_app
from locflow.review.throttle import (
    Backoff,
    PasswordChecks,
    SignInThrottle,
    client_address,
    parse_networks,
)
from locflow.review.web import SESSION_COOKIE
from locflow.settings import UiSettings
from tests.support.env import ROOT
from tests.support.review_demo import PASSWORD, Demo, add_users, make_demo
from tests.support.ui_server import burst, post_login, serve_ui, vm_peak_mib

SECRET = b"s" * 32


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- the rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failures", "delay"),
    [(0, 0), (3, 0), (4, 1), (5, 2), (6, 4), (9, 32), (10, 60), (500, 60)],
)
def test_the_account_delay_doubles_after_three_free_failures_up_to_a_minute(failures, delay):
    assert Backoff(free=3, base=1.0, cap=60.0).delay(failures) == delay


def test_a_failure_makes_the_next_attempt_wait_and_waiting_is_enough():
    clock = Clock()
    t = SignInThrottle(clock)
    for _ in range(3):
        t.failed("fanny", "203.0.113.9")
    assert t.wait("fanny", "203.0.113.9") == 0  # three free failures
    t.failed("fanny", "203.0.113.9")
    assert t.wait("fanny", "203.0.113.9") == 1.0
    assert t.retry_after("fanny", "198.51.100.1") == 1  # the account waits, from anywhere
    assert t.wait("dieter", "198.51.100.1") == 0  # another account and address do not
    clock.now += 1.0
    assert t.wait("fanny", "203.0.113.9") == 0
    t.succeeded("fanny", "203.0.113.9")
    t.failed("fanny", "203.0.113.9")
    assert t.wait("fanny", "203.0.113.9") == 0  # a success starts the account afresh


def test_the_account_wait_is_capped_so_nobody_can_lock_a_reviewer_out():
    clock = Clock()
    t = SignInThrottle(clock)
    for i in range(200):
        t.failed("fanny", f"198.51.100.{i % 250}")
    assert t.wait("fanny", "192.0.2.1") == 60.0
    clock.now += 60.0
    assert t.wait("fanny", "192.0.2.1") == 0


def test_an_address_guessing_at_many_accounts_is_slowed_too():
    clock = Clock()
    t = SignInThrottle(clock)
    for i in range(12):
        t.failed(f"user{i}", "203.0.113.9")
    assert t.wait("somebody-new", "203.0.113.9") == 2.0  # 12 failures, 10 free
    assert t.wait("somebody-new", "203.0.113.10") == 0


def test_quiet_keys_are_forgotten_and_the_table_stays_bounded():
    clock = Clock()
    t = SignInThrottle(clock, max_keys=100)
    for _ in range(5):
        t.failed("fanny", "203.0.113.9")
    clock.now += 25 * 3600
    assert t.wait("fanny", "203.0.113.9") == 0
    t.failed("fanny", "203.0.113.9")
    assert t.wait("fanny", "203.0.113.9") == 0  # counted from one again
    for i in range(1000):
        t.failed(f"n{i}", f"10.0.{i // 250}.{i % 250}")
    assert len(t._accounts.records) == 100 and len(t._addresses.records) == 100


def test_password_checks_are_bounded():
    checks = PasswordChecks(limit=2, patience=0.05)
    assert checks.acquire() and checks.acquire()
    assert not checks.acquire()  # a third waits, then gives up
    checks.release()
    assert checks.acquire()


# --- which address ------------------------------------------------------------------------

PROXIES = parse_networks(["10.0.0.0/8", "fd00::/8"])


@pytest.mark.parametrize(
    ("peer", "xff", "client"),
    [
        ("203.0.113.9", ["1.2.3.4"], "203.0.113.9"),  # not a proxy: its header is ignored
        ("10.0.0.2", ["198.51.100.7"], "198.51.100.7"),
        ("10.0.0.2", ["1.1.1.1, 198.51.100.7, 10.0.0.3"], "198.51.100.7"),  # right-most
        ("10.0.0.2", ["1.1.1.1", "198.51.100.7"], "198.51.100.7"),  # two header lines
        ("10.0.0.2", [], "10.0.0.2"),
        ("10.0.0.2", ["10.0.0.5"], "10.0.0.5"),  # only proxies: the farthest one
        ("10.0.0.2", ["1.1.1.1, garbage"], "10.0.0.2"),  # garbled hop: the proxy itself
        ("::ffff:10.0.0.2", ["198.51.100.7:4711"], "198.51.100.7"),
        ("fd00::1", ["[2001:db8:1:2:3:4:5:6]:443"], "2001:db8:1:2::/64"),
        ("testclient", ["1.2.3.4"], "testclient"),
    ],
)
def test_the_client_is_the_right_most_address_no_trusted_proxy_added(peer, xff, client):
    assert client_address(peer, xff, PROXIES) == client


def test_trusted_proxies_must_be_networks():
    with pytest.raises(ValueError, match="'nope'"):
        parse_networks(["10.0.0.0/8", "nope"])


# --- the sign-in form in process ------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    root = tmp_path_factory.mktemp("throttle") / "demo"
    shutil.copytree(ROOT / "examples" / "demo", root)
    d = make_demo(root)
    add_users(d)
    return d


def _client(demo: Demo, clock: Clock, proxies: tuple[str, ...] = (), **kw) -> TestClient:
    config = dataclasses.replace(demo.config, ui=UiSettings(trusted_proxies=proxies))
    app = create_app(config, secret=SECRET, factory=demo.Session, throttle=SignInThrottle(clock))
    return TestClient(app, **kw)


def _try(client: TestClient, name: str, password: str, headers: dict[str, str] | None = None):
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert token
    data = {"csrf": token.group(1), "name": name, "password": password}
    return client.post("/login", data=data, headers=headers or {}, follow_redirects=False)


def test_wrong_passwords_get_429_with_retry_after_then_the_right_one_works(demo):
    clock = Clock()
    with _client(demo, clock) as client:
        codes = [_try(client, "fanny", "wrong password").status_code for _ in range(4)]
        assert codes == [401, 401, 401, 401]
        refused = _try(client, "fanny", PASSWORD)  # even the right one, during the wait
        assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
        assert "Try again in 1 second." in refused.text
        assert _try(client, "FANNY", "wrong password").status_code == 429  # one account
        assert "script-src 'nonce-" in refused.headers["content-security-policy"]
        assert SESSION_COOKIE not in client.cookies
        assert _try(client, "dieter", PASSWORD).status_code == 303  # others sign in
        clock.now += 1.0
        assert _try(client, "fanny", PASSWORD).status_code == 303


def test_attempts_during_the_wait_do_not_lengthen_it(demo):
    clock = Clock()
    with _client(demo, clock) as client:
        codes = [_try(client, "root", "wrong password").status_code for _ in range(24)]
        assert codes == [401] * 4 + [429] * 20  # the 4th failure costs a second
        assert _try(client, "root", "x" * 12).headers["retry-after"] == "1"  # still
        clock.now += 1.0
        assert _try(client, "root", PASSWORD).status_code == 303


def test_forwarded_for_counts_only_behind_a_trusted_proxy(demo):
    clock = Clock()
    spoof = {"X-Forwarded-For": "198.51.100.1"}
    with _client(demo, clock, client=("203.0.113.9", 5000)) as direct:
        for i in range(11):  # eleven accounts, one address: its 11th failure costs 1 s
            _try(direct, f"nobody{i}", "wrong password", spoof)
        other = {"X-Forwarded-For": "198.51.100.2"}
        assert _try(direct, "nobody-else", "wrong password", other).status_code == 429
    with _client(demo, clock, ("10.0.0.0/8",), client=("10.0.0.2", 5000)) as proxied:
        for i in range(11):
            _try(proxied, f"nobody{i}", "wrong password", spoof)
        assert _try(proxied, "x", "wrong password", spoof).status_code == 429
        assert (
            _try(proxied, "x", "wrong password", {"X-Forwarded-For": "198.51.100.2"}).status_code
            == 401
        )


# --- a real server under a burst --------------------------------------------------------------


@pytest.fixture(scope="module")
def server(demo: Demo) -> Iterator[tuple[str, int]]:
    with serve_ui(demo) as (base, pid):
        yield base, pid


@pytest.mark.slow
def test_a_burst_of_wrong_sign_ins_is_refused_and_memory_stays_flat(server):
    base, pid = server
    results = burst(base, ["fanny"], threads=16, each=2)
    codes = [code for code, _, _ in results]
    assert len(codes) == 32 and set(codes) <= {401, 429}
    refused = [(code, after) for code, after, _ in results if code == 429]
    assert len(refused) >= 16, codes  # most never reach a password check
    assert all(after.isdigit() and 1 <= int(after) <= 300 for _, after in refused)
    assert vm_peak_mib(pid) < 400  # 16 checks at once took 1 GiB without the bound
    deadline = time.monotonic() + 120
    while True:  # the right password works once the wait is over
        code, after, _ = post_login(base, "fanny", PASSWORD)
        if code != 429 or time.monotonic() > deadline:
            break
        time.sleep(int(after))
    assert code == 200  # followed the redirect into the queue
