"""Locale codes → the English language names Qwen-MT accepts in `source_lang`/`target_lang`.

The names are copied exactly from the language table of Alibaba Cloud Model Studio's public
"Machine translation (Qwen-MT)" guide
(https://www.alibabacloud.com/help/en/model-studio/machine-translation): 92 for
qwen-mt-plus/flash/turbo, 31 for qwen-mt-lite,
whose table spells fa "Persian" instead of "Western Persian". Two names are not ASCII:
"Norwegian Bokmål" and "Ta’izzi-Adeni Arabic" (U+2019 apostrophe). Regional locales map to
the one name the API has for their language (pt_BR and pt_PT are both "Portuguese").
A `[locales.X] name` that is one of the model's names is taken as it is (a private-use
`qaa` named "Cebuano"); a code outside the table without such a name is refused.
"""

from __future__ import annotations

import re

from locflow.catalog.locales import configured_name

# code from the doc's table → exact English name (92 entries, the doc's order)
QWEN_CODES: dict[str, str] = {
    "en": "English",
    "zh": "Chinese",
    "zh_tw": "Traditional Chinese",
    "ru": "Russian",
    "ja": "Japanese",
    "ko": "Korean",
    "es": "Spanish",
    "fr": "French",
    "pt": "Portuguese",
    "de": "German",
    "it": "Italian",
    "th": "Thai",
    "vi": "Vietnamese",
    "id": "Indonesian",
    "ms": "Malay",
    "ar": "Arabic",
    "hi": "Hindi",
    "he": "Hebrew",
    "my": "Burmese",
    "ta": "Tamil",
    "ur": "Urdu",
    "bn": "Bengali",
    "pl": "Polish",
    "nl": "Dutch",
    "ro": "Romanian",
    "tr": "Turkish",
    "km": "Khmer",
    "lo": "Lao",
    "yue": "Cantonese",
    "cs": "Czech",
    "el": "Greek",
    "sv": "Swedish",
    "hu": "Hungarian",
    "da": "Danish",
    "fi": "Finnish",
    "uk": "Ukrainian",
    "bg": "Bulgarian",
    "sr": "Serbian",
    "te": "Telugu",
    "af": "Afrikaans",
    "hy": "Armenian",
    "as": "Assamese",
    "ast": "Asturian",
    "eu": "Basque",
    "be": "Belarusian",
    "bs": "Bosnian",
    "ca": "Catalan",
    "ceb": "Cebuano",
    "hr": "Croatian",
    "arz": "Egyptian Arabic",
    "et": "Estonian",
    "gl": "Galician",
    "ka": "Georgian",
    "gu": "Gujarati",
    "is": "Icelandic",
    "jv": "Javanese",
    "kn": "Kannada",
    "kk": "Kazakh",
    "lv": "Latvian",
    "lt": "Lithuanian",
    "lb": "Luxembourgish",
    "mk": "Macedonian",
    "mai": "Maithili",
    "mt": "Maltese",
    "mr": "Marathi",
    "acm": "Mesopotamian Arabic",
    "ary": "Moroccan Arabic",
    "ars": "Najdi Arabic",
    "ne": "Nepali",
    "az": "North Azerbaijani",
    "apc": "North Levantine Arabic",
    "uz": "Northern Uzbek",
    "nb": "Norwegian Bokmål",
    "nn": "Norwegian Nynorsk",
    "oc": "Occitan",
    "or": "Odia",
    "pag": "Pangasinan",
    "scn": "Sicilian",
    "sd": "Sindhi",
    "si": "Sinhala",
    "sk": "Slovak",
    "sl": "Slovenian",
    "ajp": "South Levantine Arabic",
    "sw": "Swahili",
    "tl": "Tagalog",
    "acq": "Ta\u2019izzi-Adeni Arabic",
    "sq": "Tosk Albanian",
    "aeb": "Tunisian Arabic",
    "vec": "Venetian",
    "war": "Waray",
    "cy": "Welsh",
    "fa": "Western Persian",
}
QWEN_NAMES: frozenset[str] = frozenset(QWEN_CODES.values())

LITE_CODES: dict[str, str] = {
    **{
        c: QWEN_CODES[c]
        for c in [
            "en",
            "zh",
            "zh_tw",
            "ru",
            "ja",
            "ko",
            "es",
            "fr",
            "pt",
            "de",
            "it",
            "th",
            "vi",
            "id",
            "ms",
            "ar",
            "hi",
            "he",
            "ur",
            "bn",
            "pl",
            "nl",
            "tr",
            "km",
            "cs",
            "sv",
            "hu",
            "da",
            "fi",
            "tl",
        ]
    },
    "fa": "Persian",
}
LITE_NAMES: frozenset[str] = frozenset(LITE_CODES.values())

# locale spellings (lower case, "_"-joined) that are not a bare code of the table
REGIONAL: dict[str, str] = {
    "zh_cn": "zh",
    "zh_sg": "zh",
    "zh_hans": "zh",
    "zh_my": "zh",
    "zh_hk": "zh_tw",
    "zh_mo": "zh_tw",
    "zh_hant": "zh_tw",
    "no": "nb",
    "fil": "tl",
    "iw": "he",
    "in": "id",
    "pes": "fa",
    "als": "sq",
    "uzn": "uz",
    "azj": "az",
    "zsm": "ms",
    "cmn": "zh",
}

MODELS: tuple[str, ...] = ("qwen-mt-flash", "qwen-mt-plus", "qwen-mt-turbo", "qwen-mt-lite")

_LOCALE = re.compile(
    r"^(?P<lang>[A-Za-z]{2,3})"
    r"(?:[_-](?P<script>[A-Za-z]{4}))?"
    r"(?:[_-](?P<region>[A-Za-z]{2}|\d{3}))?"
    r"(?:\.[\w-]+)?(?:@[A-Za-z0-9]+)?$"
)


class UnsupportedLanguage(ValueError):
    """A locale the Qwen-MT model has no language name for."""

    def __init__(self, locale: str, model: str, hint: str = "") -> None:
        self.locale, self.model = locale, model
        text = f"Qwen-MT model {model!r} does not support locale {locale!r}"
        super().__init__(f"{text} ({hint})" if hint else text)


def is_lite(model: str) -> bool:
    return "lite" in model.lower()


def _codes(locale: str) -> list[str]:
    """Table keys to try for `locale`, most specific first: zh_Hant_TW → zh_hant_tw, zh_hant…"""
    m = _LOCALE.match(locale.strip())
    if m is None:
        return []
    lang = m["lang"].lower()
    script = (m["script"] or "").lower()
    region = (m["region"] or "").lower()
    keys = []
    if script and region:
        keys.append(f"{lang}_{script}_{region}")
    if script:
        keys.append(f"{lang}_{script}")
    if region:
        keys.append(f"{lang}_{region}")
    keys.append(lang)
    return keys


def qwen_language(locale: str, model: str = "qwen-mt-flash") -> str:
    """The exact English name `model` takes for `locale`; UnsupportedLanguage otherwise.

    `pt_BR` → "Portuguese", `zh_TW`/`zh_Hant` → "Traditional Chinese", `nb_NO`/`no` →
    "Norwegian Bokmål", `fa` → "Western Persian" ("Persian" on qwen-mt-lite).
    """
    table = LITE_CODES if is_lite(model) else QWEN_CODES
    name = configured_name(locale)
    if name is not None and name in table.values():
        return name
    for key in _codes(locale):
        code = REGIONAL.get(key, key)
        if code in table:
            return table[code]
        if code in QWEN_CODES:  # known to the full models, not to this one
            raise UnsupportedLanguage(
                locale,
                model,
                f"{QWEN_CODES[code]!r} is not among its {len(table)} languages; "
                "qwen-mt-flash and qwen-mt-plus support 92",
            )
    if name is not None:
        raise UnsupportedLanguage(
            locale, model, f"its [locales.{locale}] name {name!r} is not among its languages"
        )
    raise UnsupportedLanguage(locale, model, f"not among its {len(table)} languages")


def supported(locale: str, model: str = "qwen-mt-flash") -> bool:
    try:
        qwen_language(locale, model)
    except UnsupportedLanguage:
        return False
    return True
