"""Server-side limits and comments in the action layer, on SQLite and PostgreSQL (issue 15).
Measured before: a 10,000-character translation of a 15-character source was approved with
only a warning, a 1 MB translation was accepted, and so was a 200 kB reject reason.

Now a plural form holds at most max(20 × the source's length, 2,000) characters and a
reason or comment at most 2,000 (`[review]` in locflow.toml), refused with a one-line
ActionError naming the limit, before anything is checked or stored, whoever acts."""

from __future__ import annotations

from pathlib import Path

import pytest

from locflow.db.models import Translation
from locflow.db.review_repo import QueueFilter
from locflow.db.states import State
from locflow.review import actions
from locflow.review.actions import ActionError, PermissionDenied
from locflow.review.detail import detail_lines, load_detail
from locflow.settings import ConfigError, UnknownSetting, config_from_mapping
from locflow.settings_review import ReviewSettings
from tests.support.review_world import World, make_world

TEN_K = "x" * 10_000


@pytest.fixture
def world(Session) -> World:
    return make_world(Session)


# --- translations -----------------------------------------------------------------------------


def test_a_10000_character_translation_of_a_15_character_source_is_refused(world):
    before = world.counts()
    with world.Session() as s:
        for name in ("fanny", "root"):  # whoever acts, override or not
            with pytest.raises(ActionError) as err:
                actions.edit(
                    s, world.actor(s, name), world.ids["fr:note"], [TEN_K], override=True,
                    comment="long on purpose",
                )  # fmt: skip
            message = str(err.value)
            assert message == (
                "the translation has 10,000 characters; at most 2,000 for a 15-character "
                "source ([review] max_translation_chars = 2000, max_translation_factor = 20)"
            )
    assert world.counts() == before


def test_at_the_limit_is_accepted_one_more_is_not(world):
    with world.Session() as s, s.begin():
        done = actions.edit(s, world.actor(s, "fanny"), world.ids["fr:note"], ["é" * 2000])
        assert done.created
        with pytest.raises(ActionError, match="2,001 characters; at most 2,000"):
            actions.edit(s, world.actor(s, "fanny"), done.version_id, ["é" * 2001])


def test_a_1_mb_translation_is_refused_before_it_is_checked(world):
    with world.Session() as s, pytest.raises(ActionError, match="1,000,000 characters"):
        actions.edit(s, world.actor(s, "fanny"), world.ids["fr:deleted"], ["%d " * 333_333 + "x"])


def test_approving_a_stored_oversized_version_is_refused(world):
    """Machine output past the limit (stored before the limit, or by an engine gone wild)
    cannot be approved either, nor bulk-approved into a catalogue."""
    from tests.support.review_world import _machine

    with world.Session() as s, s.begin():
        t = s.get(Translation, world.ids["fr:note"])
        vid = _machine(s, t.segment_id, t.source_hash, "fr", (TEN_K,))
    with world.Session() as s, pytest.raises(ActionError, match="10,000 characters"):
        actions.approve(s, world.actor(s, "root"), vid, override=True, comment="x")
    with world.Session() as s, s.begin():
        bulk = actions.bulk_approve(s, world.actor(s, "lea"), world.project_id, QueueFilter("fr"))
    assert vid not in bulk.approved and len(bulk.approved) == 3 and bulk.skipped == 1
    assert world.state(vid) == State.MACHINE


def test_the_limit_is_per_plural_form_and_grows_with_the_source(world):
    plural = world.ids["fr:selected"]
    with world.Session() as s, pytest.raises(ActionError, match=r"^form 1 has 2,500 characters"):
        actions.edit(s, world.actor(s, "fanny"), plural, {1: "n" * 2500})
    limits = ReviewSettings(max_translation_factor=3, max_translation_chars=20)
    assert limits.max_form_chars(15) == 45 and limits.max_form_chars(2) == 20
    with world.Session() as s, s.begin():
        fanny = world.actor(s, "fanny")
        ok = actions.edit(s, fanny, world.ids["fr:note"], ["n" * 45], limits=limits)
        with pytest.raises(ActionError, match="46 characters; at most 45 for a 15-character"):
            actions.edit(s, fanny, ok.version_id, ["n" * 46], limits=limits)


# --- reasons and comments ---------------------------------------------------------------------


def test_a_200_kb_reject_reason_is_refused(world):
    with world.Session() as s:
        fanny = world.actor(s, "fanny")
        with pytest.raises(ActionError) as err:
            actions.reject(s, fanny, world.ids["fr:note"], "r" * 200_000)
        assert str(err.value) == (
            "the reason has 200,000 characters; at most 2,000 ([review] max_comment_chars)"
        )
        with pytest.raises(ActionError, match="2,001 characters"):
            actions.reject(s, fanny, world.ids["fr:note"], "r" * 2001)
    with world.Session() as s, s.begin():
        actions.reject(s, world.actor(s, "fanny"), world.ids["fr:note"], "r" * 2000)
    assert world.state(world.ids["fr:note"]) == State.REJECTED


def test_long_override_reasons_and_edit_comments_are_refused(world):
    with world.Session() as s:
        lea = world.actor(s, "lea")
        with pytest.raises(ActionError, match=r"the comment has 2,001 characters"):
            actions.edit(
                s, lea, world.ids["fr:signed_in"], ["{usr}"], override=True, comment="c" * 2001
            )
        with pytest.raises(ActionError, match=r"the comment has 5,000 characters"):
            actions.add_comment(s, lea, world.ids["fr:note"], "c" * 5000)


def test_comments_are_stored_listed_in_history_and_kept_to_the_locale(world):
    vid = world.ids["fr:note"]
    with world.Session() as s, s.begin():
        first = actions.add_comment(s, world.actor(s, "fanny"), vid, "  « note » or « fiche »? ")
        actions.add_comment(s, world.actor(s, "lea"), vid, "note, as in the glossary")
        done = actions.edit(s, world.actor(s, "fanny"), vid, ["Supprimer la note ?"])
        actions.add_comment(s, world.actor(s, "root"), done.version_id, "thanks")
        with pytest.raises(ActionError, match="needs some text"):
            actions.add_comment(s, world.actor(s, "fanny"), vid, "  ")
    assert (first.author, first.text, first.n) == ("fanny", "« note » or « fiche »?", 1)
    with world.Session() as s:
        for name in ("dieter",):  # a reviewer of another locale neither writes nor reads
            with pytest.raises(PermissionDenied, match="dieter does not review fr"):
                actions.add_comment(s, world.actor(s, name), vid, "hm")
            with pytest.raises(PermissionDenied):
                actions.comments_for(s, world.actor(s, name), vid)
        listed = actions.comments_for(s, world.actor(s, "fanny"), done.version_id)
        assert [(c.author, c.n) for c in listed] == [("fanny", 1), ("lea", 1), ("root", 2)]
        assert actions.comments_for(s, world.actor(s, "root"), world.ids["de:note"]) == []
        detail = load_detail(s, done.version_id)
    assert [c["text"] for c in detail.as_dict()["comments"]] == [
        "« note » or « fiche »?",
        "note, as in the glossary",
        "thanks",
    ]
    lines = detail_lines(detail)
    at = lines.index("comments:")
    assert lines[at + 2].endswith(" lea on v1: note, as in the glossary")


# --- the [review] table -----------------------------------------------------------------------


def _config(review: dict) -> object:
    data = {"project": {"locales": ["fr"]}, "review": review}
    return config_from_mapping(data, root=Path("/tmp"), env={})


def test_review_settings_default_and_are_checked():
    assert _config({}).review == ReviewSettings(20, 2000, 2000)
    custom = _config({"max_translation_factor": 5, "max_comment_chars": 500}).review
    assert (custom.max_translation_factor, custom.max_comment_chars) == (5, 500)
    for bad in (0, -1, 2.5, "20", True):
        with pytest.raises(ConfigError, match=r"\[review\]: max_translation_chars must be a whole"):
            _config({"max_translation_chars": bad})
    with pytest.raises(UnknownSetting, match="did you mean 'max_translation_chars'"):
        _config({"max_translation_char": 10})
