import pytest

from locflow.catalog.checks import CHECKS, CheckContext, Issue, run_checks
from locflow.catalog.plurals import plural_info
from locflow.catalog.segment import Segment
from locflow.catalog.terms import TermExpectation

C, PY, BRACE = ("c-format",), ("python-format",), ("python-brace-format",)


def seg(msgid: str, plural: str | None = None, flags: tuple[str, ...] = ()) -> Segment:
    return Segment(msgid=msgid, msgid_plural=plural, flags=flags)


FILES = seg("One file", "%d files", C)
FILES_PY = seg("%(n)d file in %(dir)s", "%(n)d files in %(dir)s", PY)

# check id, segment, translated forms, target locale, should the check fire?
CASES = [
    # placeholders
    ("placeholders", seg("Hello %s", flags=C), ("Bonjour %s",), "fr", False),
    ("placeholders", seg("Hello %s", flags=C), ("Bonjour",), "fr", True),
    ("placeholders", seg("Hello %s", flags=C), ("Bonjour %d",), "fr", True),
    ("placeholders", seg("Hello %s", flags=C), ("Bonjour %s %s",), "fr", True),
    ("placeholders", seg("%s of %d", flags=C), ("%2$d de %1$s",), "fr", False),
    ("placeholders", seg("%s of %d", flags=C), ("%d de %s",), "fr", True),
    ("placeholders", seg("Done 100%%", flags=C), ("Fini à 100 %",), "fr", True),
    ("placeholders", seg("Hello %s", flags=("no-c-format",)), ("Bonjour",), "fr", False),
    ("placeholders", seg("Hi %(name)s", flags=PY), ("Salut %(name)s",), "fr", False),
    ("placeholders", seg("Hi %(name)s", flags=PY), ("Salut %(nom)s",), "fr", True),
    ("placeholders", seg("Hi {name}", flags=BRACE), ("Salut {name}",), "fr", False),
    ("placeholders", seg("Hi {name}", flags=BRACE), ("Salut {nom}",), "fr", True),
    ("placeholders", seg("Hi {name}", flags=BRACE), ("Salut {name} }",), "fr", True),
    # plural: the English-style n=1 form may omit the number; others must keep it
    ("placeholders", FILES, ("Ein Datei", "%d Dateien"), "de", False),
    ("placeholders", FILES, ("%d Datei", "%d Dateien"), "de", False),
    ("placeholders", FILES, ("Ein Datei", "Dateien"), "de", True),
    ("placeholders", FILES, ("%d файл", "%d файла", "%d файлов"), "ru", False),
    ("placeholders", FILES, ("Один файл", "%d файла", "%d файлов"), "ru", True),
    ("placeholders", FILES, ("%s файл", "%d файла", "%d файлов"), "ru", True),
    ("placeholders", FILES_PY, ("Une dans %(dir)s", "%(n)d dans %(dir)s"), "fr:n>1", True),
    ("placeholders", FILES_PY, ("%(n)d dans %(dir)s", "%(n)d dans %(dir)s"), "fr:n>1", False),
    ("placeholders", FILES_PY, ("Eine in %(dir)s", "%(n)d in %(dir)s"), "de", False),
    ("placeholders", FILES_PY, ("Eine in %(ort)s", "%(n)d in %(dir)s"), "de", True),
    # plural_count
    ("plural_count", FILES, ("Datei", "%d Dateien"), "de", False),
    ("plural_count", FILES, ("%d Datei",), "de", True),
    ("plural_count", FILES, ("%d файл", "%d файла"), "ru", True),
    ("plural_count", FILES, ("%d файл", "", "%d файлов"), "ru", True),
    ("plural_count", FILES, ("%d ファイル",), "ja", False),
    ("plural_count", seg("File"), ("Fichier",), "fr", False),
    ("plural_count", seg("File"), ("Fichier", "Fichiers"), "fr", True),
    # newlines (msgfmt: both begin / both end with \n, or neither)
    ("newlines", seg("\nUsage\n"), ("\nUtilisation\n",), "fr", False),
    ("newlines", seg("\nUsage\n"), ("Utilisation\n",), "fr", True),
    ("newlines", seg("Usage\n"), ("Utilisation",), "fr", True),
    ("newlines", seg("Usage"), ("Utilisation\n",), "fr", True),
    ("newlines", seg("a\nb"), ("a b",), "fr", False),
    # line_breaks (inner ones; a begin/end mismatch is the newlines check's)
    ("line_breaks", seg("a\nb"), ("c\nd",), "fr", False),
    ("line_breaks", seg("a\nb"), ("c d",), "fr", True),
    ("line_breaks", seg("a b"), ("c\nd",), "fr", True),
    ("line_breaks", seg("a\nb\n"), ("c\nd",), "fr", False),
    ("line_breaks", seg("\n\na"), ("\nb",), "fr", True),
    ("line_breaks", seg("One\nfile", "Two\nfiles"), ("Ein\nDatei", "Zwei\nDateien"), "de", False),
    # whitespace
    ("whitespace", seg("  Name: "), ("  Nom : ",), "fr", False),
    ("whitespace", seg("  Name: "), ("Nom : ",), "fr", True),
    ("whitespace", seg("Name: "), ("Nom :",), "fr", True),
    ("whitespace", seg("Name"), (" Nom",), "fr", True),
    # empty
    ("empty", seg("File"), ("Fichier",), "fr", False),
    ("empty", seg("File"), ("",), "fr", True),
    ("empty", seg("File"), ("  ",), "fr", True),
    ("empty", FILES, ("", ""), "de", True),
    # tags
    ("tags", seg("<b>Bold</b> <br/>"), ("<b>Gras</b> <br/>",), "fr", False),
    ("tags", seg('<a href="x">Link</a>'), ('<A HREF="x">Lien</A>',), "fr", False),
    ("tags", seg("<b>Bold</b>"), ("<b>Gras",), "fr", True),
    ("tags", seg("<b>Bold</b>"), ("<i>Gras</i>",), "fr", True),
    ("tags", seg("Bold"), ("<b>Gras</b>",), "fr", True),
    # attributes: values must stay, but for text shown to users (alt, title…)
    ("tags", seg('<span class="warn">!</span>'), ("<span class='warn'>!</span>",), "fr", False),
    ("tags", seg('<span class="warn">!</span>'), ('<span class="alerte">!</span>',), "fr", True),
    ("tags", seg('<a href="/start">Go</a>'), ('<a href="/debut">Aller</a>',), "fr", True),
    (
        "tags",
        seg('<img src="a.png" alt="Logo">'),
        ('<img alt="Le logo" src="a.png">',),
        "fr",
        False,
    ),
    ("tags", seg('<img src="a.png" alt="Logo">'), ('<img alt="Le logo">',), "fr", True),
    ("tags", seg("<input checked>"), ("<input>",), "fr", True),
    # urls
    ("urls", seg("See https://x.org/a."), ("Voir https://x.org/a.",), "fr", False),
    ("urls", seg("See https://x.org/a"), ("Voir https://x.org/b",), "fr", True),
    ("urls", seg("Mail help@x.org"), ("Écrivez à aide@x.org",), "fr", True),
    ("urls", seg("Mail help@x.org"), ("Écrivez à help@x.org",), "fr", False),
    # think
    ("think", seg("Save"), ("Enregistrer",), "fr", False),
    ("think", seg("Save"), ("<think>ok</think>Enregistrer",), "fr", True),
    ("think", seg("Save"), ("Enregistrer</think>",), "fr", True),
    ("think", seg("Use <think> tags"), ("Utilisez les balises <think>",), "fr", False),
    # untranslated
    ("untranslated", seg("Save changes?"), ("Enregistrer ?",), "fr", False),
    ("untranslated", seg("Save changes?"), ("Save changes?",), "fr", True),
    ("untranslated", seg("%d files", flags=C), ("%d files",), "fr", True),
    ("untranslated", seg("%d", flags=C), ("%d",), "fr", False),
    ("untranslated", seg("https://example.org"), ("https://example.org",), "fr", False),
    ("untranslated", seg("Color"), ("Color",), "en_GB", False),
    # chatter
    ("chatter", seg("Save"), ("Enregistrer",), "fr", False),
    ("chatter", seg("Save"), ("Here is the translation: Enregistrer",), "fr", True),
    ("chatter", seg("Save"), ("Translation: Enregistrer",), "fr", True),
    ("chatter", seg("Save"), ("French: Enregistrer",), "fr", True),
    ("chatter", seg("Save"), ("Français : Enregistrer",), "fr", True),
    ("chatter", seg("Save"), ('"Enregistrer"',), "fr", True),
    ("chatter", seg("Save"), ("«Enregistrer»",), "fr", True),
    ("chatter", seg("Save"), ("Enregistrer\n\nNote: formal register",), "fr", True),
    ("chatter", seg("Save"), ("```\nEnregistrer\n```",), "fr", True),
    ("chatter", seg('"Save"'), ("« Enregistrer »",), "fr", False),
    ("chatter", seg("Translation:"), ("Traduction :",), "fr", False),
    ("chatter", seg("Translation:"), ("Translation:",), "fr", False),
    ("chatter", seg("Note: saved"), ("Note : enregistré",), "fr", False),
    # control_chars
    ("control_chars", seg("Tab\there"), ("Tab\tici",), "fr", False),
    ("control_chars", seg("Bell"), ("Cloche\x07",), "fr", True),
    ("control_chars", seg("Broken"), ("Cass\ufffd",), "fr", True),
    ("control_chars", seg("Esc\x1b[0m"), ("Échap\x1b[0m",), "fr", False),
    # glossary (the matched terms come from GLOSSARY_TERMS, by msgid)
    ("glossary", seg("Open the notebook"), ("Ouvrir le carnet",), "fr", False),
    ("glossary", seg("Open the notebook"), ("Ouvrir le cahier",), "fr", True),
    ("glossary", seg("Open the notebook"), ("Ouvrir le bloc",), "fr", True),
    # charset (the target catalogue's charset after "|"; none: UTF-8)
    ("charset", seg("Settings"), ("Paramètres ţ",), "fr", False),
    ("charset", seg("Settings"), ("Paramètres œ €",), "fr|ISO-8859-15", False),
    ("charset", seg("Settings"), ("Paramètres ţ",), "fr|ISO-8859-15", True),
    ("charset", seg("Euro"), ("5 €",), "fr|ISO-8859-1", True),
    ("charset", seg("Don't"), ("N’oubliez pas",), "fr|latin-1", True),
    ("charset", seg("Hello"), ("こんにちは",), "ja|EUC-JP", False),
    ("charset", seg("Hello"), ("こんにちは",), "de|ISO-8859-15", True),
    ("charset", seg("Hello"), ("ţ",), "fr|CHARSET", False),
    (
        "charset",
        seg("%d file", "%d files", C),
        ("%d fişier", "%d fişiere", "%d de fişiere"),
        "ro|ISO-8859-1",
        True,
    ),
]
GLOSSARY_TERMS = {"Open the notebook": (TermExpectation("notebook", ("carnet",), ("cahier",)),)}


def context(target: str, terms: tuple[TermExpectation, ...] = ()) -> CheckContext:
    target, _, charset = target.partition("|")
    locale, _, rule = target.partition(":")
    header = "nplurals=2; plural=(n > 1);" if rule == "n>1" else None
    return CheckContext(
        source_locale="en",
        target_locale=locale,
        plural=plural_info(locale, header),
        terms=terms,
        charset=charset or "UTF-8",
    )


@pytest.mark.parametrize(("check", "segment", "forms", "target", "fires"), CASES)
def test_check(check: str, segment: Segment, forms: tuple[str, ...], target: str, fires: bool):
    fn, severity = CHECKS[check]
    issue = fn(segment, forms, context(target, GLOSSARY_TERMS.get(segment.msgid, ())))
    if not fires:
        assert issue is None
        return
    assert isinstance(issue, Issue)
    assert (issue.check, issue.severity) == (check, severity)
    assert issue.message and "\n" not in issue.message


def test_every_check_has_a_passing_and_a_failing_case() -> None:
    from tests.support.check_cases import CASES as NEWER_CASES  # markdown, length, flags

    covered = {(check, fires) for check, *_, fires in (*CASES, *NEWER_CASES)}
    assert covered == {(check, fires) for check in CHECKS for fires in (False, True)}


def test_severities() -> None:
    warnings = {check for check, (_, severity) in CHECKS.items() if severity == "warning"}
    assert warnings == {"line_breaks", "whitespace", "chatter", "untranslated", "length"}


def test_run_checks_clean_translation() -> None:
    segment = seg(
        '<a href="https://x.org">%d file</a>\n', '<a href="https://x.org">%d files</a>\n', C
    )
    forms = (
        '<a href="https://x.org">%d файл</a>\n',
        '<a href="https://x.org">%d файла</a>\n',
        '<a href="https://x.org">%d файлов</a>\n',
    )
    assert run_checks(segment, forms, context("ru")) == ()


def test_run_checks_reports_in_table_order() -> None:
    issues = run_checks(seg("Hello %s\n", flags=C), ("Translation: <think>Bonjour",), context("fr"))
    assert [i.check for i in issues] == ["placeholders", "newlines", "think", "chatter"]
    assert [i.check for i in issues] == [c for c in CHECKS if c in {i.check for i in issues}]


def test_placeholder_message_names_what_is_wrong() -> None:
    issue = CHECKS["placeholders"][0](
        seg("Hi %(name)s", flags=PY), ("Salut %(nom)s",), context("fr")
    )
    assert issue is not None
    assert issue.message == "msgstr python-format: missing %(name)s; unexpected %(nom)s"


def test_charset_message_names_the_characters_and_the_charset() -> None:
    issue = CHECKS["charset"][0](
        seg("Remember"), ("N’oubliez pas ţ ’ €",), context("fr|ISO-8859-1")
    )
    assert issue is not None and issue.severity == "error"
    assert "'’' (U+2019), 'ţ' (U+0163), '€' (U+20AC)" in issue.message
    assert "charset ISO-8859-1" in issue.message
    many = CHECKS["charset"][0](seg("Hello"), ("ĀāĂăĄąĆ",), context("de|ISO-8859-15"))
    assert many is not None and "and 2 more" in many.message
