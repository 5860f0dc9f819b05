"""What reviewers get beside the text (issue 15), in process on SQLite and PostgreSQL:
per-locale progress, where a translation came from, memory suggestions that follow
approvals, other locales, the glossary panel, notices (bulk approval: test_review_bulk.py)
about the item they concern, and why `a` cannot approve a row. The browser drives the same
screens in test_review_ui_ux.py."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from locflow.db import progress_repo, repo
from locflow.db.states import State
from locflow.review import actions
from locflow.review.suggest import SuggestionCache
from locflow.review.users import get_user
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
    text_of,
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
    token = csrf_token(client.get(f"/item/{vid}").text)
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
