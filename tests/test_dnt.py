"""Do-not-translate protection: terms leave as sentinels, ride masking as tokens, come back."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from locflow.catalog.dnt import DNT_BASE, DNT_SENTINEL, protect_dnt, restore_dnt
from locflow.catalog.placeholders import mask, unmask


def test_terms_become_numbered_sentinels_and_come_back() -> None:
    text = "Open Quillnote and sync with GitHub"
    protected, found = protect_dnt(text, ["Quillnote", "GitHub"])
    assert "Quillnote" not in protected and "GitHub" not in protected
    assert set(found) <= {DNT_SENTINEL.format(DNT_BASE + i) for i in range(2)}
    assert sorted(found.values()) == ["GitHub", "Quillnote"]
    assert restore_dnt(protected, found) == text


def test_the_longest_term_is_protected_first() -> None:
    protected, found = protect_dnt("Quillnote Pro beats Quillnote", ["Quillnote", "Quillnote Pro"])
    assert protected == "[X900X] beats [X901X]"
    assert found == {"[X900X]": "Quillnote Pro", "[X901X]": "Quillnote"}


@pytest.mark.parametrize("dnt", [[], ["Absent"], [""], ["Quillnote", "Quillnote"]])
def test_absent_empty_and_repeated_terms(dnt: list[str]) -> None:
    protected, found = protect_dnt("Welcome to Quillnote", dnt)
    assert len(found) == (1 if "Quillnote" in dnt else 0)
    assert restore_dnt(protected, found) == "Welcome to Quillnote"


def test_a_sentinel_travels_through_masking_as_one_more_token() -> None:
    protected, found = protect_dnt("Quillnote has %d notes", ["Quillnote"])
    masked = mask(protected, ("c-format",))
    assert masked.text == "[X0X] has [X1X] notes"
    assert [t.kind for t in masked.tokens] == ["token", "c-format"]
    engine_answer = "[x1x] notes dans [X 0 X]"  # the engine reorders and mangles the tokens
    assert restore_dnt(unmask(masked, engine_answer), found) == "%d notes dans Quillnote"


@given(
    st.text(alphabet="ab Q%[]X9", max_size=30),
    st.lists(st.text(alphabet="abQ", min_size=1, max_size=4), max_size=3),
)
def test_round_trip_is_identity(text: str, dnt: list[str]) -> None:
    protected, found = protect_dnt(text, dnt)
    if "[X9" not in text:  # a text that already holds a sentinel is not ours to restore
        assert restore_dnt(protected, found) == text
