import pytest

from locflow.catalog.checks import CHECKS, CheckContext, Issue
from locflow.catalog.plurals import plural_info
from locflow.catalog.segment import Segment
from locflow.catalog.terms import TermExpectation, check_terms, occurrences, word_matches


def exp(source: str, *accepted: str, **kwargs: object) -> TermExpectation:
    return TermExpectation(source=source, accepted=accepted, **kwargs)  # type: ignore[arg-type]


NOTEBOOK_FR = exp("notebook", "carnet", forbidden=("cahier",))
DNT = exp("Quillnote", dnt=True)

# translated forms, expectation, target locale, does the term check complain?
CASES = [
    # Latin: French, German, Spanish, Polish; inflection by stem
    (("Ouvrir le carnet",), NOTEBOOK_FR, "fr", False),
    (("Ouvrir les carnets",), NOTEBOOK_FR, "fr", False),
    (("Ouvrir le CARNET",), NOTEBOOK_FR, "fr", False),
    (("Ouvrir le bloc",), NOTEBOOK_FR, "fr", True),
    (("Ouvrir le cahier",), NOTEBOOK_FR, "fr", True),
    (("Ouvrir le carnet, pas le cahier",), NOTEBOOK_FR, "fr", True),
    (("Deux espaces de travail",), exp("workspace", "espace de travail"), "fr", False),
    (("Deux espaces de jeu",), exp("workspace", "espace de travail"), "fr", True),
    (("Guide de l’utilisateur",), exp("user guide", "guide de l'utilisateur"), "fr", False),
    (("Alle Arbeitsbereiche",), exp("workspace", "Arbeitsbereich"), "de", False),
    (("Des Arbeitsbereichs",), exp("workspace", "Arbeitsbereich"), "de", False),
    (("Projektarbeitsbereiche",), exp("workspace", "Arbeitsbereich"), "de", False),
    (("Alle Arbeitsplätze",), exp("workspace", "Arbeitsbereich"), "de", True),
    (("Abrir los cuadernos",), exp("notebook", "cuaderno"), "es", False),
    (("Otwórz notatniki",), exp("notebook", "notatnik"), "pl", False),
    # Cyrillic: Russian cases (fleeting vowel in the genitive plural), Ukrainian without stemmer
    (("Нет заметок",), exp("note", "заметка"), "ru", False),
    (("К заметкам",), exp("note", "заметка"), "ru", False),
    (("Открыть блокноты",), exp("notebook", "блокнот"), "ru", False),
    (("Открыть тетрадь",), exp("notebook", "блокнот"), "ru", True),
    (("Открыть настройки",), exp("settings", "настройки"), "ru", False),
    (("Без настроек",), exp("settings", "настройки"), "ru", False),
    (("Відкрити нотатки",), exp("note", "нотатка"), "uk", False),
    (("Відкрити записи",), exp("note", "нотатка"), "uk", True),
    # Greek (accents, final sigma)
    (("Οι σημειώσεις σας",), exp("note", "σημείωση"), "el", False),
    (("ΡΥΘΜΊΣΕΙΣ",), exp("settings", "ρυθμίσεις"), "el", False),
    (("Οι σελίδες σας",), exp("note", "σημείωση"), "el", True),
    # Arabic: the article and plural, vowel points
    (("فتح الملاحظات",), exp("note", "ملاحظة"), "ar", False),
    (("ملاحظةٌ جديدة",), exp("note", "ملاحظة"), "ar", False),
    (("فتح الإعدادات",), exp("settings", "الإعدادات"), "ar", False),
    (("فتح الملف",), exp("note", "ملاحظة"), "ar", True),
    # Hebrew: prefixes and plural endings
    (("פתח את ההערות",), exp("note", "הערה"), "he", False),
    (("והערה חדשה",), exp("note", "הערה"), "he", False),
    (("פתח את הקובץ",), exp("note", "הערה"), "he", True),
    # CJK and Thai: substrings, particles glued on
    (("打开我的笔记本",), exp("notebook", "笔记本"), "zh_CN", False),
    (("打开我的文件",), exp("notebook", "笔记本"), "zh_CN", True),
    (("ノートを保存しました",), exp("note", "ノート"), "ja", False),
    (("メモを保存しました",), exp("note", "ノート"), "ja", True),
    (("메모를 저장했습니다",), exp("note", "메모"), "ko", False),
    (("บันทึกใหม่ถูกสร้าง",), exp("note", "บันทึก"), "th", False),
    (("ไฟล์ใหม่ถูกสร้าง",), exp("note", "บันทึก"), "th", True),
    # do not translate: as written, a suffix may follow; case per the term
    (("Bienvenue dans Quillnote",), DNT, "fr", False),
    (("Добро пожаловать в Quillnote'е",), DNT, "ru", False),
    (("欢迎使用Quillnote",), DNT, "zh_CN", False),
    (("Bienvenue dans Plumenote",), DNT, "fr", True),
    (("Bienvenue dans MonQuillnote",), DNT, "fr", True),
    (("Bienvenue dans quillnote",), DNT, "fr", False),
    (("Bienvenue dans quillnote",), exp("Quillnote", dnt=True, case_sensitive=True), "fr", True),
    # case-sensitive accepted forms
    (("12 Mo libres",), exp("MB", "Mo", case_sensitive=True), "fr", False),
    (("12 mo libres",), exp("MB", "Mo", case_sensitive=True), "fr", True),
    (("12 mo libres",), exp("MB", "Mo"), "fr", False),
    # several accepted forms; forbidden inside an accepted one is fine
    (("Synchronisation échouée",), exp("sync", "synchroniser", "synchronisation"), "fr", False),
    (("Ouvrir le bloc-notes",), exp("notebook", "bloc-notes", forbidden=("notes",)), "fr", False),
    (("Ouvrir les notes",), exp("notebook", "bloc-notes", forbidden=("notes",)), "fr", True),
    # only forbidden forms known for this locale
    (("Ouvrir le cahier",), exp("notebook", forbidden=("cahier",)), "fr", True),
    (("Ouvrir le carnet",), exp("notebook", forbidden=("cahier",)), "fr", False),
    # plural forms: each must comply; empty ones are the `empty` check's business
    (("%d note", "%d notes"), exp("note", "note"), "fr", False),
    (("%d note", "%d remarques"), exp("note", "note"), "fr", True),
    (("", ""), exp("note", "note"), "fr", False),
]


@pytest.mark.parametrize(("forms", "expectation", "locale", "fires"), CASES)
def test_check_terms(
    forms: tuple[str, ...], expectation: TermExpectation, locale: str, fires: bool
) -> None:
    reasons = check_terms(forms, [expectation], locale)
    assert bool(reasons) == fires, reasons
    assert all(r and "\n" not in r for r in reasons)


def test_every_script_family_has_a_passing_and_a_failing_case() -> None:
    families = {"fr": "latin", "ru": "cyrillic", "el": "greek", "ar": "arabic", "he": "hebrew"}
    families |= {"zh_CN": "cjk", "ja": "cjk", "th": "thai"}
    covered = {(families[loc], fires) for *_, loc, fires in CASES if loc in families}
    assert covered == {(f, fires) for f in set(families.values()) for fires in (False, True)}


def test_messages_name_the_term_and_the_fix() -> None:
    assert check_terms(("Ouvrir le bloc",), [NOTEBOOK_FR], "fr") == [
        '"notebook" should be translated as "carnet"'
    ]
    assert check_terms(("Ouvrir le cahier",), [NOTEBOOK_FR], "fr") == [
        '"notebook" should be translated as "carnet"',
        '"cahier" is a forbidden translation of "notebook"; use "carnet"',
    ]
    assert check_terms(("Salut",), [exp("sync", "synchroniser", "synchronisation")], "fr") == [
        '"sync" should be translated as "synchroniser" (or "synchronisation")'
    ]
    assert check_terms(("Plume",), [DNT], "fr") == [
        '"Quillnote" must stay as it is (do not translate)'
    ]


def test_plural_messages_say_which_form() -> None:
    reasons = check_terms(("%d заметка", "%d записи", "%d записей"), [exp("note", "заметка")], "ru")
    assert reasons == ['"note" should be translated as "заметка" in msgstr[1], msgstr[2]']
    reasons = check_terms(("%d записка", "%d записки"), [exp("note", "заметка")], "ru")
    assert reasons == ['"note" should be translated as "заметка"']  # every form: no label


def test_several_terms_and_repeated_expectations() -> None:
    terms = [NOTEBOOK_FR, exp("note", "note"), NOTEBOOK_FR]
    assert check_terms(("Une note dans le carnet",), terms, "fr") == []
    assert len(check_terms(("Un mot dans le cahier",), terms, "fr")) == 3


def test_occurrences_spans() -> None:
    text = "Les espaces de travail et l'espace de travail"
    assert occurrences(text, "espace de travail", "fr") == [(4, 22), (28, 45)]
    assert occurrences("我的笔记本和笔记本", "笔记本", "zh") == [(2, 5), (6, 9)]


@pytest.mark.parametrize(
    ("expected", "actual", "lang", "same"),
    [
        ("arbeitsbereich", "arbeitsbereiche", "de", True),
        ("notiz", "notizbuch", "de", True),  # compounds
        ("note", "notebook", "en", False),
        ("carnet", "carnage", "fr", False),
        ("заметка", "заметок", "ru", True),
        ("блокнот", "блокада", "ru", False),
        ("note", "notes", "xx", True),  # no stemmer: one word extends the other
        ("note", "nota", "xx", False),  # short words may not differ
        ("carte", "carnet", "fr", False),
        ("настройка", "настройки", "xx", True),
    ],
)
def test_word_matches(expected: str, actual: str, lang: str, same: bool) -> None:
    assert word_matches(expected, actual, lang) is same


def context(locale: str, *terms: object) -> CheckContext:
    return CheckContext(
        source_locale="en", target_locale=locale, plural=plural_info(locale), terms=terms
    )


def test_glossary_check_in_the_table() -> None:
    fn, severity = CHECKS["glossary"]
    assert severity == "error"
    segment = Segment(msgid="Open the notebook")
    assert fn(segment, ("Ouvrir le carnet",), context("fr", NOTEBOOK_FR)) is None
    assert fn(segment, ("Ouvrir le carnet",), context("fr")) is None
    issue = fn(segment, ("Ouvrir le cahier",), context("fr", NOTEBOOK_FR, DNT))
    assert isinstance(issue, Issue)
    assert issue.check == "glossary" and issue.severity == "error"
    assert issue.message.count(" | ") == 2  # carnet missing, cahier forbidden, Quillnote


def test_glossary_check_refuses_other_objects() -> None:
    with pytest.raises(TypeError, match="TermExpectation"):
        CHECKS["glossary"][0](Segment(msgid="x"), ("y",), context("fr", "notebook"))
