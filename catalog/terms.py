"""Glossary compliance: did a translation use the terms the glossary asks for?

Pure logic on plain data. The glossary package matches terms in the source and hands the
check one `TermExpectation` per matched term (through `CheckContext.terms`); this module never
imports it. A target form satisfies a term when one accepted translation occurs in it:
case-insensitively unless the term is case-sensitive, word by word for scripts that separate
words (a Snowball stemmer per language, plus a close-stem rule, so "Arbeitsbereiche" counts for
"Arbeitsbereich" and "espaces de travail" for "espace de travail"), as a substring for Chinese,
Japanese, Korean, Thai, Lao, Khmer and Burmese. A do-not-translate term must occur as written;
no forbidden translation may occur (except inside an accepted one).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from locflow.catalog.check_forms import CheckContext
from locflow.catalog.segment import Segment

NO_SPACE_SCRIPTS = (
    "\u0e00-\u0eff"  # Thai, Lao
    "\u1000-\u109f"  # Myanmar
    "\u1100-\u11ff"  # Hangul Jamo
    "\u1780-\u17ff"  # Khmer
    "\u2e80-\u2fdf"  # CJK radicals
    "\u3005-\u3007"  # 々 〆 〇
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3130-\u318f"  # Hangul compatibility Jamo
    "\u31f0-\u31ff"  # Katakana phonetic extensions
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\ua960-\ua97f"  # Hangul Jamo extended-A
    "\uac00-\ud7af"  # Hangul syllables
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\uff66-\uff9f"  # halfwidth Katakana
    "\U00020000-\U0003134f"  # CJK extensions B–H
)
"""Character ranges of scripts written without spaces: terms match there as substrings."""

POINTS = (
    "\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7"  # Hebrew points and accents
    "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed"  # Arabic
)
"""Optional vowel points and cantillation: part of a word, but a term may end before them."""

MARKS = (
    "\u0300-\u036f"  # combining diacritics
    "\u0483-\u0489"  # Cyrillic combining marks
    "\u0900-\u0dff"  # Indic scripts (vowel signs are not \\w)
    "\u200c\u200d" + POINTS  # ZWNJ, ZWJ
)
"""Combining marks that belong to a word although Python's \\w does not count them."""

WORD_CHAR = f"(?:[^\\W_{NO_SPACE_SCRIPTS}]|[{MARKS}])"
"""A character that continues a word in a script separated by spaces (never CJK or Thai)."""

_WORD = re.compile(f"(?:[^\\W_]|[{MARKS}])+")
_NO_SPACE = re.compile(f"[{NO_SPACE_SCRIPTS}]")
_SNOWBALL = {
    "ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "cs": "czech",
    "da": "danish", "nl": "dutch", "en": "english", "eo": "esperanto", "et": "estonian",
    "fi": "finnish", "fr": "french", "de": "german", "el": "greek", "hi": "hindi",
    "hu": "hungarian", "id": "indonesian", "ga": "irish", "it": "italian", "lt": "lithuanian",
    "ne": "nepali", "nb": "norwegian", "nn": "norwegian", "no": "norwegian", "fa": "persian",
    "pl": "polish", "pt": "portuguese", "ro": "romanian", "ru": "russian", "sr": "serbian",
    "es": "spanish", "sv": "swedish", "ta": "tamil", "tr": "turkish", "yi": "yiddish",
}  # fmt: skip
# Languages that glue nouns into compounds: "Notizbuch" contains "Notiz".
_COMPOUNDING = frozenset({"de", "nl", "sv", "da", "nb", "nn", "no", "fi", "is", "et", "af"})
_HEBREW_PROCLITICS = "והבכלמש"


@dataclass(frozen=True)
class TermExpectation:
    """One glossary term as the compliance check sees it, for one target locale."""

    source: str
    accepted: tuple[str, ...] = ()
    """Accepted translations, preferred first (empty: only `forbidden` is checked)."""
    forbidden: tuple[str, ...] = ()
    dnt: bool = False
    """Do not translate: `source` must appear as written."""
    case_sensitive: bool = False
    note: str = ""


def language(locale: str) -> str:
    """`pt_BR` → `pt`, `sr@latin` → `sr`."""
    return locale.replace("-", "_").partition("@")[0].partition("_")[0].lower()


def fold(text: str) -> str:
    """Case folding that keeps lengths: lower case, final sigma as σ."""
    return text.lower().replace("ς", "σ")


def has_no_space_script(text: str) -> bool:
    return _NO_SPACE.search(text) is not None


def check_terms(
    forms: Sequence[str], expectations: Iterable[TermExpectation], target_locale: str
) -> list[str]:
    """One-line reasons why `forms` (one per plural index) break the glossary; [] if none."""
    reasons: list[str] = []
    present = [(i, form) for i, form in enumerate(forms) if form.strip()]
    plural = len(forms) > 1
    for exp in dict.fromkeys(expectations):
        failed: dict[str, list[int]] = {}
        for i, form in present:
            for reason in _violations(form, exp, target_locale):
                failed.setdefault(reason, []).append(i)
        for reason, where in failed.items():
            if plural and len(where) < len(present):
                reason += " in " + ", ".join(f"msgstr[{i}]" for i in where)
            reasons.append(reason)
    return reasons


def _violations(form: str, exp: TermExpectation, locale: str) -> list[str]:
    out = []
    if exp.dnt:
        if not _verbatim(form, exp.source, exp.case_sensitive):
            out.append(f'"{exp.source}" must stay as it is (do not translate)')
        return out
    good: list[tuple[int, int]] = []
    for accepted in exp.accepted:
        good.extend(occurrences(form, accepted, locale, case_sensitive=exp.case_sensitive))
    if exp.accepted and not good:
        reason = f'"{exp.source}" should be translated as "{exp.accepted[0]}"'
        if len(exp.accepted) > 1:
            reason += " (or " + ", ".join(f'"{a}"' for a in exp.accepted[1:]) + ")"
        out.append(reason)
    for bad in exp.forbidden:
        spans = occurrences(form, bad, locale)
        if any(not any(b < e2 and b2 < e for b2, e2 in good) for b, e in spans):
            reason = f'"{bad}" is a forbidden translation of "{exp.source}"'
            if exp.accepted:
                reason += f'; use "{exp.accepted[0]}"'
            out.append(reason)
    return out


def _verbatim(text: str, phrase: str, case_sensitive: bool) -> bool:
    """`phrase` as written, starting a word (a suffix may follow: "Quillnote'а" counts)."""
    body = r"\s+".join(re.escape(part) for part in phrase.split())
    lead = "" if has_no_space_script(phrase[:1]) else f"(?<!{WORD_CHAR})"
    flags = 0 if case_sensitive else re.IGNORECASE
    return re.search(lead + body, text, flags) is not None


def occurrences(
    text: str, phrase: str, locale: str, *, case_sensitive: bool = False
) -> list[tuple[int, int]]:
    """Spans of `text` where `phrase` occurs, allowing inflection in the language of `locale`."""
    phrase = " ".join(phrase.split())
    want = _WORD.findall(phrase)
    if not want or has_no_space_script(phrase):
        body = r"\s*".join(re.escape(part) for part in phrase.split())
        flags = 0 if case_sensitive else re.IGNORECASE
        return [(m.start(), m.end()) for m in re.finditer(body, text, flags)] if body else []
    words = list(_WORD.finditer(text))
    lang = language(locale)
    n = len(want)
    spans = []
    for i in range(len(words) - n + 1):
        if all(_same_word(want[j], words[i + j].group(), lang, case_sensitive) for j in range(n)):
            spans.append((words[i].start(), words[i + n - 1].end()))
    return spans


def _same_word(expected: str, actual: str, lang: str, case_sensitive: bool) -> bool:
    fe, fa = fold(expected), fold(actual)
    if not word_matches(fe, fa, lang):
        return False
    if case_sensitive:  # the part both share must be cased as in the glossary
        k = _common(fe, fa)
        return actual[:k] == expected[:k] and k > 0
    return True


@lru_cache(maxsize=65536)
def word_matches(expected: str, actual: str, lang: str) -> bool:
    """Is folded word `actual` an inflected form of folded word `expected` in `lang`?"""
    if expected == actual:
        return True
    stem = stemmer(lang)
    want = stem(expected)
    variants = [actual, *_proclitic_variants(actual)] if lang == "he" else [actual]
    for variant in variants:
        got = stem(variant)
        if variant == expected or got == want or _close(want, got) or _close(expected, variant):
            return True
        if (
            lang in _COMPOUNDING
            and len(want) >= 4
            and (got.startswith(want) or variant.endswith(expected) or got.endswith(want))
        ):
            return True
    return False


def _common(a: str, b: str) -> int:
    """Length of the common prefix of two strings."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _close(a: str, b: str) -> bool:
    """Words or stems that differ only in their last letters: one extends the other when short
    (note/notes, not note/nota); Russian fleeting vowels (заметк/заметок) when longer."""
    short = min(len(a), len(b))
    if short < 4 or abs(len(a) - len(b)) > 2:
        return False
    slack = 0 if short <= 5 else 1 if short == 6 else 2
    return _common(a, b) >= short - slack


def _proclitic_variants(word: str) -> list[str]:
    """Hebrew words take prefixes (ו and, ה the, ב in, ל to, מ from, ש that, כ as)."""
    out = []
    for k in (1, 2):
        if len(word) - k >= 2 and all(ch in _HEBREW_PROCLITICS for ch in word[:k]):
            out.append(word[k:])
    return out


def _hebrew_stem(word: str) -> str:
    """A light Hebrew stemmer: plural -ים/-ות and feminine -ה/-ת endings."""
    if len(word) >= 4 and word.endswith(("ים", "ות")):
        return word[:-2]
    if len(word) >= 4 and word.endswith(("ה", "ת")):
        return word[:-1]
    return word


@lru_cache(maxsize=64)
def stemmer(lang: str) -> Callable[[str], str]:
    """A thread-safe stem function for a language (identity when there is no stemmer)."""
    if lang == "he":
        return _hebrew_stem
    name = _SNOWBALL.get(lang)
    if name is None:
        return str
    try:
        import snowballstemmer
    except ImportError:  # pragma: no cover - a declared dependency
        return str
    try:
        algorithm = snowballstemmer.stemmer(name)
    except KeyError:  # an older snowballstemmer without this language
        return str
    lock = threading.Lock()

    @lru_cache(maxsize=16384)
    def stem(word: str) -> str:
        with lock:
            return algorithm.stemWord(word)

    return stem


def glossary_rule(segment: Segment, forms: tuple[str, ...], ctx: CheckContext) -> str | None:
    """Term compliance: `ctx.terms` holds one TermExpectation per glossary term in the source."""
    for term in ctx.terms:
        if not isinstance(term, TermExpectation):
            raise TypeError(f"CheckContext.terms wants TermExpectation, got {type(term).__name__}")
    reasons = check_terms(forms, ctx.terms, ctx.target_locale)  # type: ignore[arg-type]
    return " | ".join(reasons) or None
