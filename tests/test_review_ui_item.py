"""The item page in headless Chromium (issue 15): a lead approves anyway with a reason and
finds it in the history, a reviewer is told why they cannot, and a comment posted on a
string shows on its page (and not to a reviewer of another locale). `locflow ui` runs as a
subprocess on the demo project, with tests/support/review_ux.py's browser and server.
Without Chromium these tests skip with the reason; in CI they fail. The same screens are
tested in process in test_review_item.py."""

from __future__ import annotations

import re

import pytest

from locflow.db.states import State
from locflow.review import actions
from locflow.review.users import get_user
from tests.support.review_demo import Demo
from tests.support.review_ux import demo_copy, shot


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    return demo_copy(tmp_path_factory.mktemp("review-item") / "demo")


def broken(demo: Demo, msgid: str, text: str) -> int:
    """fanny's edit of `msgid` in fr that drops a placeholder: kept for review."""
    vid = demo.version_of(msgid, "fr").id
    with demo.Session() as s, s.begin():
        done = actions.edit(s, get_user(s, "fanny"), vid, [text])
    assert done.state == State.NEEDS_REVIEW
    return done.version_id


def test_a_lead_approves_anyway_with_a_reason_and_sees_it_in_history(demo, page_for):
    vid = broken(demo, "Signed in as {user}", "Connecté : {nom}")
    page = page_for("lea")
    page.goto(f"/item/{vid}")
    page.check("#approve input[name=override]")
    with page.expect_navigation():
        page.click("#approve button[type=submit]")  # no reason yet
    assert "needs a reason" in page.inner_text("p.error:not(#keymsg)")
    assert demo.version_of("Signed in as {user}", "fr").state == State.NEEDS_REVIEW
    page.check("#approve input[name=override]")
    page.fill("#approve-reason", "the app passes nom, not user")
    shot(page, "item-01-lead-approves-anyway")
    with page.expect_navigation():
        page.click("#approve button[type=submit]")
    assert demo.version_of("Signed in as {user}", "fr").state == State.APPROVED
    page.goto(f"/item/{vid}")
    history = page.inner_text("section.history ul.reviews")
    assert "lea approve" in history and "override: the app passes nom, not user" in history
    shot(page, "item-02-override-in-history")


def test_a_reviewer_sees_why_they_cannot_approve_anyway(demo, page_for):
    msgid = "Storage used: {used:.1f} MB of {quota} MB"
    vid = broken(demo, msgid, "Stockage utilisé : {used:.1f} Mo")
    page = page_for("fanny")
    page.goto(f"/item/{vid}")
    why = page.locator("#no-override")
    assert why.is_visible()
    assert "only a lead or an admin may override: " in why.inner_text()
    assert page.locator("input[name=override]").count() == 0
    shot(page, "item-03-reviewer-cannot-override")
    page.keyboard.press("a")
    message = page.locator("#keymsg")
    assert message.is_visible() and "only a lead or an admin of fr" in message.inner_text()
    assert page.url.endswith(f"/item/{vid}")  # nothing sent
    assert demo.version_of(msgid, "fr").state == State.NEEDS_REVIEW


def test_a_comment_posted_on_a_string_shows_on_its_page(demo, page_for):
    vid = demo.version_of("Notes", "fr").id
    said = "« notes » or « carnets »? <i>ask the author</i>"
    page = page_for("fanny")
    page.goto(f"/item/{vid}")
    page.fill("#comment-text", said)
    with page.expect_navigation():
        page.click("#comment button[type=submit]")
    assert re.search(rf"/item/{vid}#c\d+$", page.url), page.url
    listed = page.locator("section.comments li").last
    assert said in listed.inner_text() and "fanny" in listed.inner_text()
    assert "fanny commented" in page.inner_text("section.history ul.reviews")
    shot(page, "item-04-comment")
    other = page_for("dieter")  # reviews de: reads the item, not the comments
    other.goto(f"/item/{vid}")
    assert other.locator("#comment").count() == 0
    assert "carnets" not in other.inner_text("main")
