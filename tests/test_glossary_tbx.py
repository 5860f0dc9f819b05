import socket
from pathlib import Path

import pytest

from locflow.glossaries import GlossaryError, Term, load_csv, load_glossary, load_tbx, parse_tbx

FIXTURES = Path(__file__).parent / "fixtures" / "glossaries"
EXAMPLES = Path(__file__).parent.parent / "glossaries" / "examples"

NOTEBOOK = Term.create(
    "notebook",
    {"fr_FR": ["carnet", "bloc-notes"], "de": "Notizbuch"},  # preferred first, then admitted
    forbidden={"fr_FR": "cahier"},  # superseded
    part_of_speech="noun",
    note="A named collection of notes.",
)
QUILLNOTE = Term.create(
    "Quillnote", do_not_translate=True, part_of_speech="properNoun", note="The product name."
)
SIGN_IN = Term.create(
    "sign in",
    {"fr": "se connecter", "de": "sign in"},
    do_not_translate=["de"],
    part_of_speech="verb",
)
LOG_IN = Term.create("log in", {"fr": "se connecter", "de": "sign in"}, part_of_speech="verb")


@pytest.mark.parametrize("fixture", ["basic_2008.tbx", "basic_2019_dca.tbx"])
def test_tbx_basic_both_dialects(fixture: str) -> None:
    g = load_tbx(FIXTURES / fixture)
    # the deprecated source term "note book" is not looked for; synonyms give one term each
    assert g.terms == (NOTEBOOK, QUILLNOTE, SIGN_IN, LOG_IN)
    assert g.terms[0].accepted("fr") == ("carnet", "bloc-notes")  # fr finds fr_FR
    assert g.terms[0].forbidden_for("fr") == ("cahier",)


def test_dialects_give_the_same_content_hash() -> None:
    old, new = load_tbx(FIXTURES / "basic_2008.tbx"), load_tbx(FIXTURES / "basic_2019_dca.tbx")
    assert old.content_hash == new.content_hash


def test_lines_point_at_the_term() -> None:
    path = FIXTURES / "basic_2019_dca.tbx"
    notebook = load_tbx(path).terms[0]
    assert (notebook.origin, notebook.line) == (str(path), 19)
    assert path.read_text().splitlines()[18].strip() == "<term>notebook</term>"


def test_dct_style() -> None:
    (term,) = load_tbx(FIXTURES / "basic_2019_dct.tbx").terms
    assert term == Term.create(
        "notebook",
        {"fr": "carnet"},
        forbidden={"fr": "cahier"},
        part_of_speech="noun",
        note="A named collection of notes.",
    )


def test_source_locale_argument_picks_the_language() -> None:
    g = load_tbx(FIXTURES / "basic_2019_dct.tbx", "fr")
    assert [t.source for t in g.terms] == ["carnet"]  # the deprecated "cahier" is not a source
    assert g.terms[0].accepted("en") == ("notebook",)


def test_string_input() -> None:
    g = parse_tbx(
        '<martif xml:lang="en"><text><body><termEntry><langSet xml:lang="en"><tig>'
        '<term>sync</term></tig></langSet><langSet xml:lang="ru"><tig><term>синхронизация'
        "</term></tig></langSet></termEntry></body></text></martif>"
    )
    assert g.terms == (Term.create("sync", {"ru": "синхронизация"}),)
    g = parse_tbx(
        '<tbx xml:lang="en"><text><body><conceptEntry><langSec xml:lang="en"><termSec>'
        "<term>Wi<hi>-</hi>Fi  network</term>"
        "</termSec></langSec></conceptEntry></body></text></tbx>"
    )
    assert g.terms[0].source == "Wi-Fi network"  # inline markup keeps its place


@pytest.mark.parametrize(
    ("fixture", "line", "message"),
    [
        ("malformed.tbx", 8, "malformed XML: mismatched tag"),
        ("entity_expansion.tbx", 3, "entity declarations are not allowed"),
        ("external_entity.tbx", 5, "undefined entity &secret; (DTDs are not read)"),
        ("unknown_status.tbx", 9, "unknown administrativeStatus 'maybeTerm-admn-sts'"),
        ("no_language.tbx", 2, "no source language"),
        ("duplicate.tbx", 9, "duplicate term 'Note' (first on line 5)"),
        ("missing_source.tbx", 4, "entry has no term in the source language en"),
        ("not_tbx.xml", 2, "not a TBX file: root element <glossary>"),
    ],
)
def test_errors_name_file_and_line(fixture: str, line: int, message: str) -> None:
    path = FIXTURES / fixture
    with pytest.raises(GlossaryError) as err:
        load_glossary(path)
    assert str(err.value).startswith(f"{path}:{line}: ")
    assert message in str(err.value)


def test_lang_set_without_language() -> None:
    with pytest.raises(GlossaryError, match=r"no_language\.tbx:6: <langSec> without xml:lang"):
        load_tbx(FIXTURES / "no_language.tbx", "en")


def test_no_network_and_no_dtd(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the TBX loader opened a socket")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    # a SYSTEM DTD that does not exist next to the file: never read, never fetched
    assert len(load_tbx(FIXTURES / "basic_2008.tbx")) == 4
    with pytest.raises(GlossaryError, match="undefined entity"):
        load_tbx(FIXTURES / "external_entity.tbx")


def test_empty_and_termless() -> None:
    with pytest.raises(GlossaryError, match=r"<x>:1: malformed XML: no element found"):
        parse_tbx(b"", origin="<x>")
    with pytest.raises(GlossaryError, match="<termSec> without a <term>"):
        parse_tbx(
            '<tbx xml:lang="en"><text><body><conceptEntry><langSec xml:lang="en"><termSec/>'
            "</langSec></conceptEntry></body></text></tbx>"
        )


def test_demo_tbx_matches_demo_csv() -> None:
    tbx, csv = load_tbx(EXAMPLES / "demo.tbx"), load_csv(EXAMPLES / "demo.csv")
    assert tbx.terms == csv.terms
    assert tbx.content_hash == csv.content_hash
