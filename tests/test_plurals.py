import gettext

import pytest

from locflow.catalog.locales import UnknownLocale
from locflow.catalog.plurals import parse_plural_forms, plural_info

# locale -> (category, sample) per gettext index, as Babel/CLDR give them
CASES = {
    "en": [("one", 1), ("other", 2)],
    # CLDR 42+ gives French a "many" form used for millions (n % 1000000 == 0)
    "fr": [("one", 1), ("many", 1_000_000), ("other", 2)],
    "ru": [("one", 1), ("few", 2), ("many", 5)],
    "pl": [("one", 1), ("few", 2), ("many", 5)],
    "ar": [("zero", 0), ("one", 1), ("two", 2), ("few", 3), ("many", 11), ("other", 100)],
    "ja": [("other", 1)],
    "cs": [("one", 1), ("few", 2), ("other", 5)],
    "sl": [("one", 1), ("two", 2), ("few", 3), ("other", 5)],
    "ga": [("one", 1), ("two", 2), ("few", 3), ("many", 7), ("other", 11)],
}


@pytest.mark.parametrize("locale", sorted(CASES))
def test_babel_plural_forms(locale: str) -> None:
    info = plural_info(locale)
    assert info.nplurals == len(CASES[locale])
    assert [(f.category, f.sample) for f in info.forms] == CASES[locale]
    assert [f.index for f in info.forms] == list(range(info.nplurals))
    assert info.header.startswith(f"nplurals={info.nplurals}; plural=")


@pytest.mark.parametrize("locale", [*sorted(CASES), "lv", "br", "cy", "gd", "ro"])
def test_every_sample_selects_its_form(locale: str) -> None:
    info = plural_info(locale)
    evaluate = gettext.c2py(info.expression)
    for form in info.forms:
        assert form.sample is not None
        assert evaluate(form.sample) == form.index == info.index(form.sample)
        assert all(evaluate(n) == form.index for n in form.examples)


def test_french_classic_header_puts_zero_and_one_together() -> None:
    info = plural_info("fr", "nplurals=2; plural=(n > 1);")
    assert info.nplurals == 2
    assert info.header == "nplurals=2; plural=(n > 1);"
    one, other = info.forms
    assert (one.category, one.sample, one.examples[:2], one.single) == ("one", 1, (0, 1), False)
    assert (other.category, other.sample) == ("other", 2)


def test_header_that_disagrees_with_cldr_wins() -> None:
    info = plural_info("ru", "nplurals=2; plural=(n != 1);")
    assert info.nplurals == 2
    assert info.expression == "(n != 1)"
    assert [(f.category, f.sample) for f in info.forms] == [("one", 1), ("few", 2)]


def test_single_value_forms() -> None:
    assert [f.single for f in plural_info("en").forms] == [True, False]
    assert [f.single for f in plural_info("ru").forms] == [False, False, False]
    assert [f.single for f in plural_info("ar").forms][:3] == [True, True, True]


def test_header_tolerates_spacing_and_missing_semicolon() -> None:
    assert parse_plural_forms("  nplurals = 3 ;plural=n==1 ? 0 : n==2 ? 1 : 2") == (
        3,
        "n==1 ? 0 : n==2 ? 1 : 2",
    )


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        ("nplurals=2", "malformed Plural-Forms"),
        ("plural=(n != 1);", "malformed Plural-Forms"),
        ("nplurals=x; plural=0;", "malformed Plural-Forms"),
        ("nplurals=0; plural=0;", "nplurals must be"),
        ("nplurals=2; plural=(n > 1;", "invalid plural expression"),
        ("nplurals=2; plural=__import__('os');", "invalid plural expression"),
        ("nplurals=2; plural=n + 5;", "beyond nplurals"),
        ("nplurals=2; plural=n / 0;", "fails for n=0"),
    ],
)
def test_malformed_header(header: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        plural_info("en", header)


def test_unknown_locale_needs_a_header() -> None:
    with pytest.raises(UnknownLocale):
        plural_info("xx")
    info = plural_info("xx", "nplurals=2; plural=(n != 1);")
    assert [f.category for f in info.forms] == ["one", "other"]


def test_unreachable_form_has_no_sample() -> None:
    info = plural_info("en", "nplurals=3; plural=(n != 1);")
    assert info.forms[2].sample is None
