"""The review UI end to end: `locflow ui` as a real subprocess, driven by headless Chromium
(Playwright for Python with Debian's /usr/bin/chromium), on the demo project synced and
pseudo-translated. Screenshots of the main screens go to test-output/screenshots/.

Without Chromium or Playwright these tests skip with the reason; with CI=true they fail.
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from locflow.connectors.po_parse import parse_po
from locflow.db import repo
from locflow.db.models import Translation
from locflow.db.states import State
from locflow.review import actions
from locflow.review.users import get_user
from tests.support.env import ROOT
from tests.support.helpers import export, sync, translate
from tests.support.review_demo import PASSWORD, Demo, add_users, make_demo

SHOTS = ROOT / "test-output" / "screenshots"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    root = tmp_path_factory.mktemp("review-ui") / "demo"
    shutil.copytree(ROOT / "examples" / "demo", root)
    d = make_demo(root)
    add_users(d)
    export(d.Session, d.config)  # the catalogues as they are before any review
    return d


@pytest.fixture
def page_for(browser, ui_url):
    contexts = []

    def open_as(user: str | None):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=ui_url)
        contexts.append(context)
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.dialogs = dialogs
        if user:
            page.goto("/login")
            page.fill("input[name=name]", user)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(lambda url: not url.endswith("/login"))  # the home page
        return page

    yield open_as
    for c in contexts:
        c.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _entry(demo: Demo, locale: str, msgid: str):
    path = demo.root / "locale" / locale / "LC_MESSAGES" / "messages.po"
    catalog = parse_po(path.read_bytes(), str(path))
    return next(e for e in catalog.entries if e.segment.msgid == msgid)


def test_sign_in_filter_edit_a_plural_form_approve_and_export(demo, page_for):
    msgid = "%(count)d note saved"
    before = _entry(demo, "ru", msgid)
    assert before.fuzzy  # unreviewed machine output goes out fuzzy

    _a_wrong_password_is_refused(page_for(None))
    page = page_for("fanny")
    _filter_the_queue_and_open_the_plural(page)
    current = _edit_the_third_form(demo, page, msgid)

    # the keyboard: `a` approves the item on screen
    page.goto(f"/item/{demo.version_of('Save changes?', 'ru').id}")
    with page.expect_navigation():
        page.keyboard.press("a")
    assert demo.version_of("Save changes?", "ru").state == State.APPROVED

    export(demo.Session, demo.config)
    after = _entry(demo, "ru", msgid)
    assert not after.fuzzy and after.forms == tuple(current.forms)
    assert not _entry(demo, "ru", "Save changes?").fuzzy

    # translating again never replaces reviewed or human work
    # (in a thread: Playwright's sync API keeps an event loop running in this one)
    with ThreadPoolExecutor(1) as pool:
        _, requests = pool.submit(translate, demo.Session, demo.config).result()
    assert requests == 0
    assert demo.version_of(msgid, "ru").id == current.id
    export(demo.Session, demo.config)
    assert _entry(demo, "ru", msgid).forms == after.forms
    assert page.dialogs == []


def _a_wrong_password_is_refused(login) -> None:
    login.goto("/login")
    shot(login, "01-login")
    login.fill("input[name=name]", "fanny")
    login.fill("input[name=password]", "wrong password")
    login.click("button[type=submit]")
    assert "Wrong name or password" in login.inner_text(".error")


def _filter_the_queue_and_open_the_plural(page) -> None:
    page.goto("/queue/ru")
    assert page.locator("tr.item").count() > 10
    assert page.locator("mark.term").count() > 0  # glossary terms highlighted ("note")
    assert page.locator("mark.ph").count() > 0  # placeholders highlighted
    shot(page, "02-queue")
    page.fill("input[name=q]", "note saved")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**q=note+saved**")
    assert page.locator("tr.item").count() == 1
    page.click("tr.item td a")
    page.wait_for_url("**/item/**")


def _edit_the_third_form(demo: Demo, page, msgid: str) -> Translation:
    areas = page.locator("#edit textarea")
    assert areas.count() == 3  # Russian: one, few, many
    labels = page.locator(".form label").all_inner_texts()
    assert [label.split(" · ")[1] for label in labels] == ["one", "few", "many"]
    assert "n = 0, 5, 6" in labels[2]
    assert "engine pseudo" in page.inner_text(".target .meta")
    shot(page, "03-item-plural-forms")
    areas.nth(2).fill("%(count)d заметок сохранено")
    with page.expect_navigation():
        page.click("#edit button[type=submit]")
    assert "Saved as a new version and approved" in page.inner_text(".notice")

    current = demo.version_of(msgid, "ru")
    assert (current.state, current.origin, current.author) == (State.APPROVED, "human", "fanny")
    assert current.forms[2] == "%(count)d заметок сохранено"
    return current


def test_a_reviewer_of_de_cannot_approve_fr(demo, page_for):
    target = demo.version_of("Settings", "fr")
    page = page_for("dieter")
    page.goto(f"/item/{target.id}")
    assert "read only" in page.inner_text("main")
    assert page.locator("#approve").count() == 0
    assert page.locator("textarea[readonly]").count() == 1
    csrf = page.locator("form[action='/logout'] input[name=csrf]").get_attribute("value")
    response = page.request.post(f"/item/{target.id}/approve", form={"csrf": csrf})
    assert response.status == 403
    assert "dieter does not review fr" in response.text()
    bulk = page.request.post("/queue/fr/bulk-approve", form={"csrf": csrf})
    assert bulk.status == 403
    assert demo.version_of("Settings", "fr").state == target.state
    own = demo.version_of("Settings", "de")
    ok = page.request.post(f"/item/{own.id}/approve", form={"csrf": csrf})
    assert ok.status == 200  # followed the redirect to the next item
    assert demo.version_of("Settings", "de").state == State.APPROVED


def test_a_script_in_a_translation_renders_as_text(demo, page_for):
    evil = '<script>alert("x")</script><img src=x onerror="alert(1)">'
    row = demo.version_of("Sync failed. Check your connection and try again.", "fr")
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
                engine="evil-model",
                model=evil,
                issues=({"check": "tags", "severity": "error", "message": evil},),
            ),
        )
    page = page_for("fanny")
    page.goto("/queue/fr?q=alert")
    assert page.locator("tr.item").count() == 1
    assert evil in page.inner_text("tr.item .tgt .text")
    assert page.locator("tr.item .tgt .issues").inner_text().count("<script>") == 1
    page.goto(f"/item/{vid}")
    assert page.locator("#edit textarea").input_value() == evil
    assert evil in page.inner_text(".target .shown")
    assert evil in page.inner_text(".target .meta")  # the model name, escaped too
    assert page.locator("script").count() == 1  # ours only
    assert page.locator("img").count() == 0
    page.wait_for_timeout(300)
    assert page.dialogs == []


def test_posts_without_a_csrf_token_are_refused(demo, page_for, ui_url):
    target = demo.version_of("Notes", "fr")
    page = page_for("fanny")
    for form in ({}, {"csrf": "forged"}):
        response = page.request.post(f"/item/{target.id}/approve", form=form)
        assert response.status == 403, form
        assert "CSRF" in response.text()
    assert page.request.post("/logout", form={}).status == 403
    assert page.request.post("/queue/fr/bulk-approve", form={}).status == 403
    assert demo.version_of("Notes", "fr").state == target.state
    anonymous = page_for(None)
    refused = anonymous.request.post(
        "/login", form={"name": "fanny", "password": PASSWORD, "csrf": "x"}
    )
    assert refused.status == 403
    # pages carry a strict CSP and no framing
    headers = page.request.get("/queue/fr").headers
    assert "script-src 'nonce-" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"


def test_rtl_locales_edit_right_to_left(demo, page_for):
    page = page_for("fanny")
    item = demo.version_of("%(count)d note saved", "ar")
    page.goto(f"/item/{item.id}")
    areas = page.locator("#edit textarea")
    assert areas.count() == 6  # Arabic: zero, one, two, few, many, other
    assert {areas.nth(i).get_attribute("dir") for i in range(6)} == {"rtl"}
    assert page.locator(".target .shown").first.get_attribute("dir") == "rtl"
    shot(page, "04-item-rtl")
    page.goto("/queue/ar")
    assert page.locator("tr.item .tgt .text").first.get_attribute("dir") == "rtl"
    page.goto(f"/item/{demo.version_of('Settings', 'fr').id}")
    assert page.locator("#edit textarea").get_attribute("dir") == "auto"


def test_a_reworded_source_shows_the_text_approved_before(demo, page_for):
    with demo.Session() as s, s.begin():
        actions.approve(s, get_user(s, "fanny"), demo.version_of("Progress: 100%%", "fr").id)
    pot = demo.root / "locale" / "messages.pot"
    pot.write_text(
        pot.read_text(encoding="utf-8").replace(
            'msgid "Progress: 100%%"', 'msgid "Progress so far: 100%%"'
        ),
        encoding="utf-8",
    )
    with ThreadPoolExecutor(1) as pool:  # sync, then translate what changed
        pool.submit(
            lambda: (sync(demo.Session, demo.config), translate(demo.Session, demo.config))
        ).result()
    approved = demo.version_of("Progress: 100%%", "fr").forms
    page = page_for("fanny")
    page.goto("/queue/fr?q=Progress")
    row = page.locator("tr.item")
    assert row.count() == 1
    assert "approved before the source changed: " + approved[0] in row.inner_text()
    assert row.locator(".change ins").inner_text().strip() == "so far"
    shot(page, "05-queue-source-changed")
    row.locator("td a").first.click()
    page.wait_for_url("**/item/**")
    assert "approved before the source changed" in page.inner_text(".target")
    assert page.locator(".source .change ins").count() == 1


def test_sign_out_ends_the_session(demo, page_for):
    page = page_for("fanny")
    page.click("form[action='/logout'] button")
    page.wait_for_url("**/login")
    page.goto("/queue/fr")
    assert page.url.endswith("/login")
