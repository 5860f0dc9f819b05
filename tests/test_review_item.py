"""The item page of the review UI in process (TestClient), on SQLite and PostgreSQL (issue
15): approving anyway with a reason (a lead's or an admin's; a reviewer is told why not),
the `[review]` limits of locflow.toml on every web action, comments on a string in a
locale, and long texts shortened in lists. The browser drives the same screens in
test_review_ui_item.py."""

from __future__ import annotations

import dataclasses
import gettext
import html
import re
import subprocess

import pytest
from fastapi.testclient import TestClient

from locflow.db.states import State
from locflow.review import actions
from locflow.review.app import create_app
from locflow.review.present import highlight, shorten, shorten_pieces, word_diff
from locflow.review.users import get_user
from locflow.settings_review import ReviewSettings
from tests.support.helpers import export
from tests.support.review_demo import PASSWORD, Demo, add_users, make_demo

SECRET = b"s" * 32
BROKEN = "Signed in as {user}"


@pytest.fixture
def demo(demo_project, db_url) -> Demo:
    d = make_demo(demo_project, db_url)
    add_users(d)
    return d


def client_for(demo: Demo, review: ReviewSettings | None = None) -> TestClient:
    config = demo.config if review is None else dataclasses.replace(demo.config, review=review)
    return TestClient(create_app(config, secret=SECRET, factory=demo.Session))


@pytest.fixture
def client(demo):
    with client_for(demo) as c:
        yield c


def _csrf(page: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', page)
    assert m, "no CSRF field on the page"
    return m.group(1)


def sign_in(client: TestClient, name: str) -> str:
    """Signs `name` in; their CSRF token."""
    client.cookies.clear()
    token = _csrf(client.get("/login").text)
    done = client.post("/login", data={"csrf": token, "name": name, "password": PASSWORD})
    assert done.status_code == 200, done.text
    return _csrf(client.get("/queue/fr").text)


def broken_version(demo: Demo) -> int:
    """fanny's edit of BROKEN that drops the placeholder: kept for review, failing a check."""
    vid = demo.version_of(BROKEN, "fr").id
    with demo.Session() as s, s.begin():
        done = actions.edit(s, get_user(s, "fanny"), vid, ["Connecté : {nom}"])
    assert done.state == State.NEEDS_REVIEW
    return done.version_id


def section(page: str, cls: str) -> str:
    """The text of the first <section class="cls"> (tags dropped, entities decoded)."""
    m = re.search(rf'<section class="{cls}"[^>]*>(.*?)</section>', page, re.S)
    assert m, cls
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m.group(1)))).strip()


# --- override with a reason -------------------------------------------------------------------


def test_a_lead_approves_anyway_with_a_reason_that_history_shows(client, demo):
    vid = broken_version(demo)
    token = sign_in(client, "lea")
    page = client.get(f"/item/{vid}").text
    approve_form = re.search(r'<form [^>]*id="approve".*?</form>', page, re.S)
    assert approve_form and 'name="override"' in approve_form.group(0)
    assert re.search(r'<input [^>]*name="reason"[^>]*maxlength="2000"', approve_form.group(0))
    assert "only a lead or an admin may override" not in page

    bare = client.post(f"/item/{vid}/approve", data={"csrf": token, "override": "1"})
    assert bare.status_code == 409 and "needs a reason" in bare.text
    assert "tick" not in re.search(r'<p class="error" role="alert">(.*?)</p>', bare.text).group(1)
    assert demo.version_of(BROKEN, "fr").state == State.NEEDS_REVIEW

    reason = {"csrf": token, "override": "1", "reason": "the app passes nom, not user"}
    done = client.post(f"/item/{vid}/approve", data=reason, follow_redirects=False)
    assert done.status_code == 303
    assert demo.version_of(BROKEN, "fr").state == State.APPROVED
    history = section(client.get(f"/item/{vid}").text, "history")
    assert "lea approve v" in history
    assert "override: the app passes nom, not user" in history


def test_a_web_override_goes_out_fuzzy_msgfmt_passes_and_the_app_runs(client, demo, msgfmt):
    """End to end: the UI's "approve anyway" -> export -> msgfmt -c -> the app's gettext."""
    vid = broken_version(demo)  # "Connecté : {nom}" for "Signed in as {user}"
    token = sign_in(client, "lea")
    override = {"csrf": token, "override": "1", "reason": "the app passes nom"}
    done = client.post(f"/item/{vid}/approve", data=override, follow_redirects=False)
    assert done.status_code == 303 and demo.version_of(BROKEN, "fr").state == State.APPROVED

    (fr,) = [f for f in export(demo.Session, demo.config) if f.locale == "fr"]
    assert fr.written and len(fr.demoted) == 1 and repr(BROKEN) in fr.demoted[0]
    po = demo.root / "locale" / "fr" / "LC_MESSAGES" / "messages.po"
    check = [msgfmt, "-c", "--check-format", "-o", "/dev/null", str(po)]
    assert subprocess.run(check, capture_output=True, text=True).returncode == 0
    with po.with_suffix(".mo").open("rb") as mo:  # the application's own call
        assert gettext.GNUTranslations(mo).gettext(BROKEN).format(user="ana") == "Signed in as ana"


def test_a_lead_saves_an_edit_anyway_with_a_reason(client, demo):
    vid = demo.version_of(BROKEN, "fr").id
    token = sign_in(client, "lea")
    edit_form = re.search(r'<form [^>]*id="edit".*?</form>', client.get(f"/item/{vid}").text, re.S)
    assert edit_form and 'name="override"' in edit_form.group(0)
    assert 'id="edit-reason"' in edit_form.group(0)
    data = {"csrf": token, "form-0": "Connecté : {nom}", "override": "1"}
    bare = client.post(f"/item/{vid}/edit", data=data)
    assert bare.status_code == 409 and "needs a reason" in bare.text
    done = client.post(f"/item/{vid}/edit", data={**data, "reason": "nom is right here"})
    assert done.status_code == 200
    current = demo.version_of(BROKEN, "fr")
    assert (current.state, current.forms) == (State.APPROVED, ["Connecté : {nom}"])
    assert "override: nom is right here" in section(
        client.get(f"/item/{current.id}").text, "history"
    )


def test_a_reviewer_is_told_only_a_lead_or_an_admin_may_override(client, demo):
    vid = broken_version(demo)
    token = sign_in(client, "fanny")
    page = client.get(f"/item/{vid}").text
    assert 'name="override"' not in page  # neither beside Approve nor under the edit
    why = re.search(r'id="no-override"[^>]*>(.*?)</p>', page, re.S)
    assert why, "no refusal text for a reviewer"
    text = html.unescape(why.group(1))
    assert "only a lead or an admin may override: " in text
    assert "placeholders" in text and "ask a lead of fr" in text
    refused = client.post(f"/item/{vid}/approve", data={"csrf": token})
    assert refused.status_code == 409 and "ask a lead of fr" in refused.text
    assert "tick" not in refused.text.split('role="alert">', 2)[-1].split("</p>")[0]
    assert demo.version_of(BROKEN, "fr").state == State.NEEDS_REVIEW


# --- limits from the config -------------------------------------------------------------------


def test_over_long_texts_are_a_notice_naming_the_limit(client, demo):
    token = sign_in(client, "lea")
    vid = demo.version_of("Notes", "fr").id
    edit = client.post(f"/item/{vid}/edit", data={"csrf": token, "form-0": "x" * 10_000})
    assert edit.status_code == 409 and edit.headers["content-type"].startswith("text/html")
    assert "10,000 characters; at most 2,000" in edit.text
    assert "[review] max_translation_chars = 2000" in edit.text
    for path, field in (("reject", "reason"), ("comment", "text")):
        big = client.post(f"/item/{vid}/{path}", data={"csrf": token, field: "r" * 200_000})
        assert big.status_code == 409, path
        assert big.headers["content-type"].startswith("text/html"), path
        assert "200,000 characters; at most 2,000 ([review] max_comment_chars)" in big.text
    broken = broken_version(demo)
    forced = {"csrf": token, "override": "1", "reason": "r" * 200_000}
    anyway = client.post(f"/item/{broken}/approve", data=forced)
    assert anyway.status_code == 409 and "at most 2,000 ([review] max_comment_chars)" in anyway.text
    assert demo.version_of("Notes", "fr").id == vid
    assert demo.version_of(BROKEN, "fr").state == State.NEEDS_REVIEW


def test_the_review_table_of_the_config_holds_on_the_web(demo):
    strict = ReviewSettings(max_comment_chars=40, max_translation_chars=50)
    with client_for(demo, strict) as client:
        token = sign_in(client, "lea")
        vid = demo.version_of("Notes", "fr").id
        page = client.get(f"/item/{vid}").text
        assert re.search(r'<input [^>]*name="reason"[^>]*maxlength="40"', page)
        assert re.search(r'<textarea [^>]*name="form-0"[^>]*maxlength="100"', page)  # 20 × 5
        assert re.search(r'<textarea [^>]*name="text"[^>]*maxlength="40"', page)  # a comment
        long = client.post(f"/item/{vid}/reject", data={"csrf": token, "reason": "r" * 41})
        assert long.status_code == 409 and "at most 40 ([review] max_comment_chars)" in long.text
        edit = client.post(f"/item/{vid}/edit", data={"csrf": token, "form-0": "y" * 101})
        assert edit.status_code == 409 and "at most 100 for a 5-character source" in edit.text
    generous = ReviewSettings(max_translation_chars=20_000)
    with client_for(demo, generous) as client:
        token = sign_in(client, "lea")
        done = client.post(f"/item/{vid}/edit", data={"csrf": token, "form-0": "z" * 10_000})
        assert done.status_code == 200
    assert demo.version_of("Notes", "fr").forms == ["z" * 10_000]


def test_bulk_approval_on_the_web_keeps_to_the_review_limits(demo):
    tight = ReviewSettings(max_translation_factor=1, max_translation_chars=1)
    notes = demo.version_of("Notes", "fr")
    assert len(notes.forms[0]) > len("Notes")  # the pseudo engine makes texts longer
    with client_for(demo, tight) as client:
        token = sign_in(client, "lea")
        view = client.post("/queue/fr/bulk-approve", data={"csrf": token, "scope": "view"})
        assert "Nothing to approve in this view" in view.text
        ticked = {"csrf": token, "scope": "selected", f"sel-{notes.id}": "1"}
        page = client.post("/queue/fr/bulk-approve", data=ticked)
        assert "longer than the [review] limit of 5 characters" in html.unescape(page.text)
        confirmed = {**ticked, "count": "1", "confirm": "1"}
        refused = client.post("/queue/fr/bulk-approve", data=confirmed)
        assert refused.status_code == 409 and "Nothing was approved" in refused.text
    assert demo.version_of("Notes", "fr").state == State.MACHINE
    with client_for(demo) as client:  # the default limits: the same view approves
        token = sign_in(client, "lea")
        view = client.post("/queue/fr/bulk-approve", data={"csrf": token, "scope": "view"})
        assert re.search(r"Approve <b>\d+</b> items without issues", view.text)


# --- comments ---------------------------------------------------------------------------------


def test_comments_are_posted_listed_and_kept_to_the_locale(client, demo):
    vid = demo.version_of("Notes", "fr").id
    token = sign_in(client, "fanny")
    page = client.get(f"/item/{vid}").text
    assert re.search(r'<form method="post" action="/item/\d+/comment[^"]*" id="comment"', page)
    assert client.post(f"/item/{vid}/comment", data={"text": "hm"}).status_code == 403
    empty = client.post(f"/item/{vid}/comment", data={"csrf": token, "text": "  "})
    assert empty.status_code == 409 and "a comment needs some text" in empty.text
    said = "« notes » or « fiches »? <b>ask</b>"
    done = client.post(
        f"/item/{vid}/comment", data={"csrf": token, "text": said}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"].startswith(f"/item/{vid}")
    page = client.get(f"/item/{vid}").text
    assert "&lt;b&gt;ask&lt;/b&gt;" in page and "<b>ask</b>" not in page  # escaped
    listed = section(page, "comments")
    assert re.search(r"fanny \d{4}-\d\d-\d\d \d\d:\d\d on v1: « notes » or « fiches »\?", listed)
    assert "fanny commented" in section(page, "history") and said in section(page, "history")

    sign_in(client, "lea")  # the locale's lead reads it too
    assert said in section(client.get(f"/item/{vid}").text, "comments")

    token = sign_in(client, "dieter")  # a reviewer of de: read only, no comments
    other = client.get(f"/item/{vid}").text
    assert other.count("read only") == 1 and 'id="comment"' not in other
    assert "« notes » or « fiches »" not in other
    denied = client.post(f"/item/{vid}/comment", data={"csrf": token, "text": "ja"})
    assert denied.status_code == 403 and "dieter does not review fr" in denied.text
    with demo.Session() as s:
        texts = [c.text for c in actions.comments_for(s, get_user(s, "root"), vid)]
    assert texts == [said]


# --- long texts in lists ----------------------------------------------------------------------


def test_long_texts_are_shortened_in_the_queue_and_history_not_on_the_item(client, demo):
    long = " ".join(f"mot{i:03d}" for i in range(286))[:2000]  # 2,000 characters
    assert len(long) == 2000
    reason = "because " * 150  # 1,200 characters
    vid = demo.version_of("Notes", "fr").id
    with demo.Session() as s, s.begin():
        done = actions.edit(s, get_user(s, "fanny"), vid, [long])
        actions.reject(s, get_user(s, "lea"), done.version_id, reason)
        again = actions.revert(s, get_user(s, "lea"), done.version_id, 2)
    token = sign_in(client, "fanny")
    assert token
    queue = client.get("/queue/fr?state=all").text
    row = re.search(rf'<tr class="item[^"]*"[^>]*id="v{again.version_id}".*?</tr>', queue, re.S)
    assert row, "the long version is not in the queue"
    tgt = re.search(r'<td class="tgt">\s*<div class="text"[^>]*>(.*?)</div>', row.group(0), re.S)
    assert tgt, "no translation in the row"
    shown = html.unescape(re.sub(r"<[^>]+>", "", tgt.group(1)))
    assert shown.endswith("…") and len(shown) <= 301 and shown[:250] == long[:250]

    page = client.get(f"/item/{again.version_id}").text
    assert f">{long}</textarea>" in page  # the item itself: the whole text
    history = section(page, "history")
    assert long not in history and long[:250] in history and "…" in history
    assert reason.strip() not in history and reason[:250] in history


def test_shortening_keeps_the_first_characters_whole_marks_and_an_ellipsis():
    pieces = highlight("x" * 295 + " %(name)s and more", ("python-format",))
    short = shorten_pieces(pieces, 300)
    assert "".join(p.text for p in short) == "x" * 295 + " …"  # the placeholder is not cut
    assert [p.kind for p in short] == ["", ""]
    assert shorten_pieces(pieces, 1000) == pieces
    diff = shorten_pieces(word_diff("old words", "new " * 100), 10)
    assert "".join(p.text for p in diff).endswith("…") and diff[-1].op == "="
    assert sum(len(p.text) for p in diff) == 11
    assert shorten("y" * 2000) == "y" * 300 + "…" and shorten("short") == "short"
