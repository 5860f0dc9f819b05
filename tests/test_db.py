"""The database layer on SQLite and PostgreSQL: migrations, append-only versions, transitions."""

from __future__ import annotations

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError

from locflow.catalog.segment import Segment
from locflow.db import catalog_repo, repo, run_repo, segment_repo
from locflow.db.models import Review, SourceVersion, Translation
from locflow.db.session import create_db_engine, current_revision, head_revision, migrate
from locflow.db.states import State, TransitionError


def _setup(s):
    project = repo.get_or_create_project(s, "p", "en")
    source = repo.get_or_create_source(s, project, "messages.pot", "po")
    row = segment_repo.insert_segment(s, source.id, Segment(msgid="Open", msgctxt="menu"), 0)
    return project, source, row


def _version(row, locale="fr", forms=("Ouvrir",), state=State.MACHINE, origin="engine", **kw):
    return repo.NewVersion(
        segment_id=row.id,
        locale=locale,
        forms=forms,
        state=state,
        origin=origin,
        source_hash=kw.pop("source_hash", row.source_hash),
        **kw,
    )


def test_migrations_reach_head_and_are_idempotent(db_url):
    engine = create_db_engine(db_url)
    migrate(engine)
    migrate(engine)
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {
        "projects",
        "sources",
        "segments",
        "source_versions",
        "translations",
        "reviews",
        "catalog_files",
        "runs",
    } <= tables
    engine.dispose()


def test_versions_are_numbered_and_append_only(Session):
    with Session() as s, s.begin():
        _, _, row = _setup(s)
        first = repo.add_version(s, _version(row))
        second = repo.add_version(s, _version(row, forms=("Ouvrir le fichier",)))
        other_locale = repo.add_version(s, _version(row, locale="de", forms=("Öffnen",)))
    with Session() as s:
        versions = repo.versions(s, row.id, "fr")
        assert [v.n for v in versions] == [1, 2]
        assert [v.id for v in versions] == [first, second]
        assert versions[0].forms == ["Ouvrir"]
        assert repo.versions(s, row.id, "de")[0].id == other_locale
        current = repo.current_versions(s, [row.id], "fr")[row.id]
        assert current[0].id == second


def test_duplicate_version_number_is_refused_by_the_database(Session):
    with Session() as s, s.begin():
        _, _, row = _setup(s)
        repo.add_version(s, _version(row))
    with Session() as s:
        s.begin()
        s.add(
            Translation(
                segment_id=row.id,
                locale="fr",
                n=1,
                forms=["x"],
                state=20,
                origin="engine",
                source_hash=row.source_hash,
            )
        )
        with pytest.raises(IntegrityError):
            s.flush()
        s.rollback()


def test_transition_records_a_review_and_refuses_illegal_moves(Session):
    with Session() as s, s.begin():
        _, _, row = _setup(s)
        vid = repo.add_version(s, _version(row))
        t = s.get(Translation, vid)
        repo.transition(s, t, State.APPROVED, actor="alice", comment="good")
        repo.transition(s, t, State.STALE)
    with Session() as s:
        t = s.get(Translation, vid)
        assert t.state == State.STALE
        reviews = s.scalars(
            select(Review).where(Review.translation_id == vid).order_by(Review.id)
        ).all()
        assert [(r.reviewer, r.from_state, r.to_state) for r in reviews] == [
            ("alice", State.MACHINE, State.APPROVED),
            ("locflow", State.APPROVED, State.STALE),
        ]
        assert repo.ever_approved(s, [vid]) == {vid}
        with pytest.raises(TransitionError):
            repo.transition(s, t, State.MACHINE)


def test_a_transition_writes_one_update_and_one_review_and_nothing_at_flush(Session):
    """The loaded version follows its new state without being left dirty, so the commit
    writes nothing more (bulk approval of 10,000 versions: bench/speed_bench.py)."""
    from sqlalchemy import event

    with Session() as s, s.begin():
        _, _, row = _setup(s)
        ids = [repo.add_version(s, _version(row, forms=(f"Ouvrir {i}",))) for i in range(3)]
    statements: list[str] = []
    with Session() as s, s.begin():
        versions = [s.get(Translation, i) for i in ids]
        engine = s.get_bind()

        def seen(conn, cursor, statement, *args) -> None:
            statements.append(statement.split()[0].upper())

        event.listen(engine, "before_cursor_execute", seen)
        try:
            for t in versions:
                repo.transition(s, t, State.APPROVED, actor="alice")
            assert [t.state for t in versions] == [State.APPROVED] * 3
            assert not s.dirty
            s.flush()
        finally:
            event.remove(engine, "before_cursor_execute", seen)
    assert statements == ["UPDATE", "INSERT"] * 3
    with Session() as s:
        assert [s.get(Translation, i).state for i in ids] == [State.APPROVED] * 3


def test_rejected_versions_are_not_current(Session):
    with Session() as s, s.begin():
        _, _, row = _setup(s)
        old = repo.add_version(s, _version(row, forms=("Ouvrir",)))
        new = repo.add_version(s, _version(row, forms=("Ouvrez",)))
        repo.transition(s, s.get(Translation, new), State.REJECTED, actor="bob")
    with Session() as s:
        assert [v.id for v in repo.current_versions(s, [row.id], "fr")[row.id]] == [old]


def test_source_change_adds_a_source_version_and_marks_translations_stale(Session):
    with Session() as s, s.begin():
        _, _, row = _setup(s)
        vid = repo.add_version(s, _version(row, state=State.APPROVED, origin="human"))
        changed = segment_repo.update_segment(
            s, row, Segment(msgid="Open", msgctxt="menu", extracted_comments="File menu"), 0
        )
        assert changed
        assert repo.mark_stale(s, row.id, row.source_hash) == 1
        unchanged = segment_repo.update_segment(
            s, row, Segment(msgid="Open", msgctxt="menu", extracted_comments="File menu"), 0
        )
        assert not unchanged
    with Session() as s:
        assert s.get(Translation, vid).state == State.STALE
        n = s.scalar(
            select(func.count())
            .select_from(SourceVersion)
            .where(SourceVersion.segment_id == row.id)
        )
        assert n == 2


def test_approved_memory_and_state_counts(Session):
    with Session() as s, s.begin():
        project, source, row = _setup(s)
        other = segment_repo.insert_segment(s, source.id, Segment(msgid="Save"), 1)
        repo.add_version(s, _version(row, state=State.APPROVED, origin="human"))
        repo.add_version(s, _version(other, forms=("Enregistrer",)))
    with Session() as s:
        memory = repo.approved_memory(s, project.id, "fr")
        assert memory == {("menu", "Open", None): ("Ouvrir",)}
        assert run_repo.state_counts(s, project.id) == {"fr": {"approved": 1, "machine": 1}}
        assert run_repo.live_segment_count(s, project.id) == 2


def test_catalog_file_put_reports_real_changes(Session):
    with Session() as s, s.begin():
        _, source, _ = _setup(s)
        assert catalog_repo.put_catalog_file(s, source.id, "fr", "fr.po", b"a", "h1")
        assert not catalog_repo.put_catalog_file(s, source.id, "fr", "fr.po", b"a", "h1")
        assert catalog_repo.put_catalog_file(s, source.id, "fr", "fr.po", b"b", "h2")
    with Session() as s:
        assert catalog_repo.catalog_file(s, source.id, "fr").content == b"b"
