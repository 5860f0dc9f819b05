"""User administration in headless Chromium: an admin adds a user, who signs in with the
one-time password, must choose their own, then reaches the queue; an admin changes a user's
role and locales while that user is signed in elsewhere, who is signed out. `locflow ui`
runs as a subprocess on the demo project with tests/support/review_ux.py's browser and
server. Without Chromium these tests skip with the reason; in CI they fail.
"""

from __future__ import annotations

import pytest

from locflow.review.users import authenticate, events, get_user
from tests.support.review_demo import Demo
from tests.support.review_ux import demo_copy, shot

NEW = "nina's own password"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    return demo_copy(tmp_path_factory.mktemp("review-admin") / "demo")


def test_an_added_user_signs_in_chooses_a_password_and_reaches_the_queue(demo, page_for):
    admin = page_for("root")
    admin.click("header a.admin-link")
    admin.wait_for_url("**/admin/users")
    admin.fill("#add-user input[name=name]", "nina")
    admin.select_option("#add-user select[name=role]", "reviewer")
    admin.fill("#add-user input[name=locales]", "fr")
    with admin.expect_navigation():
        admin.click("#add-user button[type=submit]")
    one_time = admin.inner_text("#one-time").strip()
    assert admin.locator("tr[data-user=nina] td.role").inner_text() == "reviewer"
    shot(admin, "admin-users-added")

    nina = page_for("nina", one_time)
    assert nina.url.endswith("/password")
    assert "one-time password" in nina.inner_text("#forced")
    nina.goto("/queue/fr")  # any other page leads back
    assert nina.url.endswith("/password")
    nina.fill("input[name=current]", one_time)
    nina.fill("input[name=new]", NEW)
    nina.fill("input[name=repeat]", NEW)
    shot(nina, "password-forced")
    with nina.expect_navigation():
        nina.click("main button[type=submit]")
    assert "Your password is changed" in nina.inner_text("main")
    nina.click("nav.locales a[data-locale=fr]")
    nina.wait_for_url("**/queue/fr")
    assert nina.locator("tr.item").count() > 0
    with demo.Session() as s, s.begin():
        assert not get_user(s, "nina").password_change_required
        assert authenticate(s, "nina", NEW) is not None
        assert authenticate(s, "nina", one_time) is None


def test_an_admin_changes_role_and_locales_and_the_user_is_signed_out(demo, page_for):
    fanny = page_for("fanny")
    fanny.goto("/queue/fr")
    assert fanny.url.endswith("/queue/fr")
    admin = page_for("root")
    admin.goto("/admin/users")
    with admin.expect_navigation():
        admin.click("tr[data-user=fanny] a")
    admin.select_option("#set-role select[name=role]", "lead")
    with admin.expect_navigation():
        admin.click("#set-role button[type=submit]")
    assert "Role changed" in admin.inner_text("p.notice")
    admin.fill("#set-locales input[name=locales]", "fr, de")
    with admin.expect_navigation():
        admin.click("#set-locales button[type=submit]")
    assert "Locales changed" in admin.inner_text("p.notice")
    trail = admin.locator("table.trail td.action").all_inner_texts()
    assert trail[:2] == ["set-locales", "set-role"]
    shot(admin, "admin-user-changed")

    fanny.reload()
    assert fanny.url.endswith("/login")  # signed out by the change
    with demo.Session() as s:
        user = get_user(s, "fanny")
        assert (user.role, user.locales) == ("lead", ("de", "fr"))
        assert [e[3] for e in events(s, "fanny")][-2:] == ["set-role", "set-locales"]
    again = page_for("fanny")
    assert "fanny · lead" in again.inner_text("header .who")
    assert again.locator("nav.locales a.mine[data-locale=de]").count() == 1
