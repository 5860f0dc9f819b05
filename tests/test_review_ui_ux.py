"""Issue 15 in headless Chromium: what reviewers get beside the text, driven the way they
use it (keyboard first). `locflow ui` runs as a subprocess on the demo project (plus two
strings like two of its own, for the memory to suggest), with tests/support/review_ux.py's
browser and server. Without Chromium these tests skip with the reason; in CI they fail.
"""

from __future__ import annotations

import re

import pytest

from locflow.db import progress_repo, repo
from locflow.db.models import Translation
from locflow.db.states import State
from locflow.review import actions
from locflow.review.users import get_user
from tests.support.review_demo import Demo
from tests.support.review_ux import (
    demo_copy,
    shot,
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    return demo_copy(tmp_path_factory.mktemp("review-ux") / "demo", strings=True)


def approve_as(demo: Demo, msgid: str, locale: str, user: str = "fanny") -> None:
    vid = demo.version_of(msgid, locale).id
    with demo.Session() as s, s.begin():
        actions.approve(s, get_user(s, user), vid)


def progress_of(demo: Demo, locale: str) -> progress_repo.Progress:
    with demo.Session() as s:
        return progress_repo.locale_progress(s, demo.project_id(), (locale,))[locale]


def test_home_and_tabs_show_progress_that_follows_approvals(demo, page_for):
    page = page_for("fanny")
    assert page.url.endswith("/")
    before = progress_of(demo, "ar")
    row = page.locator('tr.locale[data-locale="ar"]')
    assert row.locator("td.n.approved").inner_text() == str(before.approved)
    assert row.locator("td.n.pending").inner_text() == str(before.pending)
    assert page.locator("table.progress .bar-progress").count() == 4
    shot(page, "ux-01-home-progress")
    approve_as(demo, "Settings", "ar")
    page.goto("/queue/fr")
    tab = page.locator('nav.locales a[data-locale="ar"]')
    assert tab.get_attribute("title").startswith(f"{before.approved + 1} approved")
    assert f"{before.pending - 1} to review" in tab.inner_text()
    width = page.locator('nav.locales a[data-locale="ar"] .b-approved').bounding_box()["width"]
    assert width > 0  # the bar is drawn (CSS classes: the CSP allows no inline style)


def test_the_queue_shows_origins_and_a_explains_a_row_with_errors(demo, page_for):
    row = demo.version_of("Signed in as {user}", "fr")
    with demo.Session() as s, s.begin():
        broken = repo.add_version(
            s,
            repo.NewVersion(
                segment_id=row.segment_id,
                locale="fr",
                forms=("Connecté",),
                state=State.NEEDS_REVIEW,
                origin="engine",
                engine="pseudo",
                source_hash=row.source_hash,
                issues=(
                    {"check": "placeholders", "severity": "error", "message": "missing {user}"},
                ),
            ),
        )
    page = page_for("fanny")
    page.goto("/queue/fr")
    assert "pseudo" in page.locator("tr.item td.org").first.inner_text()
    rows = page.locator("tr.item")
    index = [rows.nth(i).get_attribute("id") for i in range(rows.count())].index(f"v{broken}")
    for _ in range(index + 1):
        page.keyboard.press("j")
    assert page.locator("#keymsg").is_hidden()
    page.keyboard.press("a")
    message = page.locator("#keymsg")
    assert message.is_visible()
    assert f"#{broken} is not approved: it fails the placeholders check" in message.inner_text()
    shot(page, "ux-02-queue-a-on-errors")
    assert demo.version_of("Signed in as {user}", "fr").state == State.NEEDS_REVIEW
    page.goto(f"/item/{broken}")
    page.keyboard.press("a")
    assert "placeholders: missing {user}" in page.locator("#keymsg").inner_text()
    assert page.url.endswith(f"/item/{broken}")  # nothing sent


def test_memory_suggestion_appears_after_an_approval_and_is_used_with_a_key(demo, page_for):
    page = page_for("fanny")
    item = demo.version_of("Deleted %d of %d notebooks", "fr").id
    page.goto(f"/item/{item}")
    assert page.locator("li.suggestion").count() == 0
    page.goto(f"/item/{demo.version_of('Deleted %d of %d notes', 'fr').id}")
    with page.expect_navigation():
        page.keyboard.press("a")
    approved = demo.version_of("Deleted %d of %d notes", "fr")
    assert approved.state == State.APPROVED
    page.goto(f"/item/{item}")
    first = page.locator("li.suggestion").first
    assert first.locator(".score").inner_text() == "91%"
    assert first.locator(".form-text").inner_text() == approved.forms[0]
    assert page.locator(".others li").count() == 3  # ru, ar, de
    assert (
        page.locator("section.glossary tr.term-row").first.locator("b").inner_text() == "notebooks"
    )
    shot(page, "ux-03-item-memory-glossary-others")
    page.keyboard.press("1")
    assert page.locator("#form-0").input_value() == approved.forms[0]
    page.keyboard.press("Control+Enter")
    page.wait_for_url(re.compile(r"notice=kept"))
    # the memory's text says "notes", not the glossary's "carnet" for notebooks: kept for
    # review, and the notice is this item's own
    new = demo.version_of("Deleted %d of %d notebooks", "fr")
    assert (new.state, new.forms, new.origin) == (State.NEEDS_REVIEW, approved.forms, "human")
    assert page.locator("#notice").inner_text().startswith(f"#{new.id}: Saved as a new version;")
    assert page.locator("aside.done-card").count() == 0
    shot(page, "ux-04-item-after-edit")


def test_bulk_approve_ticked_rows_with_a_confirmed_count(demo, page_for):
    page = page_for("lea")
    page.goto("/queue/fr?q=Open")
    assert page.locator("tr.item").count() == 3  # "Open" twice, "cannot open file"
    ticked = [int(page.locator("tr.item").nth(i).get_attribute("id")[1:]) for i in (0, 1)]
    page.keyboard.press("j")
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("x")
    assert page.locator("#selected-count").inner_text() == "2 ticked"
    with page.expect_navigation():
        page.click("#bulk-selected")
    assert "Approve 2 items of the 2 you ticked?" in page.locator("#confirm-count").inner_text()
    shot(page, "ux-05-bulk-confirm")
    with page.expect_navigation():
        page.click("#confirm button[type=submit]")
    assert "Bulk approval done. 2 approved." in page.locator("#notice").inner_text()
    with demo.Session() as s:
        assert [s.get(Translation, v).state for v in ticked] == [State.APPROVED] * 2
    assert page.locator("tr.item").count() == 1  # the row not ticked waits


def test_bulk_approve_of_the_view_refuses_a_count_that_changed(demo, page_for):
    page = page_for("lea")
    page.goto("/queue/fr?q=note")
    with page.expect_navigation():
        page.click("#bulk-view")
    count = int(page.locator("#confirm input[name=count]").get_attribute("value"))
    assert f"Approve {count} items" in page.locator("#confirm button").inner_text()
    approve_as(demo, "Notes", "fr")  # someone else, meanwhile
    pending = progress_of(demo, "fr").pending
    with page.expect_navigation():
        page.click("#confirm button[type=submit]")
    assert f"{count - 1} item(s) can be approved now, not {count}" in page.inner_text(".error")
    assert progress_of(demo, "fr").pending == pending  # nothing approved
    with page.expect_navigation():
        page.click("#confirm button[type=submit]")
    assert f"{count - 1} approved." in page.locator("#notice").inner_text()
    dieter = page_for("dieter")
    csrf = dieter.locator("form[action='/logout'] input[name=csrf]").get_attribute("value")
    refused = dieter.request.post("/queue/fr/bulk-approve", form={"csrf": csrf})
    assert refused.status == 403 and "Not allowed: dieter does not review fr" in refused.text()


def test_ten_items_reviewed_with_the_keyboard_only(demo, page_for):
    page = page_for("fanny")
    page.goto("/queue/ru")
    waiting = page.locator("tr.item").count()
    assert waiting >= 11
    page.keyboard.press("j")
    with page.expect_navigation():
        page.keyboard.press("o")
    done: list[int] = []
    for _ in range(10):
        here = int(page.url.split("/item/")[1].split("?")[0])
        with page.expect_navigation():
            page.keyboard.press("a")
        done.append(here)
        # the notice names the item just approved, as a card of its own
        assert page.locator("aside.done-card").inner_text().startswith(f"Just done on #{here}")
        assert page.locator("#notice").count() == 0
    assert len(set(done)) == 10
    with demo.Session() as s:
        assert [s.get(Translation, vid).state for vid in done] == [State.APPROVED] * 10
    shot(page, "ux-06-after-ten-with-the-keyboard")
    with page.expect_navigation():
        page.keyboard.press("u")
    assert page.locator("tr.item").count() == waiting - 10
    page.keyboard.press("?")
    assert page.locator("#help").is_visible()
