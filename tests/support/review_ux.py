"""Shared by the review UX tests (tests/test_review_ux.py in process, test_review_ui_ux.py in
Chromium): two strings like two of the demo's for the memory to suggest, headless Chromium
(Debian's /usr/bin/chromium through Playwright) and `locflow ui` as a subprocess.

Without Chromium or Playwright the browser tests skip with the reason; with CI=true they
fail (as in tests/test_review_ui.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.support.env import IN_CI, ROOT
from tests.support.review_demo import Demo

MORE = """
msgid "%(count)d note deleted"
msgid_plural "%(count)d notes deleted"
msgstr[0] ""
msgstr[1] ""

msgid "Deleted %d of %d notebooks"
msgstr ""
"""
"""Two strings like two of the demo's ("%(count)d note saved", "Deleted %d of %d notes")."""
STRINGS = 21
"""The demo's 19 strings and these two."""

CHROMIUM = os.environ.get("LOCFLOW_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
SHOTS = ROOT / "test-output" / "screenshots"


def add_strings(project: Path) -> None:
    pot = project / "locale" / "messages.pot"
    pot.write_text(pot.read_text(encoding="utf-8") + MORE, encoding="utf-8")


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI requires the browser tests to run: {reason}")
    pytest.skip(reason)


@contextmanager
def chromium() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install -e '.[test]')")
    if not Path(CHROMIUM).exists():
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@contextmanager
def ui_server(demo: Demo) -> Iterator[str]:
    """`locflow ui` on the demo's database; its base URL."""
    from tests.support.ui_server import serve_ui

    with serve_ui(demo) as (base, _pid):
        yield base


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def demo_copy(root: Path, *, strings: bool = False, locales: Sequence[str] = ()) -> Demo:
    """The demo project copied to `root` (its `[[docs]]` table dropped: the browser tests
    review strings), with the review users; `strings`: add_strings' two extra ones;
    `locales`: in place of the demo's four."""
    import json
    import re
    import shutil

    from tests.support.review_demo import add_users, make_demo

    shutil.copytree(ROOT / "examples" / "demo", root)
    toml = root / "locflow.toml"
    text = re.sub(r"^\[\[docs\]\]\n(?:(?!\[).*\n)*", "", toml.read_text(), flags=re.M)
    if locales:
        text = re.sub(r"^locales = .*$", f"locales = {json.dumps(list(locales))}", text, flags=re.M)
    toml.write_text(text)
    if strings:
        add_strings(root)
    demo = make_demo(root)
    add_users(demo)
    return demo


@contextmanager
def signed_in_pages(browser: Any, base: str) -> Iterator[Any]:
    """`open_as(user, password=PASSWORD)`: a new browser context signed in as `user` (the
    form sent with Enter in the password field); every context is closed at the end."""
    from tests.support.review_demo import PASSWORD

    contexts: list[Any] = []

    def open_as(user: str, password: str = PASSWORD) -> Any:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=base)
        contexts.append(context)
        page = context.new_page()
        page.on("dialog", lambda d: d.dismiss())
        page.goto("/login")
        page.fill("input[name=name]", user)
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert not page.url.endswith("/login"), page.inner_text("main")
        return page

    try:
        yield open_as
    finally:
        for context in contexts:
            context.close()
