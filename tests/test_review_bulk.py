"""Bulk approval in the review UI (issue 15), in process: of the filtered view or of ticked
rows, for leads and admins, confirmed by its count; a reviewer gets no bulk controls."""

from __future__ import annotations

import re

import pytest

from locflow.db.states import State
from tests.support.review_demo import Demo
from tests.support.review_ux import STRINGS
from tests.support.review_web import (
    add_version,
    app_for,
    approve,
    client_of,
    csrf_token,
    demo_with_strings,
    sign_in,
)


@pytest.fixture
def demo(demo_project, db_url) -> Demo:
    return demo_with_strings(demo_project, db_url)


@pytest.fixture
def app(demo):
    return app_for(demo)


@pytest.fixture
def client(app):
    yield from client_of(app)


# --- bulk approval ---------------------------------------------------------------------------


def test_bulk_approval_of_the_view_states_its_count_and_refuses_a_stale_one(client, demo):
    token = sign_in(client, "lea")
    broken = add_version(
        demo,
        "Signed in as {user}",
        "fr",
        ("Connecté",),
        issues=({"check": "placeholders", "severity": "error", "message": "missing {user}"},),
    )
    first = client.post("/queue/fr/bulk-approve", data={"csrf": token, "scope": "view"})
    assert first.status_code == 200
    count = STRINGS - 1  # all but the broken one
    assert f"Approve <b>{count}</b> items without issues in this view?" in first.text
    assert f'name="count" value="{count}"' in first.text
    assert demo.version_of("Settings", "fr").state == State.MACHINE  # nothing yet
    approve(demo, "Settings", "fr")  # someone else, meanwhile
    stale = client.post(
        "/queue/fr/bulk-approve",
        data={"csrf": token, "scope": "view", "count": str(count), "confirm": "1"},
    )
    assert stale.status_code == 409
    assert f"{count - 1} item(s) can be approved now, not {count}" in stale.text
    assert demo.version_of("Notes", "fr").state == State.MACHINE  # rolled back
    done = client.post(
        "/queue/fr/bulk-approve",
        data={"csrf": token, "scope": "view", "count": str(count - 1), "confirm": "1"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and f"count={count - 1}" in done.headers["location"]
    assert demo.queue_ids("fr") == [broken]
    assert f"Bulk approval done. {count - 1} approved." in client.get(done.headers["location"]).text


def test_bulk_approval_of_ticked_rows_skips_those_with_errors(client, demo):
    token = sign_in(client, "lea")
    broken = add_version(
        demo,
        "Signed in as {user}",
        "fr",
        ("Connecté",),
        issues=({"check": "placeholders", "severity": "error", "message": "missing {user}"},),
    )
    a, b = demo.version_of("Notes", "fr").id, demo.version_of("Open", "fr").id
    ticked = {"csrf": token, "scope": "selected", f"sel-{a}": "1", f"sel-{b}": "1"}
    page = client.post("/queue/fr/bulk-approve", data={**ticked, f"sel-{broken}": "1"})
    assert "Approve <b>2</b> items of the 3 you ticked?" in page.text
    assert (
        f'#{broken}</a> <span class="text">Signed in as {{user}}</span>: fails placeholders'
        in page.text
    )
    assert f'name="ids" value="{",".join(map(str, sorted((a, b, broken))))}"' in page.text
    done = client.post(
        "/queue/fr/bulk-approve",
        data={
            "csrf": token,
            "scope": "selected",
            "ids": f"{a},{b},{broken}",
            "count": "2",
            "confirm": "1",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    states = {v: demo.version_of(m, "fr").state for v, m in ((a, "Notes"), (b, "Open"))}
    assert set(states.values()) == {State.APPROVED}
    assert demo.version_of("Signed in as {user}", "fr").state == State.NEEDS_REVIEW
    assert demo.version_of("Save changes?", "fr").state == State.MACHINE  # not ticked


def test_a_permission_error_of_bulk_approval_is_a_notice(client, demo):
    sign_in(client, "dieter")
    token = csrf_token(client.get("/queue/de").text)
    for data in ({"scope": "view"}, {"scope": "view", "count": "5", "confirm": "1"}):
        refused = client.post("/queue/fr/bulk-approve", data={"csrf": token, **data})
        assert refused.status_code == 403
        assert re.search(
            r'<p class="error[^"]*" role="alert">Not allowed: dieter does not review fr',
            refused.text,
        )
    assert demo.version_of("Notes", "fr").state == State.MACHINE


def test_a_reviewer_gets_no_bulk_controls_and_a_bulk_post_is_refused(client, demo):
    token = sign_in(client, "fanny")  # reviewer of fr: approves one by one
    page = client.get("/queue/fr").text
    assert 'id="bulk-view"' not in page and 'name="sel-' not in page
    ticked = {f"sel-{demo.version_of('Settings', 'fr').id}": "1"}
    for data in ({"scope": "view"}, {"scope": "selected", **ticked}):
        refused = client.post("/queue/fr/bulk-approve", data={"csrf": token, **data})
        assert refused.status_code == 403 and "only a lead or an admin" in refused.text
    assert demo.version_of("Settings", "fr").state == State.MACHINE
