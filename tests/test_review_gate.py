"""The approval gate on SQLite and PostgreSQL (issue 15). Measured before: a plain fr
reviewer approved `Supprimé %d notes` (the source has two `%d`) and `{usr}` for `{user}`
with "approve anyway"; export wrote both as translations, `msgfmt -c` refused the catalogue
and Python's gettext raised TypeError/KeyError in the application.

Now: an error-level check is overridden only by a lead or an admin of the locale, with a
reason kept in the `reviews` row and shown in the history; a reviewer gets a one-line
refusal naming the checks. Whatever is overridden, export decides per entry: the catalogue
passes `msgfmt -c --check-format` and the application's `%` and `.format()` work.
"""

from __future__ import annotations

import gettext
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from locflow.db import repo
from locflow.db.models import Review, SegmentRow
from locflow.db.states import State
from locflow.pipeline.gaps import demoted_gaps
from locflow.review import actions
from locflow.review.actions import ActionError, NeedsOverride, PermissionDenied
from locflow.review.detail import detail_lines, load_detail
from locflow.review.users import add_user, get_user
from tests.support.helpers import config_for, export, sync, translate
from tests.support.review_world import World, make_world

BROKEN_DELETED = ("Supprimé %d notes",)
BROKEN_SIGNED_IN = ("Connecté : {usr}",)


@pytest.fixture
def world(Session) -> World:
    return make_world(Session)


def _kept(world: World, key: str, forms: tuple[str, ...]) -> int:
    """fanny's edit of `key` in fr, kept for review because a check fails."""
    with world.Session() as s, s.begin():
        done = actions.edit(s, world.actor(s, "fanny"), world.ids[key], forms)
    assert done.state == State.NEEDS_REVIEW and done.issues
    return done.version_id


def test_a_reviewer_cannot_approve_a_broken_string_anyway(world):
    vid = _kept(world, "fr:deleted", BROKEN_DELETED)
    before = world.counts()
    with world.Session() as s:
        fanny = world.actor(s, "fanny")
        assert fanny.can_review("fr") and not fanny.can_override("fr")
        with pytest.raises(NeedsOverride) as plain:
            actions.approve(s, fanny, vid)
        assert not plain.value.can_override
        assert "placeholders" in str(plain.value) and "ask a lead of fr" in str(plain.value)
        with pytest.raises(PermissionDenied) as forced:
            actions.approve(s, fanny, vid, override=True, comment="looks fine to me")
    message = str(forced.value)
    assert message == (
        f"fanny may not approve #{vid} despite failing checks (placeholders): "
        "only a lead or an admin of fr may override"
    )
    assert world.state(vid) == State.NEEDS_REVIEW and world.counts() == before


def test_a_reviewer_edit_with_override_is_refused_and_writes_nothing(world):
    before = world.counts()
    with world.Session() as s, pytest.raises(PermissionDenied, match=r"\(placeholders\)"):
        actions.edit(
            s, world.actor(s, "fanny"), world.ids["fr:signed_in"], BROKEN_SIGNED_IN, override=True
        )
    assert world.counts() == before
    with world.Session() as s, s.begin():  # v2 broken (a lead's override), v3 fixed
        lea, fanny = world.actor(s, "lea"), world.actor(s, "fanny")
        v2 = actions.edit(s, lea, world.ids["fr:signed_in"], BROKEN_SIGNED_IN, override=True,
                          comment="for now")  # fmt: skip
        v3 = actions.edit(s, fanny, v2.version_id, ["Connecté : {user}"])
    before = world.counts()
    with world.Session() as s, pytest.raises(PermissionDenied, match="only a lead or an admin"):
        actions.revert(s, world.actor(s, "fanny"), v3.version_id, 2, override=True, comment="x")
    assert world.counts() == before
    with world.Session() as s, s.begin():
        back = actions.revert(s, world.actor(s, "fanny"), v3.version_id, 2)
    assert back.state == State.NEEDS_REVIEW and back.n == 4


def test_a_lead_overrides_only_with_a_reason_and_the_history_keeps_it(world):
    vid = _kept(world, "fr:deleted", BROKEN_DELETED)
    with world.Session() as s:
        lea = world.actor(s, "lea")
        with pytest.raises(NeedsOverride) as plain:
            actions.approve(s, lea, vid)
        assert plain.value.can_override and "a reason" in str(plain.value)
        for empty in ("", "   "):
            with pytest.raises(ActionError, match=r"overriding failing checks \(placeholders\)"):
                actions.approve(s, lea, vid, override=True, comment=empty)
    with world.Session() as s, s.begin():
        done = actions.approve(
            s, world.actor(s, "lea"), vid, override=True, comment="the app passes one count"
        )
    assert done.state == State.APPROVED
    with world.Session() as s:
        review = s.scalars(
            select(Review).where(Review.translation_id == vid).order_by(Review.id.desc())
        ).first()
        assert (review.reviewer, review.action, review.to_state) == (
            "lea",
            "approve",
            State.APPROVED,
        )
        assert review.comment.startswith("override: the app passes one count [despite placeholders")
        detail = load_detail(s, vid)
    shown = "\n".join(detail_lines(detail))
    assert "lea approve v2 (needs_review → approved): override: the app passes one" in shown
    assert detail.as_dict()["reviews"][-1]["comment"] == review.comment


def test_an_override_edit_by_a_lead_is_stored_approved_with_its_reason(world):
    with world.Session() as s, s.begin():
        done = actions.edit(
            s,
            world.actor(s, "lea"),
            world.ids["fr:signed_in"],
            BROKEN_SIGNED_IN,
            override=True,
            comment="usr is what the template will pass",
        )
    assert done.state == State.APPROVED and done.created
    assert [i["check"] for i in done.issues] == ["placeholders"]  # kept on the record
    with world.Session() as s:
        (review,) = s.scalars(select(Review).where(Review.translation_id == done.version_id))
        assert review.comment.startswith("override: usr is what the template will pass [despite")


def test_an_admin_overrides_everywhere_a_lead_only_in_their_locales(world):
    with world.Session() as s, s.begin():
        root = world.actor(s, "root")
        assert root.can_override("de") and root.can_bulk("ja") and root.can_manage_users
        lea = world.actor(s, "lea")
        assert not lea.can_override("de") and not lea.can_manage_users
        with pytest.raises(PermissionDenied, match="lea does not review de"):
            actions.edit(s, lea, world.ids["de:note"], ["Notiz {x}"], override=True, comment="x")
        done = actions.edit(
            s, root, world.ids["de:note"], ["Notiz %d"], override=True, comment="ok"
        )
    assert done.state == State.APPROVED


def test_bulk_approval_is_for_leads_and_admins(world):
    with world.Session() as s:
        for name, locale in (("fanny", "fr"), ("dieter", "de")):
            with pytest.raises(PermissionDenied, match="only a lead or an admin"):
                actions.bulk_approve(s, world.actor(s, name), world.project_id, repo_filter(locale))
    with world.Session() as s, s.begin():
        done = actions.bulk_approve(s, world.actor(s, "lea"), world.project_id, repo_filter("fr"))
    assert len(done.approved) == 4


def test_a_deactivated_user_cannot_act(world):
    from locflow.review.users import deactivate

    with world.Session() as s, s.begin():
        fanny = world.actor(s, "fanny")
        deactivate(s, "fanny", by="cli:test")
    with world.Session() as s:
        with pytest.raises(PermissionDenied, match="deactivated"):
            actions.actor_for(s, "fanny")
        with pytest.raises(PermissionDenied, match="fanny is deactivated"):
            actions.approve(s, world.actor(s, "fanny"), world.ids["fr:note"])
        assert fanny.can_review("fr") and not world.actor(s, "fanny").can_review("fr")


def repo_filter(locale: str):
    from locflow.db.review_repo import QueueFilter

    return QueueFilter(locale)


# --- end to end: override, export, msgfmt, the application's gettext ------------------------

DELETED = "Deleted %d of %d notes"
SIGNED_IN = "Signed in as {user}"
SAVE = "Save changes?"


def _po(project: Path, locale: str) -> Path:
    return project / "locale" / locale / "LC_MESSAGES" / "messages.po"


def _current(s, msgid: str, locale: str) -> int:
    row = s.scalar(select(SegmentRow).where(SegmentRow.msgid == msgid))
    return repo.current_versions(s, [row.id], locale)[row.id][0].id


def _msgfmt(msgfmt: str, po: Path, mo: str = "/dev/null") -> subprocess.CompletedProcess[str]:
    cmd = [msgfmt, "-c", "--check-format", "-o", mo, str(po)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def assert_the_application_runs(mo: Path) -> None:
    """The .mo as the application uses it: `%` with two numbers, `.format(user=…)`."""
    with mo.open("rb") as f:
        t = gettext.GNUTranslations(f)
    assert t.gettext(DELETED) % (1, 2) == "Deleted 1 of 2 notes"  # fuzzy: not in the .mo
    assert t.gettext(SIGNED_IN).format(user="ana") == "Signed in as ana"
    assert t.gettext(SAVE) == "Enregistrer ?"


def override_both(Session, reviewer: str, lead: str) -> None:
    """What the web does: a reviewer is refused, a lead overrides with a reason."""
    with Session() as s, s.begin():
        kept = actions.edit(s, get_user(s, reviewer), _current(s, DELETED, "fr"), BROKEN_DELETED)
        assert kept.state == State.NEEDS_REVIEW
        actions.edit(s, get_user(s, reviewer), _current(s, SAVE, "fr"), ("Enregistrer ?",))
    with Session() as s, pytest.raises(PermissionDenied, match="placeholders"):
        actions.approve(s, get_user(s, reviewer), kept.version_id, override=True, comment="x")
    with Session() as s, s.begin():
        lead_user = get_user(s, lead)
        actions.approve(s, lead_user, kept.version_id, override=True, comment="ship it")
        edited = actions.edit(
            s,
            lead_user,
            _current(s, SIGNED_IN, "fr"),
            BROKEN_SIGNED_IN,
            override=True,
            comment="ship it too",
        )
        assert edited.state == State.APPROVED


def test_overridden_strings_export_fuzzy_msgfmt_passes_and_gettext_works(
    demo_project, Session, db_url, msgfmt
):
    config = config_for(demo_project, db_url)
    sync(Session, config)
    translate(Session, config)
    with Session() as s, s.begin():
        add_user(s, "fanny", "correct horse", locales=["fr"])
        add_user(s, "lea", "correct horse", role="lead", locales=["fr"])
    override_both(Session, "fanny", "lea")
    files = {f.locale: f for f in export(Session, config)}

    for locale in config.locales:  # every catalogue written passes msgfmt's checks
        done = _msgfmt(msgfmt, _po(demo_project, locale))
        assert done.returncode == 0, done.stderr
    fr = files["fr"]
    assert len(fr.demoted) == 2
    assert all("written as fuzzy: msgfmt -c would reject it" in d for d in fr.demoted)
    assert repr(DELETED) in fr.demoted[0] + fr.demoted[1]
    assert len(demoted_gaps(files.values())) == 2  # the run reports them: exit 5
    assert_the_application_runs(_po(demo_project, "fr").with_suffix(".mo"))
    compiled = demo_project / "fr.mo"
    assert _msgfmt(msgfmt, _po(demo_project, "fr"), str(compiled)).returncode == 0
    assert_the_application_runs(compiled)


@pytest.mark.slow
def test_the_cli_gate_then_locflow_export_exits_5_and_msgfmt_passes(
    demo_project, prefect_server, msgfmt
):
    from tests.support.env import run_cli
    from tests.support.review_demo import add_users, make_demo

    demo = make_demo(demo_project)
    add_users(demo)  # fanny reviews fr, lea leads fr
    env = {**demo.env, "PREFECT_API_URL": prefect_server}

    def review(*args: str, user: str):
        return run_cli("review", *args, cwd=demo.root, env={**env, "LOCFLOW_USER": user})

    target = str(demo.version_of(DELETED, "fr").id)
    kept = review("edit", target, "--text", BROKEN_DELETED[0], user="fanny")
    assert kept.returncode == 0 and "kept for review" in kept.stdout, kept.stderr
    broken = str(demo.version_of(DELETED, "fr").id)
    refused = review("approve", broken, "--override", "--reason", "fine", user="fanny")
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1
    assert f"permission denied: fanny may not approve #{broken} despite failing checks " in (
        refused.stderr
    )
    assert "(placeholders)" in refused.stderr
    bare = review("approve", broken, "--override", user="lea")
    assert bare.returncode == 1 and "needs a reason" in bare.stderr
    done = review("approve", broken, "--override", "--reason", "ship it", user="lea")
    assert done.returncode == 0 and "approved" in done.stdout, done.stderr
    shown = review("show", broken, user="lea").stdout
    assert "lea approve v2 (needs_review → approved): override: ship it [despite" in shown
    assert review("comment", broken, "count it twice?", user="fanny").returncode == 0
    assert "fanny on v2: count it twice?" in review("show", broken, user="fanny").stdout
    too_long = review("edit", broken, "--text", "x" * 10_000, user="lea")
    assert too_long.returncode == 1 and "max_translation_chars = 2000" in too_long.stderr

    exported = run_cli("export", "-l", "fr", cwd=demo.root, env=env)
    assert exported.returncode == 5, exported.stdout + exported.stderr
    assert f"{DELETED!r} written as fuzzy: msgfmt -c would reject it" in exported.stdout
    po = _po(demo.root, "fr")
    assert _msgfmt(msgfmt, po).returncode == 0
    with po.with_suffix(".mo").open("rb") as f:
        assert gettext.GNUTranslations(f).gettext(DELETED) % (1, 2) == "Deleted 1 of 2 notes"
