"""A project with many locales in headless Chromium (humanize ships 36, Django over 90): the
locale tabs scroll inside the top bar, so the page never scrolls sideways and the reviewer's
name and "Sign out" stay in view; the locales a reviewer reviews come first in the tabs, on
the home page and among the other locales of an item. Without Chromium these tests skip with
the reason; in CI they fail."""

from __future__ import annotations

import pytest

from tests.support.review_demo import Demo
from tests.support.review_ux import demo_copy, shot

LOCALES = (
    "bg", "ca", "cs", "da", "de", "el", "es", "et", "eu", "fa", "fi", "gl", "he", "hi",
    "hr", "hu", "id", "it", "ja", "ko", "lt", "lv", "nb", "nl", "pl", "pt", "pt_BR", "ro",
    "ru", "sk", "sl", "sr", "sv", "th", "tr", "uk", "vi", "zh_Hans", "ar", "fr",
)  # fmt: skip
"""40 locales; fanny reviews fr, ru and ar, which sit far down the list."""
MINE = ("ru", "ar", "fr")
"""fanny's locales in the order the config lists them."""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    return demo_copy(tmp_path_factory.mktemp("many") / "demo", locales=LOCALES)


def _fits(page) -> None:
    """Nothing sticks out sideways: the tabs scroll inside their bar instead."""
    width = page.evaluate("window.innerWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    sign_out = page.get_by_role("button", name="Sign out").bounding_box()
    assert sign_out is not None and sign_out["x"] + sign_out["width"] <= width
    assert page.evaluate(
        "(() => { const n = document.querySelector('nav.locales');"
        " return n.scrollWidth > n.clientWidth; })()"
    ), "40 tabs are wider than the bar: it scrolls"


def _tabs(page) -> list[str]:
    return page.eval_on_selector_all("nav.locales a", "els => els.map(e => e.dataset.locale)")


def test_the_page_never_scrolls_sideways_and_sign_out_stays_in_view(demo, page_for):
    page = page_for("fanny")
    _fits(page)
    shot(page, "many-01-home")
    page.goto("/queue/fr")
    _fits(page)
    page.locator("table.queue tr.item a").first.click()
    page.wait_for_url("**/item/**")
    _fits(page)
    shot(page, "many-02-item")


def test_a_reviewers_own_locales_come_first(demo, page_for):
    page = page_for("fanny")
    tabs = _tabs(page)
    assert tuple(tabs[:3]) == MINE and sorted(tabs) == sorted(LOCALES)
    rows = page.eval_on_selector_all("tr.locale", "els => els.map(e => e.dataset.locale)")
    assert tuple(rows[:3]) == MINE
    page.goto("/queue/fr")
    page.locator("table.queue tr.item a").first.click()
    page.wait_for_url("**/item/**")
    others = page.eval_on_selector_all(
        ".other-locales li a", "els => els.map(e => e.textContent.trim())"
    )
    assert tuple(others[:2]) == ("ru", "ar") and len(others) == len(LOCALES) - 1


def test_an_admin_sees_the_config_order(demo, page_for):
    assert tuple(_tabs(page_for("root"))) == LOCALES
