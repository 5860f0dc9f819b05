"""Glossary terms: what a source term must become, per target locale.

A `Term` carries the accepted translations per locale (the first is the preferred one), the
forbidden ones, do-not-translate (for all locales or listed ones), case sensitivity, a sense
note and part of speech, and where it was defined (file and line) for messages. A `Glossary`
is an ordered, validated tuple of terms with a content hash that changes exactly when a term's
meaning does (not when rows are reordered or moved), and a hash per term so a segment can be
keyed on only the terms it contains.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from locflow.catalog.locales import UnknownLocale, normalise_locale
from locflow.catalog.terms import TermExpectation

LocaleForms = tuple[tuple[str, tuple[str, ...]], ...]
"""(locale, forms) pairs sorted by locale: hashable stand-in for dict[str, tuple[str, ...]]."""


class GlossaryError(ValueError):
    """A glossary file is wrong somewhere; `str()` is one line, `file:line: what is wrong`."""

    def __init__(self, origin: str, line: int, reason: str) -> None:
        self.origin = origin
        self.line = line
        self.reason = " ".join(reason.split())
        where = f"{origin}:{line}" if line else origin
        super().__init__(f"{where}: {self.reason}")


def _fallbacks(locale: str) -> list[str]:
    """`fr_CA` → [fr_CA, fr]; `zh_Hant_TW` → [zh_Hant_TW, zh_Hant]; `sr_RS@latin` →
    [sr_RS@latin, sr@latin]. A bare language is never reached from a script or modifier
    (`sr@latin` must not fall back to Cyrillic `sr`)."""
    base, at, modifier = locale.partition("@")
    parts = base.split("_")
    chain = [locale]
    if len(parts) > 1 and (len(parts[-1]) == 2 or parts[-1].isdigit()):  # drop the territory
        shorter = "_".join(parts[:-1]) + at + modifier
        chain.append(shorter)
    return chain


def _canonical_locale(locale: str) -> str:
    try:
        return normalise_locale(locale)
    except UnknownLocale:
        return locale


def resolve_locale(locale: str, available: Iterable[str]) -> str | None:
    """The key of `available` that serves `locale`: itself, its parent (`fr_CA` → `fr`), or for
    a bare language the first regional variant (`fr` → `fr_FR`) when that is all there is."""
    keys = tuple(available)
    wanted = _canonical_locale(locale)
    for candidate in _fallbacks(wanted):
        if candidate in keys:
            return candidate
    if "_" not in wanted and "@" not in wanted:
        regional = sorted(k for k in keys if k.split("_")[0] == wanted and "@" not in k)
        regional = [k for k in regional if len(k.split("_")) == 2 and len(k.split("_")[1]) != 4]
        if regional:
            return regional[0]
    return None


def _lookup(pairs: LocaleForms, locale: str) -> tuple[str, ...]:
    key = resolve_locale(locale, (k for k, _ in pairs))
    return dict(pairs)[key] if key is not None else ()


def _pairs(
    value: Mapping[str, Iterable[str] | str] | Iterable[tuple[str, Iterable[str] | str]],
) -> LocaleForms:
    items = value.items() if isinstance(value, Mapping) else value
    merged: dict[str, list[str]] = {}
    for locale, forms in items:
        bucket = merged.setdefault(_canonical_locale(locale), [])
        bucket.extend([forms] if isinstance(forms, str) else forms)
    out = []
    for locale in sorted(merged):
        forms = tuple(dict.fromkeys(" ".join(f.split()) for f in merged[locale] if f.strip()))
        if forms:
            out.append((locale, forms))
    return tuple(out)


@dataclass(frozen=True)
class Term:
    """One source term and what it must (and must not) become in each target locale."""

    source: str
    targets: LocaleForms = ()
    """(locale, accepted forms) pairs; the first form is the preferred one."""
    case_sensitive: bool = False
    do_not_translate: bool | tuple[str, ...] = False
    """True for every locale, or the locales where the term stays as it is."""
    part_of_speech: str = ""
    note: str = ""
    """The sense, as a translator (and an engine prompt) should read it."""
    forbidden: LocaleForms = ()
    """(locale, forms) a translation must not use."""
    line: int = field(default=0, compare=False)
    origin: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "source", " ".join(self.source.split()))
        object.__setattr__(self, "targets", _pairs(self.targets))
        object.__setattr__(self, "forbidden", _pairs(self.forbidden))
        object.__setattr__(self, "part_of_speech", self.part_of_speech.strip())
        object.__setattr__(self, "note", " ".join(self.note.split()))
        dnt = self.do_not_translate
        if not isinstance(dnt, bool):  # a tuple of locales; none at all means False
            dnt = tuple(sorted({_canonical_locale(code) for code in dnt})) or False
        object.__setattr__(self, "do_not_translate", dnt)

    @classmethod
    def create(
        cls,
        source: str,
        targets: Mapping[str, Iterable[str] | str] | None = None,
        *,
        forbidden: Mapping[str, Iterable[str] | str] | None = None,
        case_sensitive: bool = False,
        do_not_translate: bool | Iterable[str] = False,
        part_of_speech: str = "",
        note: str = "",
        line: int = 0,
        origin: str = "",
    ) -> Term:
        """Build a term from plain mappings (`{"fr": ["carnet"]}` or `{"fr": "carnet"}`)."""
        dnt = do_not_translate if isinstance(do_not_translate, bool) else tuple(do_not_translate)
        return cls(
            source=source,
            targets=_pairs(targets or {}),
            forbidden=_pairs(forbidden or {}),
            case_sensitive=case_sensitive,
            do_not_translate=dnt,
            part_of_speech=part_of_speech,
            note=note,
            line=line,
            origin=origin,
        )

    @property
    def locales(self) -> tuple[str, ...]:
        """Every locale the term says something about."""
        dnt = () if isinstance(self.do_not_translate, bool) else self.do_not_translate
        keys = {k for k, _ in self.targets} | {k for k, _ in self.forbidden} | set(dnt)
        return tuple(sorted(keys))

    def accepted(self, locale: str) -> tuple[str, ...]:
        """Accepted translations for `locale` (falling back `fr_CA` → `fr`), preferred first.
        A do-not-translate term's only accepted form is its source."""
        if self.dnt_for(locale):
            return (self.source,)
        return _lookup(self.targets, locale)

    def forbidden_for(self, locale: str) -> tuple[str, ...]:
        return _lookup(self.forbidden, locale)

    def dnt_for(self, locale: str) -> bool:
        if isinstance(self.do_not_translate, bool):
            return self.do_not_translate
        return resolve_locale(locale, self.do_not_translate) is not None

    def expectation(self, locale: str) -> TermExpectation | None:
        """What the compliance check needs for `locale`; None when the term asks nothing."""
        dnt = self.dnt_for(locale)
        accepted = () if dnt else _lookup(self.targets, locale)
        forbidden = self.forbidden_for(locale)
        if not (dnt or accepted or forbidden):
            return None
        return TermExpectation(
            source=self.source,
            accepted=accepted,
            forbidden=forbidden,
            dnt=dnt,
            case_sensitive=self.case_sensitive,
            note=self.note,
        )

    def canonical(self) -> str:
        """The term's meaning as canonical JSON (what the hashes cover; not line or file)."""
        dnt = self.do_not_translate
        payload = {
            "source": self.source,
            "case_sensitive": self.case_sensitive,
            "dnt": dnt if isinstance(dnt, bool) else list(dnt),
            "pos": self.part_of_speech,
            "note": self.note,
            "targets": [[k, list(v)] for k, v in self.targets],  # order of forms matters
            "forbidden": [[k, sorted(v)] for k, v in self.forbidden],
        }
        return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    @cached_property
    def digest(self) -> str:
        return hashlib.sha256(self.canonical().encode("utf-8")).hexdigest()

    @property
    def where(self) -> str:
        return f"{self.origin or '<glossary>'}:{self.line}" if self.line else self.origin

    def problems(self) -> list[str]:
        """Contradictions inside the term (empty when it is consistent)."""
        out = []
        if not self.source:
            out.append("empty source term")
        folded = self.source.casefold()
        for locale, forms in self.targets:
            if self.dnt_for(locale) and any(f.casefold() != folded for f in forms):
                out.append(
                    f"{self.source!r} is do-not-translate for {locale} but has the "
                    f"translation {forms[0]!r}"
                )
        for locale, bad in self.forbidden:
            both = set(bad) & set(self.accepted(locale))
            if both:
                out.append(f"{sorted(both)[0]!r} is both accepted and forbidden for {locale}")
        return out


def term_hash(term: Term) -> str:
    """sha256 of one term's meaning."""
    return term.digest


def terms_hash(terms: Iterable[Term]) -> str:
    """sha256 of a set of terms (order and repeats do not matter): the matched-terms hash."""
    digests = sorted({t.digest for t in terms})
    return hashlib.sha256("\n".join(digests).encode("ascii")).hexdigest()


def _dedupe_key(term: Term) -> tuple[str, str, str]:
    return (term.source.casefold(), term.part_of_speech.casefold(), term.note.casefold())


@dataclass(frozen=True)
class Glossary:
    """A named, validated set of terms. Raises GlossaryError on a duplicate or a contradiction.

    Two terms with the same source are allowed when their part of speech or note tells the
    senses apart (homonyms); a case-sensitive term and a differently cased one are distinct.
    """

    name: str
    terms: tuple[Term, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "terms", tuple(self.terms))
        seen: dict[tuple[str, str, str], list[Term]] = {}
        for term in self.terms:
            problems = term.problems()
            if problems:
                raise GlossaryError(term.origin or self.name, term.line, problems[0])
            earlier = seen.setdefault(_dedupe_key(term), [])
            for other in earlier:
                if other.source == term.source or not (other.case_sensitive or term.case_sensitive):
                    first = f" (first on line {other.line})" if other.line else ""
                    raise GlossaryError(
                        term.origin or self.name,
                        term.line,
                        f"duplicate term {term.source!r}{first}; give each sense its own "
                        "note or part of speech",
                    )
            earlier.append(term)

    @cached_property
    def content_hash(self) -> str:
        """sha256 over the terms' meanings, independent of their order in the file."""
        return terms_hash(self.terms)

    def term_hash(self, term: Term) -> str:
        return term.digest

    @property
    def locales(self) -> tuple[str, ...]:
        return tuple(sorted({loc for t in self.terms for loc in t.locales}))

    def __len__(self) -> int:
        return len(self.terms)

    def merged(self, *others: Glossary, name: str | None = None) -> Glossary:
        """This glossary and others as one (duplicates across files are errors too)."""
        terms = self.terms + tuple(t for g in others for t in g.terms)
        return Glossary(name=name or "+".join([self.name, *(g.name for g in others)]), terms=terms)
