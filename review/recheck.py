"""Checks on a reviewer's text, run the way the pipeline runs them: the catalogue's own
plural forms (else CLDR's) and the terms the project's glossary matches in the source."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from locflow.catalog.checks import CheckContext, Issue, run_checks
from locflow.catalog.plurals import PluralInfo, plural_info
from locflow.connectors.po_parse import parse_po
from locflow.db import catalog_repo, segment_repo
from locflow.db.models import CatalogFile, Project, SegmentRow


def check_forms(
    s: Session, seg: SegmentRow, project: Project, locale: str, forms: tuple[str, ...]
) -> tuple[list[dict[str, str]], str, str]:
    """Every check on `forms` as the pipeline runs them (with the project's glossary):
    (issues, matched-terms hash, glossary hash)."""
    from locflow.pipeline.terms import SegmentTermFinder, project_glossary

    segment = segment_repo.row_to_segment(seg)
    finder = SegmentTermFinder(project_glossary(s, project.id), project.source_locale)
    terms = finder.for_segment(segment, locale)
    ctx = CheckContext(
        source_locale=project.source_locale,
        target_locale=locale,
        plural=plural_for(s, seg.source_id, locale),
        terms=terms.expectations,
    )
    found = run_checks(segment, forms, ctx)
    return [_issue_dict(i) for i in found], terms.hash, finder.glossary_hash


def _issue_dict(issue: Issue) -> dict[str, str]:
    return {"check": issue.check, "severity": issue.severity, "message": issue.message}


# --- plural forms of a catalogue --------------------------------------------------------

_HEADERS: dict[str, str | None] = {}
"""Plural-Forms header by catalogue content hash (parsing a catalogue once per content)."""


def plural_for(s: Session, source_id: int, locale: str) -> PluralInfo:
    """The stored catalogue's own Plural-Forms when it has one, else CLDR's (as the
    pipeline does)."""
    digest = s.scalar(
        select(CatalogFile.content_hash).where(
            CatalogFile.source_id == source_id, CatalogFile.locale == locale
        )
    )
    if digest is None:
        return plural_info(locale)
    if digest not in _HEADERS:
        stored = catalog_repo.catalog_file(s, source_id, locale)
        if stored is None:
            return plural_info(locale)
        if len(_HEADERS) > 256:
            _HEADERS.clear()
        _HEADERS[digest] = parse_po(stored.content, stored.path).plural_forms()
    return plural_info(locale, _HEADERS[digest])
