"""The review queue on SQLite and PostgreSQL: current versions only, filters, paging,
neighbours, and a queue of 12,000 items (its speed: bench/speed_bench.py)."""

from __future__ import annotations

import pytest

from bench.speed_bench import QUEUE_ITEMS, fill_queue, query_queue
from locflow.catalog.segment import Segment
from locflow.db import repo, review_repo, segment_repo
from locflow.db.models import Translation
from locflow.db.review_repo import QueueFilter
from locflow.db.states import State


def _version(row, locale, forms, state=State.MACHINE, issues=(), source_hash=None):
    return repo.NewVersion(
        segment_id=row.id,
        locale=locale,
        forms=forms,
        state=state,
        origin="engine",
        source_hash=source_hash or row.source_hash,
        engine="pseudo",
        issues=issues,
    )


PH = {"check": "placeholders", "severity": "error", "message": "missing %s"}
WS = {"check": "whitespace", "severity": "warning", "message": "trailing space"}


@pytest.fixture
def queue(Session):
    with Session() as s, s.begin():
        project = repo.get_or_create_project(s, "p", "en")
        app = repo.get_or_create_source(s, project, "app.pot", "po")
        web = repo.get_or_create_source(s, project, "web_ui.pot", "po")
        a = segment_repo.insert_segment(
            s, app.id, Segment(msgid="Open file %s", flags=("c-format",)), 0
        )
        b = segment_repo.insert_segment(s, app.id, Segment(msgid="Close 100%_done"), 1)
        c = segment_repo.insert_segment(s, web.id, Segment(msgid="Notebook", msgctxt="title"), 0)
        gone = segment_repo.insert_segment(s, web.id, Segment(msgid="Old"), 1)
        segment_repo.mark_obsolete(s, gone)
        ids = {
            "a1": repo.add_version(
                s, _version(a, "ru", ("Открыть файл",), State.NEEDS_REVIEW, (PH,))
            ),
            "a2": repo.add_version(s, _version(a, "ru", ("Открыть файл %s",))),
            "b1": repo.add_version(s, _version(b, "ru", ("Закрыть 100%_готово ",), issues=(WS,))),
            "c1": repo.add_version(s, _version(c, "ru", ("Блокнот",), State.APPROVED)),
            "c2": repo.add_version(s, _version(c, "ru", ("Тетрадь",))),
            "gone": repo.add_version(s, _version(gone, "ru", ("Старое",))),
            "fr": repo.add_version(s, _version(a, "fr", ("Ouvrir %s",))),
        }
        repo.transition(s, s.get(Translation, ids["c2"]), State.REJECTED, actor="x")
    return project.id, ids


def _ids(Session, project_id, f):
    with Session() as s:
        return [r.version_id for r in review_repo.queue_page(s, project_id, f, limit=100)]


def test_queue_shows_current_versions_of_live_segments(Session, queue):
    pid, ids = queue
    assert _ids(Session, pid, QueueFilter("ru")) == [ids["a2"], ids["b1"]]
    everything = _ids(Session, pid, QueueFilter("ru", states=()))
    assert everything == [ids["a2"], ids["b1"], ids["c1"]]  # rejected c2 leaves c1 current
    assert _ids(Session, pid, QueueFilter("ru", states=(State.APPROVED,))) == [ids["c1"]]
    with Session() as s:
        assert review_repo.queue_count(s, pid, QueueFilter("ru", states=())) == 3


@pytest.mark.parametrize(
    ("issue", "expected"),
    [("whitespace", ["b1"]), ("placeholders", []), ("any", ["b1"]), ("plural_count", [])],
)
def test_issue_filter(Session, queue, issue, expected):
    pid, ids = queue
    assert _ids(Session, pid, QueueFilter("ru", issue=issue)) == [ids[k] for k in expected]


def test_source_and_text_filters(Session, queue):
    pid, ids = queue
    assert _ids(Session, pid, QueueFilter("ru", states=(), source="web_ui.pot")) == [ids["c1"]]
    assert _ids(Session, pid, QueueFilter("ru", states=(), source="web%.pot")) == []
    # source text, case-insensitive; LIKE wildcards are literal
    assert _ids(Session, pid, QueueFilter("ru", search="OPEN FILE")) == [ids["a2"]]
    assert _ids(Session, pid, QueueFilter("ru", search="100%_d")) == [ids["b1"]]
    assert _ids(Session, pid, QueueFilter("ru", search="0%x")) == []
    # translation text, also outside ASCII
    assert _ids(Session, pid, QueueFilter("ru", search="Закрыть")) == [ids["b1"]]
    assert _ids(Session, pid, QueueFilter("ru", states=(), search="title")) == [ids["c1"]]


def test_neighbours_and_offsets_follow_queue_order(Session, queue):
    pid, ids = queue
    f = QueueFilter("ru", states=())
    with Session() as s:
        rows = review_repo.queue_page(s, pid, f)
        assert review_repo.queue_neighbour(s, pid, f, rows[0]) == ids["b1"]
        assert review_repo.queue_neighbour(s, pid, f, rows[1]) == ids["c1"]
        assert review_repo.queue_neighbour(s, pid, f, rows[2]) is None
        assert review_repo.queue_neighbour(s, pid, f, rows[2], after=False) == ids["b1"]
        assert review_repo.queue_neighbour(s, pid, f, rows[0], after=False) is None
        assert [review_repo.queue_offset(s, pid, f, r) for r in rows] == [0, 1, 2]
        page2 = review_repo.queue_page(s, pid, f, limit=2, offset=2)
        assert [r.version_id for r in page2] == [ids["c1"]]


@pytest.mark.slow  # a size test: 11 s of the fast suite
def test_a_queue_of_12000_items_pages_right(Session):
    """How long these queries take is bench/speed_bench.py's report (target 3 s)."""
    n = QUEUE_ITEMS
    got = query_queue(Session, fill_queue(Session, n), n)
    assert got.total == n
    assert [r.msgid for r in got.last][-1] == f"String number {n - 1}"
    assert got.last[-1].forms == ("Zeichenkette 11999",)
    assert got.issue_total == len([k for k in range(0, n, 3) if k % 2])
    assert [r.forms for r in got.searched] == [("Zeichenkette Nr. 11997",)]
    assert got.neighbour == got.last[1].version_id
