import importlib
from pathlib import Path

import pytest

from locflow.glossaries import GlossaryError, Term, load_csv, load_glossary, parse_csv

FIXTURES = Path(__file__).parent / "fixtures" / "glossaries"
EXAMPLES = Path(__file__).parent.parent / "glossaries" / "examples"
# the package exports the function `load_csv`, which hides the module of the same name
load_csv_module = importlib.import_module("locflow.glossaries.load_csv")


def test_basic_file() -> None:
    g = load_csv(FIXTURES / "basic.csv")
    assert g.name == "basic"
    assert [t.source for t in g.terms] == [
        "notebook",
        "sync",
        "GitHub",
        "Save, then close",
        "draft note",
        "Sign in",
    ]
    notebook, sync, github, save, draft, sign_in = g.terms
    assert notebook == Term.create(
        "notebook",
        {"fr": ["carnet", "bloc-notes"], "de": "Notizbuch", "pt_BR": "caderno"},
        forbidden={"fr": "cahier"},
        part_of_speech="noun",
        note="a collection of notes",
    )
    assert (notebook.line, notebook.origin) == (2, str(FIXTURES / "basic.csv"))
    assert sync.note == "" and sync.part_of_speech == "verb"
    assert github.case_sensitive and github.do_not_translate is True and github.targets == ()
    assert save.accepted("fr") == ("Enregistrer et fermer",)
    assert draft.line == 6  # a quoted cell spanning two lines
    assert sign_in.line == 9  # after a blank line
    assert sign_in.do_not_translate == ("de",) and sign_in.accepted("de") == ("Sign in",)


@pytest.mark.parametrize(
    ("fixture", "sources", "locales"),
    [
        ("semicolon.csv", ["category", "settings"], ("fr", "ru")),
        ("tab.tsv", ["mail"], ("ar", "fr")),
        ("bom.csv", ["note"], ("fr",)),
        ("homonyms.csv", ["strike", "strike", "strike"], ("fr",)),
    ],
)
def test_dialects(fixture: str, sources: list[str], locales: tuple[str, ...]) -> None:
    g = load_glossary(FIXTURES / fixture)
    assert [t.source for t in g.terms] == sources
    assert g.locales == locales


def test_semicolon_file_uses_term_alias_and_case_flag() -> None:
    category = load_csv(FIXTURES / "semicolon.csv").terms[0]
    assert category.note == "a group" and category.accepted("ru") == ("категория",)
    assert load_csv(FIXTURES / "tab.tsv").terms[0].case_sensitive


def test_text_input_and_quoted_separator() -> None:
    g = parse_csv('source;fr\n"a; b";"c|d"\n', origin="inline")
    assert g.terms[0].source == "a; b" and g.terms[0].accepted("fr") == ("c", "d")
    assert parse_csv("\ufeffsource\nnote\n").terms[0].source == "note"


@pytest.mark.parametrize(
    ("fixture", "line", "message"),
    [
        ("unknown_locale.csv", 1, "unknown column 'xx_nowhere'"),
        ("empty_source.csv", 3, "empty source term"),
        ("duplicate.csv", 4, "duplicate term 'Note' (first on line 2)"),
        ("bad_bool.csv", 2, "case_sensitive: 'maybe' is not yes/no"),
        ("extra_cells.csv", 3, "row has 3 cells but the header has 2 columns"),
        ("latin1.csv", 3, "not UTF-8 (byte 0xe9)"),
        ("utf16.csv", 1, "UTF-16"),
        ("dnt_contradiction.csv", 3, "'Sign in' is do-not-translate for de"),
        ("no_source.csv", 1, "no `source` (or `term`) column"),
        ("bad_dnt.csv", 2, "dnt: 'xx_nowhere' is neither yes/no nor a locale code"),
        ("accepted_and_forbidden.csv", 2, "'cahier' is both accepted and forbidden for fr"),
        ("duplicate_column.csv", 1, "column 'FR' appears twice"),
    ],
)
def test_errors_name_file_and_line(fixture: str, line: int, message: str) -> None:
    path = FIXTURES / fixture
    with pytest.raises(GlossaryError) as err:
        load_csv(path)
    assert str(err.value).startswith(f"{path}:{line}: ")
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_bad_quoting_and_missing_file() -> None:
    with pytest.raises(GlossaryError, match=r"^q\.csv:2: bad CSV"):
        parse_csv('source,fr\n"note,"no"te\n', origin="q.csv")
    with pytest.raises(GlossaryError, match="cannot read"):
        load_csv(FIXTURES / "missing.csv")
    with pytest.raises(GlossaryError, match=r"unknown glossary format \.json"):
        load_glossary(FIXTURES / "terms.json")


def test_unnamed_columns_must_stay_empty() -> None:
    assert len(parse_csv("source,fr,\nnote,note,\n")) == 1
    with pytest.raises(GlossaryError, match=r"<csv>:2: value 'x' in a column with no name"):
        parse_csv("source,fr,\nnote,note,x\n")


def test_docstring_documents_every_column() -> None:
    doc = load_csv_module.__doc__ or ""
    for name in [*load_csv_module._ALIASES, "forbidden:<locale>"]:
        assert f"`{name}`" in doc, name


def test_demo_glossary() -> None:
    g = load_csv(EXAMPLES / "demo.csv")
    assert 10 <= len(g) <= 14
    assert set(g.locales) >= {"fr", "ru", "ar", "de"}
    assert [t.source for t in g.terms if t.do_not_translate is True] == ["Quillnote"]
    assert [t.source for t in g.terms if t.case_sensitive] == ["MB"]
    assert any(t.forbidden for t in g.terms)
    for term in g.terms:
        if term.do_not_translate is not True:
            assert all(term.accepted(loc) for loc in ("fr", "ru", "ar", "de")), term.source
