from pathlib import Path

import pytest

from bench.speed_bench import large_glossary, match_all
from locflow.catalog.segment import Segment
from locflow.catalog.terms import TermExpectation
from locflow.glossaries import (
    Glossary,
    Term,
    TermIndex,
    compile_terms,
    dnt_terms,
    expectations_for,
    load_csv,
    match_segment,
    match_terms,
    matched_terms,
)

EXAMPLES = Path(__file__).parent.parent / "glossaries" / "examples"

EN = Glossary(
    "en",
    tuple(
        Term.create(source, {"fr": target}, **extra)  # type: ignore[arg-type]
        for source, target, extra in [
            ("note", "note", {}),
            ("notebook", "carnet", {}),
            ("category", "catégorie", {}),
            ("box", "boîte", {}),
            ("settings", "paramètres", {}),
            ("sync settings", "paramètres de synchronisation", {}),
            ("user guide", "guide de l'utilisateur", {}),
            ("open file", "ouvrir un fichier", {}),
            ("file manager", "gestionnaire de fichiers", {}),
            ("Wi-Fi", "Wi-Fi", {"case_sensitive": True}),
            ("MB", "Mo", {"case_sensitive": True}),
            ("C++", "C++", {}),
            ("count", "compte", {}),
            ("example", "exemple", {}),
        ]
    ),
)
OTHER = {
    "ru": [Term.create("заметка", {"en": "note"}), Term.create("блокнот", {"en": "notebook"})],
    "el": [Term.create("σημείωση", {"en": "note"}), Term.create("λογαριασμός", {"en": "account"})],
    "ar": [Term.create("ملاحظة", {"en": "note"}), Term.create("دفتر", {"en": "notebook"})],
    "he": [Term.create("הערה", {"en": "note"})],
    "zh": [Term.create("笔记", {"en": "note"}), Term.create("笔记本", {"en": "notebook"})],
    "ja": [Term.create("ノート", {"en": "note"}), Term.create("保存", {"en": "save"})],
    "ko": [Term.create("메모", {"en": "note"})],
    "th": [Term.create("บันทึก", {"en": "note"})],
    "de": [Term.create("Notiz", {"en": "note"})],
}

# source locale, text, the matched texts in order
CASES = [
    # Latin, English inflection and possessives, case folding
    ("en", "Notes and notebooks", ["Notes", "notebooks"]),
    ("en", "My notebook's categories", ["notebook's", "categories"]),
    ("en", "The notes' category and the boxes", ["notes'", "category", "boxes"]),
    ("en", "NOTEBOOK", ["NOTEBOOK"]),
    ("en", "keynote, notepad, denote, note2", []),
    ("en", "_notes_ and *note*", ["notes", "note"]),  # Markdown emphasis
    ("en", "Footnote", []),
    # longest match wins; whitespace inside a term may vary
    ("en", "Open sync settings", ["sync settings"]),
    ("en", "sync\n  settings", ["sync\n  settings"]),
    ("en", "open file manager", ["file manager"]),
    ("en", "Read the user guide.", ["user guide"]),
    # case-sensitive terms; punctuation inside and after terms
    ("en", "Wi-Fi or wi-fi, 5 MB not 5 mb", ["Wi-Fi", "MB"]),
    ("en", "C++ and C++11", ["C++"]),
    # never inside placeholders, tags, entities, URLs, e-mail
    ("en", '<a href="/notes" title="note">A note</a>', ["note"]),
    ("en", "See https://example.org/notebook or notes@example.org", []),
    ("en", "&note; is not a note", ["note"]),
    # non-English sources: word boundaries, no English inflection
    ("de", "Neue Notiz und Notizen", ["Notiz"]),
    ("ru", "Новая заметка в блокноте", ["заметка"]),
    ("ru", "ЗАМЕТКА", ["ЗАМЕТКА"]),
    ("ru", "Подзаметка", []),
    ("el", "Νέα σημείωση", ["σημείωση"]),
    ("el", "ΛΟΓΑΡΙΑΣΜΌΣ", ["ΛΟΓΑΡΙΑΣΜΌΣ"]),  # final sigma folds like σ
    ("ar", "ملاحظة جديدة في دفتر", ["ملاحظة", "دفتر"]),
    ("ar", "ملاحظةٌ جديدة", ["ملاحظة"]),  # vowel points may follow
    ("ar", "الملاحظة", []),  # an attached article is another word
    ("he", "הערה חדשה", ["הערה"]),
    ("he", "ההערה", []),
    # CJK and Thai: substrings
    ("zh", "我的笔记本和笔记", ["笔记本", "笔记"]),
    ("ja", "ノートを保存しました", ["ノート", "保存"]),
    ("ko", "메모를 저장했습니다", ["메모"]),
    ("th", "บันทึกใหม่", ["บันทึก"]),
    # Latin terms next to CJK text
    ("zh", "打开Wi-Fi设置", []),
]


def glossary_for(locale: str) -> Glossary | list[Term]:
    return EN if locale == "en" else OTHER[locale]


@pytest.mark.parametrize(("locale", "text", "found"), CASES)
def test_match_terms(locale: str, text: str, found: list[str]) -> None:
    matches = match_terms(glossary_for(locale), text, locale)
    assert [m.text for m in matches] == found
    for m in matches:
        assert text[m.start : m.end] == m.text


def test_latin_term_inside_cjk_text() -> None:
    terms = [Term.create("Wi-Fi", {"zh": "Wi-Fi"}), Term.create("设置", {"en": "settings"})]
    assert [m.text for m in match_terms(terms, "打开Wi-Fi设置", "zh")] == ["Wi-Fi", "设置"]


def test_inflected_form_finds_the_right_base() -> None:
    terms = [Term.create("not", {"fr": "pas"}), Term.create("note", {"fr": "note"})]
    assert [m.term.source for m in match_terms(terms, "notes, not", "en")] == ["note", "not"]


def test_matches_carry_the_term() -> None:
    (m,) = match_terms(EN, "Two notebooks", "en")
    assert (m.term.source, m.start, m.end, m.text) == ("notebook", 4, 13, "notebooks")


def test_placeholders_follow_the_flags() -> None:
    text = "%(count)d notes, {count} examples"
    assert [m.text for m in match_terms(EN, text, "en")] == ["count", "notes", "count", "examples"]
    assert [m.text for m in match_terms(EN, text, "en", flags=("python-format",))] == [
        "notes",
        "count",
        "examples",
    ]
    both = ("python-format", "python-brace-format")
    assert [m.text for m in match_terms(EN, text, "en", flags=both)] == ["notes", "examples"]


def test_markdown_code_and_links() -> None:
    text = "Run `note add` and read [the user guide](https://x.org/notebook)"
    assert [m.text for m in match_terms(EN, text, "en")] == ["note", "user guide"]
    assert [m.text for m in match_terms(EN, text, "en", markdown=True)] == ["user guide"]


def test_leading_whitespace_keeps_offsets() -> None:
    text = "  <b>note</b> and notebook"
    assert [(m.start, m.text) for m in match_terms(EN, text, "en")] == [
        (5, "note"),
        (18, "notebook"),
    ]


def test_homonyms_match_together_and_merge_into_one_expectation() -> None:
    strike = Term.create("strike", {"fr": "grève"}, note="labour action", forbidden={"fr": "coup"})
    attack = Term.create("strike", {"fr": "frappe"}, note="military attack")
    g = Glossary("g", (strike, attack))
    matches = match_terms(g, "The strike ended", "en")
    assert [m.term for m in matches] == [strike, attack]
    assert expectations_for(matches, "fr") == (
        TermExpectation(
            source="strike",
            accepted=("grève", "frappe"),
            forbidden=("coup",),
            note="labour action; military attack",
        ),
    )


def test_dnt_and_expectations() -> None:
    g = load_csv(EXAMPLES / "demo.csv")
    segment = Segment(
        msgid="Quillnote syncs %(count)d note", msgid_plural="Quillnote syncs %(count)d notes",
        flags=("python-format",),
    )  # fmt: skip
    matches = match_segment(g, segment, "en")
    assert [m.text for m in matches] == [
        "Quillnote",
        "syncs",
        "note",
        "Quillnote",
        "syncs",
        "notes",
    ]
    assert [t.source for t in matched_terms(matches)] == ["Quillnote", "sync", "note"]
    assert [t.source for t in dnt_terms(matches, "fr")] == ["Quillnote"]
    by_source = {e.source: e for e in expectations_for(matches, "fr")}
    assert by_source["Quillnote"].dnt
    assert by_source["sync"].accepted == ("synchroniser", "synchronisation")
    assert by_source["note"] == TermExpectation(
        "note", ("note",), note="a short text the user writes and keeps in the app"
    )
    assert [e.source for e in expectations_for(matches, "ja")] == ["Quillnote"]


def test_index_is_compiled_once() -> None:
    terms = tuple(EN.terms)
    assert compile_terms(EN, "en") is compile_terms(EN, "en")
    assert compile_terms(terms, "en") is compile_terms(terms, "en")
    assert compile_terms(EN, "en") is not compile_terms(EN, "fr")
    index = TermIndex(EN.terms, "en")
    assert match_terms(index, "notes", "ignored") == match_terms(EN, "notes", "en")
    assert match_terms([], "notes", "en") == ()


def test_dotted_capital_i_does_not_shift_offsets() -> None:
    terms = [Term.create("note", {"tr": "not"})]
    (m,) = match_terms(terms, "İİ note", "en")
    assert (m.start, m.text) == (3, "note")


def test_a_large_glossary_matches_every_mention() -> None:
    """5,000 terms in 5,000 strings (how long it takes is bench/speed_bench.py's report)."""
    terms, texts = large_glossary()
    assert match_all(terms, texts) >= 6_000
