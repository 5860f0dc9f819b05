import dataclasses

import pytest

from locflow.catalog.terms import TermExpectation
from locflow.glossaries.model import (
    Glossary,
    GlossaryError,
    Term,
    resolve_locale,
    term_hash,
    terms_hash,
)

NOTEBOOK = Term.create(
    "notebook",
    {"fr": ["carnet", "bloc-notes"], "de": "Notizbuch", "pt-BR": "caderno"},
    forbidden={"fr": "cahier"},
    part_of_speech="noun",
    note="a collection of notes",
    line=2,
    origin="g.csv",
)
SYNC = Term.create("sync", {"fr": "synchroniser"}, part_of_speech="verb", line=3, origin="g.csv")
BRAND = Term.create("Quillnote", do_not_translate=True, case_sensitive=True, line=4)


def test_term_normalises_its_fields() -> None:
    term = Term.create("  user \t guide ", {"fr_CA": [" guide  de l'utilisateur ", ""], "de": []})
    assert term.source == "user guide"
    assert term.targets == (("fr_CA", ("guide de l'utilisateur",)),)  # empty locales dropped
    assert NOTEBOOK.targets == (
        ("de", ("Notizbuch",)),
        ("fr", ("carnet", "bloc-notes")),
        ("pt_BR", ("caderno",)),
    )
    assert Term.create("x", do_not_translate=["fr-CA", "de"]).do_not_translate == ("de", "fr_CA")
    assert Term.create("x", do_not_translate=[]).do_not_translate is False


def test_terms_are_hashable_values() -> None:
    moved = dataclasses.replace(NOTEBOOK, line=40, origin="other.csv")
    assert moved == NOTEBOOK and hash(moved) == hash(NOTEBOOK)
    assert len({NOTEBOOK, moved, SYNC}) == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        NOTEBOOK.source = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("locale", "forms"),
    [
        ("fr", ("carnet", "bloc-notes")),
        ("fr_CA", ("carnet", "bloc-notes")),  # parent language
        ("fr-ca", ("carnet", "bloc-notes")),
        ("de_AT", ("Notizbuch",)),
        ("pt_BR", ("caderno",)),
        ("pt", ("caderno",)),  # a bare language takes the one regional variant
        ("pt_PT", ()),  # a sibling region is not a fallback
        ("ru", ()),
    ],
)
def test_accepted_with_locale_fallback(locale: str, forms: tuple[str, ...]) -> None:
    assert NOTEBOOK.accepted(locale) == forms


def test_resolve_locale_keeps_scripts_apart() -> None:
    assert resolve_locale("zh_Hant_TW", ["zh", "zh_Hant"]) == "zh_Hant"
    assert resolve_locale("zh_Hant_TW", ["zh"]) is None
    assert resolve_locale("sr@latin", ["sr"]) is None
    assert resolve_locale("sr_RS@latin", ["sr@latin"]) == "sr@latin"
    assert resolve_locale("fr", ["fr_FR", "fr_CA"]) == "fr_CA"  # sorted: deterministic


def test_do_not_translate_all_or_some_locales() -> None:
    assert BRAND.dnt_for("fr") and BRAND.dnt_for("ja")
    assert BRAND.accepted("fr") == ("Quillnote",)
    some = Term.create("Sign in", {"fr": "Se connecter"}, do_not_translate=("de",))
    assert some.dnt_for("de") and some.dnt_for("de_CH") and not some.dnt_for("fr")
    assert some.accepted("de") == ("Sign in",) and some.accepted("fr") == ("Se connecter",)
    assert not NOTEBOOK.dnt_for("fr")


def test_forbidden_and_expectation() -> None:
    assert NOTEBOOK.forbidden_for("fr_BE") == ("cahier",)
    assert NOTEBOOK.forbidden_for("de") == ()
    assert NOTEBOOK.expectation("fr") == TermExpectation(
        source="notebook",
        accepted=("carnet", "bloc-notes"),
        forbidden=("cahier",),
        note="a collection of notes",
    )
    assert NOTEBOOK.expectation("ru") is None
    assert BRAND.expectation("ru") == TermExpectation("Quillnote", dnt=True, case_sensitive=True)


def test_content_hash_ignores_order_and_position() -> None:
    a = Glossary("a", (NOTEBOOK, SYNC, BRAND))
    b = Glossary("b", (BRAND, dataclasses.replace(NOTEBOOK, line=9), SYNC))
    assert a.content_hash == b.content_hash
    assert len(a.content_hash) == 64
    assert a.content_hash == terms_hash([SYNC, BRAND, NOTEBOOK, SYNC])


@pytest.mark.parametrize(
    "change",
    [
        {"source": "notebooks"},
        {"targets": (("fr", ("bloc-notes", "carnet")),)},  # preferred form changed
        {"targets": (("fr", ("carnet",)),)},
        {"forbidden": ()},
        {"case_sensitive": True},
        {"do_not_translate": ("ru",)},
        {"part_of_speech": "verb"},
        {"note": "a paper notebook"},
    ],
)
def test_hashes_change_with_meaning(change: dict[str, object]) -> None:
    changed = dataclasses.replace(NOTEBOOK, **change)
    assert term_hash(changed) != term_hash(NOTEBOOK)
    before = Glossary("g", (NOTEBOOK, SYNC))
    after = Glossary("g", (changed, SYNC))
    assert before.content_hash != after.content_hash
    assert after.term_hash(SYNC) == before.term_hash(SYNC)  # only the edited term re-plans


def test_forbidden_order_does_not_matter() -> None:
    a = Term.create("x", {"fr": "y"}, forbidden={"fr": ["a", "b"]})
    b = Term.create("x", {"fr": "y"}, forbidden={"fr": ["b", "a"]})
    assert term_hash(a) == term_hash(b)


def test_duplicates_are_refused() -> None:
    twin = Term.create("Notebook", {"fr": "cahier"}, part_of_speech="noun",
                       note="A collection of notes", line=7, origin="g.csv")  # fmt: skip
    with pytest.raises(GlossaryError) as err:
        Glossary("g", (NOTEBOOK, twin))
    assert str(err.value) == (
        "g.csv:7: duplicate term 'Notebook' (first on line 2); give each sense its own note "
        "or part of speech"
    )


def test_homonyms_and_case_variants_are_allowed() -> None:
    strike = Term.create("strike", {"fr": "grève"}, note="labour action")
    attack = Term.create("strike", {"fr": "frappe"}, note="military attack")
    sensitive = Term.create("Sync", {"fr": "Sync"}, case_sensitive=True)
    assert len(Glossary("g", (strike, attack, SYNC, sensitive))) == 4
    with pytest.raises(GlossaryError, match="duplicate"):
        Glossary("g", (sensitive, dataclasses.replace(sensitive, targets=())))


def test_contradictions_are_refused() -> None:
    with pytest.raises(GlossaryError, match="do-not-translate for fr but has the translation"):
        Glossary("g", (Term.create("Quillnote", {"fr": "Plume"}, do_not_translate=True),))
    same = Term.create("Quillnote", {"fr": "Quillnote"}, do_not_translate=True)
    assert Glossary("g", (same,)).terms == (same,)  # a target equal to the source is fine
    with pytest.raises(GlossaryError, match="'cahier' is both accepted and forbidden for fr"):
        Glossary("g", (Term.create("notebook", {"fr": "cahier"}, forbidden={"fr": "cahier"}),))
    with pytest.raises(GlossaryError, match="empty source"):
        Glossary("g", (Term.create("  "),))


def test_error_message_is_one_line() -> None:
    err = GlossaryError("terms.csv", 12, "bad\nthing")
    assert str(err) == "terms.csv:12: bad thing"
    assert (err.origin, err.line, err.reason) == ("terms.csv", 12, "bad thing")
    assert isinstance(err, ValueError)
    assert str(GlossaryError("terms.csv", 0, "cannot read")) == "terms.csv: cannot read"


def test_glossary_locales_and_merge() -> None:
    a = Glossary("a", (NOTEBOOK,))
    b = Glossary("b", (SYNC, BRAND))
    merged = a.merged(b)
    assert merged.name == "a+b" and merged.terms == (NOTEBOOK, SYNC, BRAND)
    assert merged.locales == ("de", "fr", "pt_BR")
    with pytest.raises(GlossaryError, match="duplicate"):
        a.merged(a)
