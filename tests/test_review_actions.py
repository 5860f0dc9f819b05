"""Review actions and permissions on SQLite and PostgreSQL: approve, reject, edit, revert,
bulk-approve; every action leaves a reviews row; only reviewers of a locale may act."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from locflow.catalog.segment import Segment
from locflow.db import repo, review_repo, segment_repo
from locflow.db.models import Review, SegmentRow, Translation
from locflow.db.review_repo import QueueFilter
from locflow.db.states import State
from locflow.review import actions
from locflow.review.actions import ActionError, NeedsOverride, PermissionDenied
from locflow.review.users import add_user, get_user

PLURAL = Segment(
    msgid="%(count)d note saved",
    msgid_plural="%(count)d notes saved",
    flags=("python-format",),
)
GREETING = Segment(msgid="Signed in as {user}", flags=("python-brace-format",))
OPEN = Segment(msgid="Open", msgctxt="menu")


@pytest.fixture
def world(Session):
    """A project with three strings, machine output for fr and ru, and three users."""
    with Session() as s, s.begin():
        project = repo.get_or_create_project(s, "demo", "en")
        source = repo.get_or_create_source(s, project, "locale/messages.pot", "po")
        rows = {
            "greeting": segment_repo.insert_segment(s, source.id, GREETING, 0),
            "open": segment_repo.insert_segment(s, source.id, OPEN, 1),
            "plural": segment_repo.insert_segment(s, source.id, PLURAL, 2),
        }
        ids = {
            "fr:greeting": _add(s, rows["greeting"], "fr", ("Connecté en tant que {user}",)),
            "fr:open": _add(s, rows["open"], "fr", ("Ouvrir",)),
            "ru:plural": _add(
                s,
                rows["plural"],
                "ru",
                ("%(count)d заметка", "%(count)d заметки", "%(count)d заметок"),
            ),
            "de:open": _add(s, rows["open"], "de", ("Öffnen",)),
        }
        add_user(s, "root", "correct horse", admin=True)
        add_user(s, "franz", "correct horse", locales=["de"])
        add_user(s, "fanny", "correct horse", locales=["fr", "ru"])
        add_user(s, "lea", "correct horse", role="lead", locales=["fr"])
    return {"project_id": project.id, "ids": ids, "rows": {k: r.id for k, r in rows.items()}}


def _add(s, row, locale, forms, state=State.MACHINE, issues=()):
    return repo.add_version(
        s,
        repo.NewVersion(
            segment_id=row.id,
            locale=locale,
            forms=forms,
            state=state,
            origin="engine",
            source_hash=row.source_hash,
            author="pseudo",
            engine="pseudo",
            model="pseudo-1",
            issues=issues,
        ),
    )


def _actor(s, name):
    user = get_user(s, name)
    assert user is not None
    return user


def _reviews(s, vid):
    return s.scalars(select(Review).where(Review.translation_id == vid).order_by(Review.id)).all()


def test_approve_moves_the_state_and_records_who(Session, world):
    vid = world["ids"]["fr:open"]
    with Session() as s, s.begin():
        result = actions.approve(s, _actor(s, "fanny"), vid)
    assert result.state == State.APPROVED and result.version_id == vid
    with Session() as s:
        assert s.get(Translation, vid).state == State.APPROVED
        (review,) = _reviews(s, vid)
        assert (review.reviewer, review.action, review.to_state) == (
            "fanny",
            "approve",
            State.APPROVED,
        )
        with pytest.raises(ActionError, match="already approved"):
            actions.approve(s, _actor(s, "fanny"), vid)


def test_reject_needs_a_reason_and_records_it(Session, world):
    vid = world["ids"]["fr:greeting"]
    with Session() as s, s.begin():
        with pytest.raises(ActionError, match="reason"):
            actions.reject(s, _actor(s, "fanny"), vid, "  ")
        actions.reject(s, _actor(s, "fanny"), vid, "wrong register")
    with Session() as s:
        assert s.get(Translation, vid).state == State.REJECTED
        (review,) = _reviews(s, vid)
        assert (review.reviewer, review.action, review.comment) == (
            "fanny",
            "reject",
            "wrong register",
        )
        # a rejected version is no longer current: nothing to act on until re-translated
        assert review_repo.current_version(s, world["rows"]["greeting"], "fr") is None


def test_edit_creates_an_approved_human_version(Session, world):
    old = world["ids"]["fr:greeting"]
    with Session() as s, s.begin():
        result = actions.edit(s, _actor(s, "fanny"), old, ["Connectée en tant que {user}"])
    assert result.created and result.state == State.APPROVED and result.n == 2
    with Session() as s:
        new = s.get(Translation, result.version_id)
        assert (new.origin, new.author, new.forms) == (
            "human",
            "fanny",
            ["Connectée en tant que {user}"],
        )
        assert s.get(Translation, old).state == State.MACHINE  # the old version is kept as is
        assert [r.action for r in _reviews(s, new.id)] == ["edit"]


def test_edit_reruns_checks_broken_placeholder_stays_in_review(Session, world):
    old = world["ids"]["fr:greeting"]
    with Session() as s, s.begin():
        kept = actions.edit(s, _actor(s, "fanny"), old, ["Connecté en tant que {utilisateur}"])
    assert kept.state == State.NEEDS_REVIEW
    assert [i["check"] for i in kept.issues] == ["placeholders"]
    assert "kept for review" in kept.message
    with Session() as s:
        (review,) = _reviews(s, kept.version_id)
        assert review.action == "edit" and review.reviewer == "fanny"
        assert review.from_state == review.to_state == State.NEEDS_REVIEW
        assert "placeholders" in review.comment
    # approving it as is needs an explicit override, by a lead (tests/test_review_gate.py)
    with Session() as s, s.begin():
        with pytest.raises(NeedsOverride) as err:
            actions.approve(s, _actor(s, "fanny"), kept.version_id)
        assert err.value.issues[0]["check"] == "placeholders"
    with Session() as s, s.begin():
        forced = actions.edit(
            s, _actor(s, "fanny"), kept.version_id, ["{user} est connecté (ici)"], override=True
        )
    assert forced.state == State.APPROVED and forced.issues == ()  # clean: nothing to override
    with Session() as s, s.begin():
        again = actions.edit(
            s,
            _actor(s, "lea"),
            forced.version_id,
            ["Connecté: {nom}"],
            override=True,
            comment="the app passes nom",
        )
    assert again.state == State.APPROVED
    assert [i["check"] for i in again.issues] == ["placeholders"]  # kept on the record
    with Session() as s:
        (review,) = _reviews(s, again.version_id)
        assert review.comment.startswith("override: the app passes nom [despite placeholders")


def test_edit_one_plural_form_keeps_the_others(Session, world):
    vid = world["ids"]["ru:plural"]
    with Session() as s, s.begin():
        result = actions.edit(s, _actor(s, "fanny"), vid, {2: "%(count)d заметок сохранено"})
    assert result.state == State.APPROVED
    with Session() as s:
        assert s.get(Translation, result.version_id).forms == [
            "%(count)d заметка",
            "%(count)d заметки",
            "%(count)d заметок сохранено",
        ]
        with pytest.raises(ActionError, match="form 3 does not exist"):
            actions.edit(s, _actor(s, "fanny"), result.version_id, {3: "x"})
        with pytest.raises(ActionError, match="needs 3 form"):
            actions.edit(s, _actor(s, "fanny"), result.version_id, ["%(count)d x"])


def test_edit_with_a_missing_plural_form_stays_in_review(Session, world):
    vid = world["ids"]["ru:plural"]
    with Session() as s, s.begin():
        result = actions.edit(s, _actor(s, "fanny"), vid, {1: ""})
    assert result.state == State.NEEDS_REVIEW
    assert "plural_count" in {i["check"] for i in result.issues}


def test_only_the_current_version_can_be_approved_or_edited(Session, world):
    old = world["ids"]["fr:open"]
    with Session() as s, s.begin():
        new = actions.edit(s, _actor(s, "fanny"), old, ["Ouvrir…"])
    with Session() as s:
        with pytest.raises(ActionError, match="no longer current"):
            actions.approve(s, _actor(s, "fanny"), old)
        with pytest.raises(ActionError, match="no longer current"):
            actions.edit(s, _actor(s, "fanny"), old, ["x"])
    assert new.n == 2


def test_revert_appends_a_copy_and_deletes_nothing(Session, world):
    first = world["ids"]["fr:open"]
    with Session() as s, s.begin():
        second = actions.edit(s, _actor(s, "fanny"), first, ["Ouvrir le menu"])
    with Session() as s, s.begin():
        third = actions.revert(s, _actor(s, "fanny"), second.version_id, 1)
    assert third.n == 3 and third.state == State.APPROVED and third.created
    with Session() as s:
        history = repo.versions(s, world["rows"]["open"], "fr")
        assert [(v.n, v.forms) for v in history] == [
            (1, ["Ouvrir"]),
            (2, ["Ouvrir le menu"]),
            (3, ["Ouvrir"]),
        ]
        (review,) = _reviews(s, third.version_id)
        assert (review.action, review.comment, review.reviewer) == (
            "revert",
            "reverted to v1",
            "fanny",
        )
        with pytest.raises(ActionError, match="no version 9"):
            actions.revert(s, _actor(s, "fanny"), third.version_id, 9)


def test_reviewer_of_de_cannot_act_on_fr_but_admin_can(Session, world):
    vid = world["ids"]["fr:open"]
    with Session() as s:
        franz = _actor(s, "franz")
        for act in (
            lambda: actions.approve(s, franz, vid),
            lambda: actions.reject(s, franz, vid, "no"),
            lambda: actions.edit(s, franz, vid, ["Auf"]),
            lambda: actions.revert(s, franz, vid, 1),
            lambda: actions.bulk_approve(s, franz, world["project_id"], QueueFilter("fr")),
        ):
            with pytest.raises(PermissionDenied, match="franz does not review fr"):
                act()
        assert _reviews(s, vid) == []
    with Session() as s, s.begin():
        assert actions.approve(s, _actor(s, "root"), vid).state == State.APPROVED
        assert actions.approve(s, _actor(s, "franz"), world["ids"]["de:open"]).state == (
            State.APPROVED
        )


def test_unknown_or_missing_actor_is_denied(Session, world):
    with Session() as s:
        with pytest.raises(PermissionDenied, match="unknown user"):
            actions.actor_for(s, "mallory")
        with pytest.raises(PermissionDenied, match="LOCFLOW_USER"):
            actions.actor_for(s, None)
        assert actions.actor_for(s, "root").can_manage_users


def test_bulk_approve_takes_only_clean_current_versions(Session, world):
    with Session() as s, s.begin():
        row = s.get(Translation, world["ids"]["fr:greeting"])
        flagged = _add(
            s,
            _Seg(row.segment_id, row.source_hash),
            "fr",
            ("Connecté",),
            State.NEEDS_REVIEW,
            ({"check": "placeholders", "severity": "error", "message": "missing {user}"},),
        )
    with Session() as s, s.begin():
        result = actions.bulk_approve(s, _actor(s, "lea"), world["project_id"], QueueFilter("fr"))
    assert result.approved == (world["ids"]["fr:open"],)
    assert result.skipped == 1
    with Session() as s:
        assert s.get(Translation, flagged).state == State.NEEDS_REVIEW
        assert s.get(Translation, world["ids"]["ru:plural"]).state == State.MACHINE  # other locale
        (review,) = _reviews(s, world["ids"]["fr:open"])
        assert (review.action, review.reviewer) == ("bulk-approve", "lea")


def test_bulk_approve_honours_filters(Session, world):
    with Session() as s, s.begin():
        result = actions.bulk_approve(
            s, _actor(s, "lea"), world["project_id"], QueueFilter("fr", search="signed in")
        )
    assert result.approved == (world["ids"]["fr:greeting"],)


def test_approving_a_stale_version_confirms_it_for_the_new_source(Session, world):
    vid = world["ids"]["fr:open"]
    with Session() as s, s.begin():
        actions.approve(s, _actor(s, "fanny"), vid)
        seg = s.get(SegmentRow, world["rows"]["open"])
        changed = Segment(msgid="Open", msgctxt="menu", extracted_comments="the File menu")
        assert segment_repo.update_segment(s, seg, changed, 1)
        repo.mark_stale(s, seg.id, seg.source_hash)
    with Session() as s:
        assert s.get(Translation, vid).state == State.STALE
        page = review_repo.queue_page(s, world["project_id"], QueueFilter("fr"))
        stale = next(r for r in page if r.version_id == vid)
        assert stale.outdated
        before = review_repo.before_source_change(s, [stale.segment_id], "fr")
        assert before[stale.segment_id].version_id == vid
        assert before[stale.segment_id].approved
    with Session() as s, s.begin():
        result = actions.approve(s, _actor(s, "fanny"), vid)
    assert result.created and result.state == State.APPROVED and result.version_id != vid
    with Session() as s:
        new = s.get(Translation, result.version_id)
        assert new.source_hash == seg.source_hash and new.forms == ["Ouvrir"]
        assert (new.engine, new.author) == ("pseudo", "fanny")


class _Seg:
    def __init__(self, id, source_hash):
        self.id, self.source_hash = id, source_hash


def test_edit_checks_the_project_glossary(Session, world):
    from locflow.glossaries import Glossary, Term
    from locflow.pipeline.terms import import_glossary

    term = Term.create("open", {"fr": ["ouvrir"]}, forbidden={"fr": "décapsuler"})
    with Session() as s, s.begin():
        import_glossary(s, world["project_id"], Glossary("ui", (term,)))
    with Session() as s, s.begin():
        kept = actions.edit(s, _actor(s, "fanny"), world["ids"]["fr:open"], ["Décapsuler"])
    assert kept.state == State.NEEDS_REVIEW
    assert [i["check"] for i in kept.issues] == ["glossary"]
    with Session() as s, s.begin():
        fixed = actions.edit(s, _actor(s, "fanny"), kept.version_id, ["Ouvrir"])
    assert fixed.state == State.APPROVED and fixed.issues == ()
    with Session() as s:
        new = s.get(Translation, fixed.version_id)
        assert new.terms_hash and new.glossary_hash  # made under today's terms
