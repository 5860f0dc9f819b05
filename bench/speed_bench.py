"""Speed targets that used to be test assertions (issue 12, case 13: no test may fail
because the machine is busy). The tests check what these produce; this reports how long it
took, against a target.

    python -m bench.speed_bench                      # SQLite in a temporary folder
    python -m bench.speed_bench --database-url postgresql+psycopg://127.0.0.1:5432/empty_db

- glossary matching: 5,000 terms matched in 5,000 strings (target 10 s; about 1 s on a quiet
  machine, where a per-term loop would take minutes);
- review queue: count, last page, issue filter, search and neighbour over 12,000 items
  (target 3 s);
- bulk approval of that queue's clean versions, one transition each in one transaction
  (target 10 s; it took 28 s for 3,000 and minutes for 12,000 while each state change made
  SQLAlchemy scan every object in the session).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from locflow.catalog.segment import Segment
from locflow.db import repo, review_repo, segment_repo
from locflow.db.review_repo import QueueFilter
from locflow.db.session import open_database
from locflow.db.states import State
from locflow.glossaries import Term, TermIndex

GLOSSARY_TARGET_S = 10.0
QUEUE_TARGET_S = 3.0
BULK_TARGET_S = 10.0
QUEUE_ITEMS = 12_000
PLACEHOLDER_ISSUE = {"check": "placeholders", "severity": "error", "message": "missing %s"}


def large_glossary(n: int = 5000) -> tuple[tuple[Term, ...], list[str]]:
    """`n` terms (a third of them two words long) and `n` strings mentioning two each."""
    words = [f"term{i:04d}x" for i in range(n)]
    terms = tuple(
        Term.create(w if i % 3 else f"{w} {words[(i + 1) % n]}", {"fr": "x"})
        for i, w in enumerate(words)
    )
    texts = [f"Open {words[i % n]} and {words[(i * 7) % n]}s in the folder" for i in range(n)]
    return terms, texts


def match_all(terms: tuple[Term, ...], texts: list[str]) -> int:
    """Index the terms and match every text: the number of matches."""
    index = TermIndex(terms, "en")
    return sum(len(index.match(text)) for text in texts)


def fill_queue(Session: Any, n: int = QUEUE_ITEMS) -> int:
    """A project with `n` strings in review for de (a third with a second version, half of
    those with an error); its id."""
    with Session() as s, s.begin():
        project = repo.get_or_create_project(s, "big", "en")
        source = repo.get_or_create_source(s, project, "big.pot", "po")
        seg_ids = segment_repo.insert_segments(
            s, source.id, [(Segment(msgid=f"String number {i}"), i, None) for i in range(n)]
        )
        rows = {r.id: r for r in segment_repo.segment_rows(s, source.id)}
        versions = []
        for k, sid in enumerate(seg_ids):
            versions.append(_version(rows[sid], (f"Zeichenkette {k}",)))
            if k % 3 == 0:
                issues = (PLACEHOLDER_ISSUE,) if k % 2 else ()
                versions.append(_version(rows[sid], (f"Zeichenkette Nr. {k}",), issues))
        repo.add_versions(s, versions)
        return project.id


def _version(row: Any, forms: tuple[str, ...], issues: tuple[dict[str, str], ...] = ()) -> Any:
    return repo.NewVersion(
        segment_id=row.id, locale="de", forms=forms, state=State.MACHINE, origin="engine",
        source_hash=row.source_hash, engine="pseudo", issues=issues,
    )  # fmt: skip


@dataclass(frozen=True)
class QueueAnswers:
    total: int
    last: list[Any]
    issue_total: int
    searched: list[Any]
    neighbour: int | None


def query_queue(Session: Any, project_id: int, n: int = QUEUE_ITEMS) -> QueueAnswers:
    """What a reviewer paging the queue asks: count, last page, issue count, search, next."""
    f = QueueFilter("de")
    with Session() as s:
        total = review_repo.queue_count(s, project_id, f)
        last = review_repo.queue_page(s, project_id, f, limit=50, offset=n - 50)
        issues = review_repo.queue_count(s, project_id, QueueFilter("de", issue="any"))
        searched = review_repo.queue_page(s, project_id, QueueFilter("de", search="Nr. 11997"))
        neighbour = review_repo.queue_neighbour(s, project_id, f, last[0])
    return QueueAnswers(total, last, issues, searched, neighbour)


def approve_queue(Session: Any, project_id: int) -> int:
    """A lead's bulk approval of the de queue (review.actions.bulk_approve): how many."""
    from locflow.review import actions
    from locflow.review.users import add_user, get_user

    with Session() as s, s.begin():
        add_user(s, "bench-admin", "a long enough bench password", admin=True)
    with Session() as s, s.begin():
        actor = get_user(s, "bench-admin")
        assert actor is not None
        return len(actions.bulk_approve(s, actor, project_id, QueueFilter("de")).approved)


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="an empty database (default: SQLite in /tmp)")
    args = parser.parse_args(argv)
    terms, texts = large_glossary()
    glossary_s = timed(lambda: match_all(terms, texts))
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'speed.db'}"
        Session = open_database(url)
        project_id = fill_queue(Session)
        queue_s = timed(lambda: query_queue(Session, project_id))
        approved: list[int] = []
        bulk_s = timed(lambda: approved.append(approve_queue(Session, project_id)))
        Session.kw["bind"].dispose()
    ok = True
    for name, took, target in (
        ("glossary matching, 5000 terms x 5000 strings", glossary_s, GLOSSARY_TARGET_S),
        (f"review queue queries, {QUEUE_ITEMS} items", queue_s, QUEUE_TARGET_S),
        (f"bulk approval, {approved[0]} versions", bulk_s, BULK_TARGET_S),
    ):
        met = took <= target
        ok = ok and met
        print(f"{name}: {took:.2f} s (target {target:.0f} s){'' if met else ' MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
