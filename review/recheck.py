"""Checks on a reviewer's text, run the way the pipeline runs them: the catalogue's own
plural forms (else CLDR's) and charset, and the terms the project's glossary matches in the
source."""

from __future__ import annotations

from sqlalchemy.orm import Session

from locflow.catalog.checks import CheckContext, run_checks
from locflow.db import segment_repo
from locflow.db.models import Project, SegmentRow
from locflow.pipeline.charsets import catalogue_charset
from locflow.pipeline.plan import plural_for
from locflow.pipeline.terms import SegmentTermFinder, project_glossary
from locflow.pipeline.translate import issue_dict


def check_forms(
    s: Session, seg: SegmentRow, project: Project, locale: str, forms: tuple[str, ...]
) -> tuple[list[dict[str, str]], str, str]:
    """Every check on `forms` as the pipeline runs them (with the project's glossary):
    (issues, matched-terms hash, glossary hash)."""
    segment = segment_repo.row_to_segment(seg)
    finder = SegmentTermFinder(project_glossary(s, project.id), project.source_locale)
    terms = finder.for_segment(segment, locale)
    ctx = CheckContext(
        source_locale=project.source_locale,
        target_locale=locale,
        plural=plural_for(s, seg.source_id, locale),
        terms=terms.expectations,
        charset=catalogue_charset(s, seg.source_id, locale),
    )
    found = run_checks(segment, forms, ctx)
    return [issue_dict(i) for i in found], terms.hash, finder.glossary_hash
