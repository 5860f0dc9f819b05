"""What reviewers get beside the text (issue 15), in process on SQLite and PostgreSQL:
per-locale progress, where a translation came from, memory suggestions that follow
approvals, other locales, the glossary panel, bulk approval confirmed by its count, notices
about the item they concern, and why `a` cannot approve a row. The browser drives the same
screens in test_review_ui_ux.py."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from locflow.db import progress_repo, repo
from locflow.db.states import State
from locflow.review import actions
from locflow.review.app import create_app
from locflow.review.suggest import SuggestionCache
from locflow.review.users import get_user
from tests.support.review_demo import PASSWORD, Demo, add_users, make_demo
from tests.support.review_ux import STRINGS, add_strings

SECRET = b"s" * 32


@pytest.fixture
def demo(demo_project, db_url) -> Demo:
    add_strings(demo_project)  # two strings like two of the demo's, for the memory
    d = make_demo(demo_project, db_url)
    add_users(d)
    return d


@pytest.fixture
def app(demo):
    return create_app(demo.config, secret=SECRET, factory=demo.Session)


@pytest.fixture
def client(app):
    with TestClient(app) as c:
        yield c


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field on the page"
    return m.group(1)


def sign_in(client: TestClient, name: str = "fanny") -> str:
    token = _csrf(client.get("/login").text)
    client.post("/login", data={"csrf": token, "name": name, "password": PASSWORD})
    return _csrf(client.get("/queue/fr").text)


def approve(demo: Demo, msgid: str, locale: str, user: str = "fanny") -> int:
    vid = demo.version_of(msgid, locale).id
    with demo.Session() as s, s.begin():
        actions.approve(s, get_user(s, user), vid)
    return vid


def add_version(demo: Demo, msgid: str, locale: str, forms, **kw) -> int:
    row = demo.version_of(msgid, locale)
    with demo.Session() as s, s.begin():
        return repo.add_version(
            s,
            repo.NewVersion(
                segment_id=row.segment_id,
                locale=locale,
                forms=tuple(forms),
                state=kw.pop("state", State.NEEDS_REVIEW),
                origin=kw.pop("origin", "engine"),
                source_hash=row.source_hash,
                **kw,
            ),
        )


def text_of(html: str, css_class: str) -> str:
    """The text of the first element with this class (tags dropped)."""
    m = re.search(
        rf'class="[^"]*\b{css_class}\b[^"]*"[^>]*>(.*?)</(section|tr|td|p|aside|li)>', html, re.S
    )
    assert m, css_class
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m.group(1))).strip()


# --- progress -----------------------------------------------------------------------------


def test_progress_counts_each_state_per_locale_in_one_query(demo):
    approve(demo, "Settings", "fr")
    approve(demo, "Notes", "fr")
    add_version(demo, "Open", "fr", ("Ouvrir",), issues=())  # needs review
    engine = demo.Session.kw["bind"]
    statements: list[str] = []
    listen = lambda *a: statements.append(a[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listen)
    try:
        with demo.Session() as s:
            counts = progress_repo.locale_progress(s, demo.project_id(), ("fr", "ru", "ar", "de"))
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert len([x for x in statements if "translations" in x]) == 1
    fr, de = counts["fr"], counts["de"]
    assert (fr.total, fr.approved, fr.needs_review, fr.machine, fr.stale) == (
        STRINGS,
        2,
        1,
        STRINGS - 3,
        0,
    )
    assert (de.approved, de.machine, de.untranslated, de.pending) == (0, STRINGS, 0, STRINGS)
    assert fr.approved_percent == 9  # 2 of 21, rounded down


def test_home_and_locale_tabs_show_progress(client, demo):
    approve(demo, "Settings", "fr")
    sign_in(client)
    home = client.get("/")
    assert home.status_code == 200
    row = re.search(r'<tr class="locale[^"]*" data-locale="fr">(.*?)</tr>', home.text, re.S)
    assert row, "no fr row on the home page"
    cells = dict(re.findall(r'<td class="n (\w+)">(?:<a [^>]*>)?(\d+)', row.group(1)))
    assert cells == {
        "approved": "1",
        "machine": str(STRINGS - 1),
        "needs_review": "0",
        "stale": "0",
        "untranslated": "0",
        "pending": str(STRINGS - 1),
    }
    queue = client.get("/queue/ru").text
    tab = re.search(r'<a href="/queue/fr"[^>]*title="([^"]+)"', queue)
    assert tab and tab.group(1).startswith(f"1 approved · {STRINGS - 1} machine · 0 need review")
    assert f"4% · {STRINGS - 1} to review" in queue


# --- origin ---------------------------------------------------------------------------------


def test_the_queue_shows_where_each_translation_came_from(client, demo):
    add_version(demo, "Open", "fr", ("Ouvrir",), origin="tm")
    sign_in(client)
    vid = demo.version_of("Save changes?", "fr").id
    token = _csrf(client.get(f"/item/{vid}").text)
    client.post(f"/item/{vid}/edit", data={"csrf": token, "form-0": "Enregistrer ?"})
    page = client.get("/queue/fr?state=all").text
    origins = dict(re.findall(r'<td class="org"><span class="origin o-(\w+)">([^<]+)</span>', page))
    assert origins["human"] == "human · fanny"
    assert origins["tm"] == "memory"
    assert origins["engine"] == "pseudo"
    assert "<th>Origin</th>" in page


# --- memory suggestions, other locales, glossary -------------------------------------------


def suggestions(html: str) -> list[tuple[int, str, list[str]]]:
    """(similarity, source, target forms) of each memory suggestion on an item page."""
    out = []
    for li in re.findall(r'<li class="suggestion".*?</li>', html, re.S):
        score = int(re.search(r'class="score"[^>]*>(\d+)%', li).group(1))
        source = re.search(r'class="tm-source">.*?<span class="text">([^<]*)', li, re.S).group(1)
        forms = re.findall(r'<span class="form-text">([^<]*)</span>', li)
        out.append((score, source, forms))
    return out


def test_an_approval_makes_a_new_suggestion_appear_without_a_rebuild(client, app, demo):
    sign_in(client)
    item = demo.version_of("Deleted %d of %d notebooks", "fr").id
    assert suggestions(client.get(f"/item/{item}").text) == []
    cache = app.state.suggestions
    built = cache.builds(demo.project_id(), "fr")
    assert built == 1

    close = demo.version_of("Deleted %d of %d notes", "fr")
    approve(demo, "Deleted %d of %d notes", "fr")  # as the CLI would: another session
    shown = suggestions(client.get(f"/item/{item}").text)
    assert shown == [(91, "Deleted %d of %d notes", list(close.forms))]

    vid = demo.version_of("Deleted %d of %d notes", "fr").id
    with demo.Session() as s, s.begin():
        actions.reject(s, get_user(s, "fanny"), vid, "wrong")
    assert suggestions(client.get(f"/item/{item}").text) == []  # withdrawn
    # a version stored approved (as sync imports a translated catalogue): no review row
    with demo.Session() as s, s.begin():
        repo.add_version(
            s,
            repo.NewVersion(
                segment_id=close.segment_id,
                locale="fr",
                forms=("Importé",),
                state=State.APPROVED,
                origin="human",
                source_hash=close.source_hash,
            ),
        )
    assert suggestions(client.get(f"/item/{item}").text) == [
        (91, "Deleted %d of %d notes", ["Importé"])
    ]
    assert cache.builds(demo.project_id(), "fr") == built  # never rebuilt
    assert suggestions(client.get(f"/item/{demo.version_of('Settings', 'de').id}").text) == []


def test_the_memory_is_rebuilt_only_as_a_backstop_after_max_age(demo):
    now = [0.0]
    cache = SuggestionCache(clock=lambda: now[0])
    pid = demo.project_id()
    key = (None, "Deleted %d of %d notebooks", None)
    with demo.Session() as s:
        assert cache.suggest(s, pid, "fr", key) == []
    approve(demo, "Deleted %d of %d notes", "fr")
    now[0] += SuggestionCache.MAX_AGE - 1
    with demo.Session() as s:
        assert [x.msgid for x in cache.suggest(s, pid, "fr", key)] == ["Deleted %d of %d notes"]
        assert cache.builds(pid, "fr") == 1
        now[0] += 2
        assert len(cache.suggest(s, pid, "fr", key)) == 1
        assert cache.builds(pid, "fr") == 2


def test_plural_strings_are_suggested_with_every_form(client, demo):
    sign_in(client)
    approve(demo, "%(count)d note saved", "fr")
    approved = demo.version_of("%(count)d note saved", "fr").forms
    page = client.get(f"/item/{demo.version_of('%(count)d note deleted', 'fr').id}").text
    shown = suggestions(page)
    assert shown[0] == (81, "%(count)d note saved", list(approved))
    assert len(approved) == 3  # French: one, many, other
    assert 'data-n="1"' in page and "Use (1)" in page


def test_other_locales_show_the_same_string(client, demo):
    sign_in(client)
    approve(demo, "Settings", "de", user="dieter")
    page = client.get(f"/item/{demo.version_of('Settings', 'fr').id}").text
    others = re.findall(
        r'<li data-locale="(\w+)">.*?class="badge s-(\w+)".*?<div class="text"[^>]*>([^<]*)</div>',
        page,
        re.S,
    )
    assert [(loc, state) for loc, state, _ in others] == [
        ("ru", "machine"),
        ("ar", "machine"),
        ("de", "approved"),
    ]
    assert others[2][2] == demo.version_of("Settings", "de").forms[0]


def test_the_glossary_panel_lists_terms_with_targets_and_forbidden_words(client, demo):
    sign_in(client)
    vid = add_version(
        demo,
        "%(name)s shared a notebook with you",
        "fr",
        ("%(name)s a partagé un cahier avec vous", "%(name)s a partagé %(num)d cahiers"),
    )
    page = client.get(f"/item/{vid}").text
    panel = page[
        page.index('<section class="glossary"') : page.index('<section class="suggestions"')
    ]
    rows = re.findall(r'<tr class="term-row([^"]*)">(.*?)</tr>', panel, re.S)
    assert len(rows) == 1  # "notebook" (in the msgid and the plural: once)
    marked, cells = rows[0]
    assert "forbidden-used" in marked
    assert "<b>notebook</b>" in cells and "carnet" in cells
    assert '<s class="forbidden-term" title="forbidden">cahier</s>' in cells
    assert "uses forbidden cahier" in cells
    clean = client.get(f"/item/{demo.version_of('Settings', 'fr').id}").text
    assert "<b>Settings</b>" in clean and "paramètres" in clean


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
    token = _csrf(client.get("/queue/de").text)
    for data in ({"scope": "view"}, {"scope": "view", "count": "5", "confirm": "1"}):
        refused = client.post("/queue/fr/bulk-approve", data={"csrf": token, **data})
        assert refused.status_code == 403
        assert re.search(
            r'<p class="error[^"]*" role="alert">Not allowed: dieter does not review fr',
            refused.text,
        )
    assert demo.version_of("Notes", "fr").state == State.MACHINE


# --- notices and the `a` key -----------------------------------------------------------------


def test_after_an_edit_the_notice_names_that_item_not_the_next(client, demo):
    token = sign_in(client)
    vid = demo.version_of("Save changes?", "fr").id
    done = client.post(
        f"/item/{vid}/edit", data={"csrf": token, "form-0": "Enregistrer ?"}, follow_redirects=False
    )
    new = demo.version_of("Save changes?", "fr").id
    assert f"about={new}" in done.headers["location"]
    nxt = client.get(done.headers["location"]).text
    assert 'id="notice"' not in nxt  # nothing in the next item's own header
    card = text_of(nxt, "done-card")
    assert card.startswith(f"Just done on #{new} : Save changes? → Enregistrer ? —")
    assert card.endswith("Saved as a new version and approved.")
    kept = client.post(
        f"/item/{demo.version_of('Signed in as {user}', 'fr').id}/edit",
        data={"csrf": token, "form-0": "Connecté"},
        follow_redirects=False,
    )
    own = client.get(kept.headers["location"]).text
    assert "done-card" not in own
    kept_id = demo.version_of("Signed in as {user}", "fr").id
    assert (
        f'<p class="notice" role="status" id="notice">#{kept_id}: Saved as a new version; kept'
        in own
    )


def test_approving_from_the_queue_notes_it_on_its_row(client, demo):
    token = sign_in(client)
    vid = demo.version_of("Notes", "fr").id
    done = client.post(
        f"/item/{vid}/approve?state=all",
        data={"csrf": token, "back": "queue"},
        follow_redirects=False,
    )
    page = client.get(done.headers["location"]).text
    row = re.search(rf'<tr class="item done"[^>]*id="v{vid}".*?</tr>', page, re.S)
    assert row and f"#{vid}: Approved." in row.group(0)
    pending = client.get(f"/queue/fr?notice=approved&about={vid}").text  # not on this page
    assert re.search(rf'id="notice"><a href="/item/{vid}">#{vid}</a> “Notes”: Approved.', pending)


def test_a_says_why_a_row_with_errors_cannot_be_approved(client, demo):
    sign_in(client)
    vid = add_version(
        demo,
        "Signed in as {user}",
        "fr",
        ("Connecté",),
        issues=(
            {"check": "placeholders", "severity": "error", "message": "missing {user}"},
            {"check": "length", "severity": "warning", "message": "short"},
        ),
    )
    queue = client.get("/queue/fr").text
    row = re.search(rf'<tr class="item"[^>]*id="v{vid}" data-why="([^"]*)"', queue)
    assert row and row.group(1).startswith("it fails the placeholders check: open it (o)")
    assert 'role="alert" id="keymsg" hidden' in queue
    clean = re.search(r'id="v\d+" data-why=""', queue)
    assert clean  # rows that can be approved carry no reason
    item = client.get(f"/item/{vid}").text
    blocked = re.search(r"const blocked = (\"[^\n]*\");", item)
    assert (
        blocked
        and "fails the placeholders check (placeholders: missing {user})" in blocked.group(1)
    )
    other = client.get(f"/item/{demo.version_of('Notes', 'fr').id}").text
    assert 'const blocked = "";' in other


def test_ten_approvals_in_a_row_each_land_on_the_next_item(client, demo):
    """The server side of keyboard review (`a` posts #approve, then the next item loads)."""
    token = sign_in(client)
    page = client.get(f"/item/{demo.queue_ids('ru')[0]}")
    for _ in range(10):
        here = int(re.search(r"<h1>#(\d+)", page.text).group(1))
        assert f'<form method="post" action="/item/{here}/approve' in page.text
        assert re.search(r'<a id="next" href="/item/\d+', page.text)
        page = client.post(f"/item/{here}/approve", data={"csrf": token})
        assert text_of(page.text, "done-card").startswith(f"Just done on #{here}")
    assert len(demo.queue_ids("ru")) == STRINGS - 10


def test_a_reviewer_gets_no_bulk_controls_and_a_bulk_post_is_refused(client, demo):
    token = sign_in(client, "fanny")  # reviewer of fr: approves one by one
    page = client.get("/queue/fr").text
    assert 'id="bulk-view"' not in page and 'name="sel-' not in page
    ticked = {f"sel-{demo.version_of('Settings', 'fr').id}": "1"}
    for data in ({"scope": "view"}, {"scope": "selected", **ticked}):
        refused = client.post("/queue/fr/bulk-approve", data={"csrf": token, **data})
        assert refused.status_code == 403 and "only a lead or an admin" in refused.text
    assert demo.version_of("Settings", "fr").state == State.MACHINE
