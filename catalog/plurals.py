"""Plural forms: gettext's `Plural-Forms` header and CLDR categories, with a sample per form."""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from babel.messages.plurals import get_plural

from locflow.catalog.locales import UnknownLocale, babel_locale

_HEADER = re.compile(
    r"^\s*nplurals\s*=\s*(?P<n>\d+)\s*;\s*plural\s*=\s*(?P<expr>.+?)\s*;?\s*$", re.DOTALL
)
_SCAN = range(0, 1001)
# Forms reached only by large numbers, e.g. French "many" for n % 1000000 == 0.
_LARGE = (*range(1001, 10001), 10**5, 10**6, 2 * 10**6, 10**7, 10**9)
_EXAMPLES = 6


@dataclass(frozen=True)
class PluralForm:
    """One gettext plural index (msgstr[index])."""

    index: int
    category: str
    """CLDR category of `sample` in the target locale: zero, one, two, few, many or other."""
    sample: int | None
    """A number n that selects this index (None only when the expression never does)."""
    examples: tuple[int, ...] = ()
    """The first few n in 0..1000 that select this index."""
    single: bool = False
    """True when exactly one n in 0..1000 selects this index (gettext lets such a form omit
    the number placeholder, e.g. "one file" for n=1)."""


@dataclass(frozen=True)
class PluralInfo:
    nplurals: int
    expression: str
    header: str
    forms: tuple[PluralForm, ...]
    assumed: bool = False
    """True for `STAND_IN`: no rule is known, and none is needed (no plural entry)."""

    def index(self, n: int) -> int:
        """The gettext plural index for n."""
        return _evaluator(self.expression)(n)


def parse_plural_forms(header: str) -> tuple[int, str]:
    """Split `nplurals=N; plural=EXPR;` into (N, EXPR); ValueError when malformed."""
    m = _HEADER.match(header)
    if m is None:
        raise ValueError(
            f"malformed Plural-Forms header {header!r}: expected 'nplurals=N; plural=EXPR;'"
        )
    nplurals = int(m["n"])
    if not 1 <= nplurals <= 6:
        raise ValueError(f"malformed Plural-Forms header {header!r}: nplurals must be 1..6")
    expr = m["expr"].strip()
    _evaluator(expr)  # raises ValueError when the expression is not valid C
    return nplurals, expr


class NoPluralRule(UnknownLocale):
    """A locale outside CLDR with no Plural-Forms in its catalogue and no `[locales.X]
    plural_forms`: fine until a plural entry needs the rule (the pipeline then raises a
    ConfigError naming the setting)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.args = (
            f"locale {code!r} has no plural rule: CLDR does not know it and its catalogue has "
            f'no Plural-Forms; set [locales.{code}] plural_forms = "nplurals=N; plural=EXPR;" '
            "in locflow.toml",
        )


_CONFIGURED: dict[str, str] = {}
"""`[locales.X] plural_forms` of the configuration in use (settings sets them)."""


def use_plural_rules(rules: Mapping[str, str]) -> None:
    """Make `rules` (locale → Plural-Forms, from `[locales.X] plural_forms`) the rules
    `plural_info` falls back to before CLDR; every caller sees them without a Config."""
    _CONFIGURED.clear()
    _CONFIGURED.update(rules)


def plural_info(locale: str, plural_forms: str | None = None) -> PluralInfo:
    """Plural forms of `locale`, in gettext's order: the catalogue's own header when given,
    else `[locales.X] plural_forms`, else Babel/CLDR; NoPluralRule when none has one.

    Categories always come from CLDR for the sample number, so a header that disagrees with
    CLDR keeps its own forms and still gets meaningful category names.
    """
    header = plural_forms.strip() if plural_forms and plural_forms.strip() else None
    return _plural_info(locale, header or _CONFIGURED.get(locale))


@lru_cache(maxsize=512)
def _plural_info(locale: str, header: str | None) -> PluralInfo:
    """Cached: a no-op run asks once per catalogue, and each answer scans n = 0..1000."""
    try:
        loc = babel_locale(locale)
    except UnknownLocale:
        if header is None:
            raise NoPluralRule(locale) from None
        loc = None
    if header is None:
        tup = get_plural(loc)
        nplurals, expr, header = tup.num_plurals, tup.plural_expr, tup.plural_forms
    else:
        nplurals, expr = parse_plural_forms(header)
    return _build(nplurals, expr, header, loc.plural_form if loc is not None else None)


STAND_IN_HEADER = "nplurals=2; plural=(n != 1);"


def stand_in(locale: str) -> PluralInfo:
    """What a locale without any rule plans with while no entry is plural (`assumed`: a
    new catalogue then gets no Plural-Forms rather than a made-up one)."""
    info = _plural_info(locale, STAND_IN_HEADER)
    return PluralInfo(info.nplurals, info.expression, info.header, info.forms, assumed=True)


def _build(
    nplurals: int, expr: str, header: str, category_of: Callable[[int], str] | None
) -> PluralInfo:
    evaluate = _evaluator(expr)
    seen: dict[int, list[int]] = {i: [] for i in range(nplurals)}
    for n in _SCAN:
        seen[_index(evaluate, n, nplurals, header)].append(n)
    missing = [i for i, ns in seen.items() if not ns]
    large: dict[int, int] = {}
    for n in _LARGE if missing else ():
        i = _index(evaluate, n, nplurals, header)
        if i in missing and i not in large:
            large[i] = n
            if len(large) == len(missing):
                break
    forms = []
    for i, ns in seen.items():
        sample = _typical(ns) if ns else large.get(i)
        forms.append(
            PluralForm(
                index=i,
                category=_category(category_of, sample, ns, nplurals, i),
                sample=sample,
                examples=tuple(ns[:_EXAMPLES]),
                single=len(ns) == 1,
            )
        )
    return PluralInfo(nplurals=nplurals, expression=expr, header=header, forms=tuple(forms))


def _typical(ns: list[int]) -> int:
    """1 when the form covers 1, else the smallest n >= 2 (2 for few, 5 for many), else 0."""
    if 1 in ns:
        return 1
    return next((n for n in ns if n >= 2), ns[0])


def _category(
    category_of: Callable[[int], str] | None,
    sample: int | None,
    ns: list[int],
    nplurals: int,
    index: int,
) -> str:
    if sample is None:
        return "other"
    if category_of is not None:
        return category_of(sample)
    # Locale unknown to Babel but a header was given: a coarse guess.
    if nplurals == 1:
        return "other"
    return "one" if 1 in ns and index == 0 else "other"


def _index(evaluate: Callable[[int], int], n: int, nplurals: int, header: str) -> int:
    try:
        i = int(evaluate(n))
    except ArithmeticError as exc:
        raise ValueError(f"Plural-Forms {header!r} fails for n={n}: {exc}") from None
    if not 0 <= i < nplurals:
        raise ValueError(f"Plural-Forms {header!r} gives index {i} for n={n}, beyond nplurals")
    return i


@lru_cache(maxsize=128)
def _evaluator(expr: str) -> Callable[[int], int]:
    try:
        return gettext.c2py(expr)
    except (ValueError, SyntaxError, RecursionError) as exc:
        raise ValueError(f"invalid plural expression {expr!r}: {exc}") from None
