"""Locale → Qwen-MT language names (connectors/engines/languages.py)."""

import pytest

from locflow.connectors.engines.languages import (
    LITE_NAMES,
    MODELS,
    QWEN_CODES,
    QWEN_NAMES,
    UnsupportedLanguage,
    qwen_language,
    supported,
)
from tests.fakes.qwen_rules import LANGUAGES as SIM_LANGUAGES


def test_counts() -> None:
    assert len(QWEN_CODES) == len(QWEN_NAMES) == 92
    assert len(LITE_NAMES) == 31
    assert {"Persian"} == LITE_NAMES - QWEN_NAMES


def test_same_names_as_the_simulators_independent_copy() -> None:
    """Two copies of the doc's tables, typed separately: a typo in either shows here."""
    for model in ("qwen-mt-plus", "qwen-mt-flash", "qwen-mt-turbo"):
        assert SIM_LANGUAGES[model] == QWEN_NAMES
    assert SIM_LANGUAGES["qwen-mt-lite"] == LITE_NAMES
    assert set(SIM_LANGUAGES) == set(MODELS)


@pytest.mark.parametrize(
    "name",
    [
        "Norwegian Bokmål",
        "Ta\u2019izzi-Adeni Arabic",
        "Western Persian",
        "Tosk Albanian",
        "North Azerbaijani",
        "Northern Uzbek",
        "Traditional Chinese",
        "Cantonese",
        "Odia",
        "North Levantine Arabic",
        "Pangasinan",
        "Waray",
    ],
)
def test_tricky_names_exact(name: str) -> None:
    assert name in QWEN_NAMES


def test_no_ascii_lookalikes() -> None:
    assert "Taizzi-Adeni Arabic" not in QWEN_NAMES
    assert "Ta'izzi-Adeni Arabic" not in QWEN_NAMES
    assert "Norwegian Bokmal" not in QWEN_NAMES
    assert "Persian" not in QWEN_NAMES


@pytest.mark.parametrize(
    ("locale", "name"),
    [
        ("en", "English"),
        ("en_GB", "English"),
        ("de_DE.UTF-8", "German"),
        ("pt_BR", "Portuguese"),
        ("pt_PT", "Portuguese"),
        ("pt-br", "Portuguese"),
        ("zh_CN", "Chinese"),
        ("zh_Hans", "Chinese"),
        ("zh_SG", "Chinese"),
        ("zh", "Chinese"),
        ("zh_TW", "Traditional Chinese"),
        ("zh_HK", "Traditional Chinese"),
        ("zh_Hant", "Traditional Chinese"),
        ("zh_Hant_TW", "Traditional Chinese"),
        ("zh-hant", "Traditional Chinese"),
        ("yue", "Cantonese"),
        ("yue_HK", "Cantonese"),
        ("nb", "Norwegian Bokmål"),
        ("nb_NO", "Norwegian Bokmål"),
        ("no", "Norwegian Bokmål"),
        ("nn", "Norwegian Nynorsk"),
        ("nn_NO", "Norwegian Nynorsk"),
        ("fa", "Western Persian"),
        ("fa_IR", "Western Persian"),
        ("sq", "Tosk Albanian"),
        ("az", "North Azerbaijani"),
        ("uz", "Northern Uzbek"),
        ("fil", "Tagalog"),
        ("tl", "Tagalog"),
        ("es_419", "Spanish"),
        ("es_MX", "Spanish"),
        ("sr@latin", "Serbian"),
        ("acq", "Ta\u2019izzi-Adeni Arabic"),
        ("arz", "Egyptian Arabic"),
        ("he", "Hebrew"),
        ("iw", "Hebrew"),
        ("ca@valencia", "Catalan"),
    ],
)
def test_regional_mapping(locale: str, name: str) -> None:
    assert qwen_language(locale) == name
    assert qwen_language(locale, "qwen-mt-plus") == name


@pytest.mark.parametrize(
    ("locale", "name"),
    [
        ("fa", "Persian"),
        ("fil", "Tagalog"),
        ("zh_TW", "Traditional Chinese"),
        ("de", "German"),
        ("pt_BR", "Portuguese"),
    ],
)
def test_lite(locale: str, name: str) -> None:
    assert qwen_language(locale, "qwen-mt-lite") == name


@pytest.mark.parametrize("locale", ["ga", "pa", "am", "ml", "yo", "zu", "mn", "eo", "ku", "ga_IE"])
def test_unsupported_names_locale_and_model(locale: str) -> None:
    with pytest.raises(UnsupportedLanguage) as info:
        qwen_language(locale, "qwen-mt-plus")
    assert repr(locale) in str(info.value) and "qwen-mt-plus" in str(info.value)
    assert isinstance(info.value, ValueError)
    assert info.value.locale == locale and info.value.model == "qwen-mt-plus"
    assert not supported(locale)


@pytest.mark.parametrize("locale", ["sr", "uk", "ro", "nb", "yue", "el"])
def test_lite_refuses_what_only_the_full_models_have(locale: str) -> None:
    with pytest.raises(UnsupportedLanguage, match="qwen-mt-lite") as info:
        qwen_language(locale, "qwen-mt-lite")
    assert "qwen-mt-flash" in str(info.value)  # says where the language is available
    assert supported(locale, "qwen-mt-flash")


@pytest.mark.parametrize("locale", ["", "x", "english", "12", "de_DE_extra"])
def test_malformed_locale(locale: str) -> None:
    with pytest.raises(UnsupportedLanguage):
        qwen_language(locale)


def test_every_table_code_maps_to_its_name() -> None:
    for code, name in QWEN_CODES.items():
        assert qwen_language(code) == name
