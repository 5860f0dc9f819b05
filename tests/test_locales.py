import pytest

from locflow.catalog.locales import UnknownLocale, babel_locale, english_name, normalise_locale


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("pt-BR", "pt_BR"),
        ("pt_br", "pt_BR"),
        ("PT-br", "pt_BR"),
        ("zh_Hant", "zh_Hant"),
        ("zh-hant", "zh_Hant"),
        ("zh-Hant-TW", "zh_Hant_TW"),
        ("sr@latin", "sr@latin"),
        ("sr_RS@Latin", "sr_RS@latin"),
        ("ca@valencia", "ca@valencia"),
        ("de_DE.UTF-8", "de_DE"),
        ("es-419", "es_419"),
        (" fr ", "fr"),
        ("EN", "en"),
    ],
)
def test_normalise_locale(code: str, expected: str) -> None:
    assert normalise_locale(code) == expected


@pytest.mark.parametrize(
    ("code", "shown"),
    [("xx_YY_Z", "xx_YY_Z"), ("english", "english"), ("", ""), ("fr_FR_x", "fr_FR_x")],
)
def test_unknown_locale(code: str, shown: str) -> None:
    """Malformed codes; a well-formed code outside CLDR (`tlh`, `xx_YY`) is kept (see
    test_locales_outside_cldr)."""
    with pytest.raises(UnknownLocale) as info:
        normalise_locale(code)
    assert str(info.value) == f"unknown locale {shown!r}"
    assert isinstance(info.value, ValueError)


def test_script_modifier_maps_to_babel_script() -> None:
    loc = babel_locale("sr@latin")
    assert (loc.language, loc.script) == ("sr", "Latn")
    assert babel_locale("sr").script != "Latn"


@pytest.mark.parametrize(("code", "name"), [("fr", "French"), ("pt_BR", "Portuguese")])
def test_english_name(code: str, name: str) -> None:
    assert english_name(code) == name
