"""Glossaries: the Term model, CSV and TBX loading, and finding terms in source text.

The compliance check itself lives in `catalog.terms` (pure, no import of this package); this
package turns matched terms into the `TermExpectation`s it reads from `CheckContext.terms`.
"""

from __future__ import annotations

from pathlib import Path

from locflow.glossaries.load_csv import load_csv, parse_csv
from locflow.glossaries.load_tbx import load_tbx, parse_tbx
from locflow.glossaries.matching import (
    Match,
    TermIndex,
    compile_terms,
    dnt_terms,
    expectations_for,
    match_segment,
    match_terms,
    matched_terms,
)
from locflow.glossaries.model import (
    Glossary,
    GlossaryError,
    Term,
    resolve_locale,
    term_hash,
    terms_hash,
)

__all__ = [
    "Glossary",
    "GlossaryError",
    "Match",
    "Term",
    "TermIndex",
    "compile_terms",
    "dnt_terms",
    "expectations_for",
    "load_csv",
    "load_glossary",
    "load_tbx",
    "match_segment",
    "match_terms",
    "matched_terms",
    "parse_csv",
    "parse_tbx",
    "resolve_locale",
    "term_hash",
    "terms_hash",
]


def load_glossary(
    path: str | Path, source_locale: str | None = None, *, name: str | None = None
) -> Glossary:
    """Load a `.csv`/`.tsv` or `.tbx`/`.xml` glossary by its extension."""
    suffix = Path(path).suffix.lower()
    if suffix in (".tbx", ".xml"):
        return load_tbx(path, source_locale, name=name)
    if suffix in (".csv", ".tsv", ".txt"):
        return load_csv(path, name=name)
    raise GlossaryError(
        str(path), 0, f"unknown glossary format {suffix or '(none)'}: use .csv or .tbx"
    )
