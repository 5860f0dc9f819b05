"""Glossaries in the pipeline: versions in the database, terms per segment and locale.

Every version records the hash of the term expectations its segment matched for its locale
(not of the whole glossary), so a glossary edit re-plans only the segments whose terms
changed: their unreviewed machine versions go stale and are translated again, while
approved or human versions are never replaced — they are flagged for review when they
violate the new terms.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from sqlalchemy.orm import Session

from locflow.catalog.segment import Segment
from locflow.catalog.terms import TermExpectation, check_terms
from locflow.db import glossary_repo, repo, segment_repo
from locflow.db.models import Project
from locflow.glossaries import Glossary, Term, load_glossary
from locflow.glossaries.matching import TermIndex, expectations_for
from locflow.settings import Config


@dataclass(frozen=True)
class SegmentTerms:
    """The glossary's say about one segment in one locale."""

    expectations: tuple[TermExpectation, ...] = ()

    @cached_property
    def hash(self) -> str:
        if not self.expectations:
            return ""
        payload = json.dumps(
            sorted(
                [e.source, list(e.accepted), sorted(e.forbidden), e.dnt, e.case_sensitive]
                for e in self.expectations
            ),
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]

    @property
    def pairs(self) -> tuple[tuple[str, str], ...]:
        """(source, preferred target) for engines; do-not-translate terms are masked instead."""
        return tuple(
            (e.source, e.accepted[0]) for e in self.expectations if e.accepted and not e.dnt
        )

    @property
    def dnt(self) -> tuple[str, ...]:
        return tuple(e.source for e in self.expectations if e.dnt)


NO_TERMS = SegmentTerms()


def term_to_dict(term: Term) -> dict[str, object]:
    return json.loads(term.canonical())


def term_from_dict(d: dict[str, object]) -> Term:
    dnt = d.get("dnt", False)
    return Term(
        source=str(d["source"]),
        targets=tuple((k, tuple(v)) for k, v in d.get("targets", [])),  # type: ignore[union-attr]
        forbidden=tuple((k, tuple(v)) for k, v in d.get("forbidden", [])),  # type: ignore[union-attr]
        case_sensitive=bool(d.get("case_sensitive", False)),
        do_not_translate=dnt if isinstance(dnt, bool) else tuple(dnt),  # type: ignore[arg-type]
        part_of_speech=str(d.get("pos", "")),
        note=str(d.get("note", "")),
    )


def import_glossary(s: Session, project_id: int, glossary: Glossary, path: str = "") -> bool:
    """Store the glossary as a new version when its content changed; True if it did."""
    terms = [term_to_dict(t) for t in glossary.terms]
    _, new = glossary_repo.store_glossary_version(
        s, project_id, glossary.name, glossary.content_hash, terms, path
    )
    return new


def sync_glossaries(s: Session, config: Config, project_id: int) -> list[str]:
    """Import every `[[glossaries]]` file; returns the names that got a new version."""
    changed = []
    for path in config.glossaries:
        glossary = load_glossary(path, config.source_locale)
        rel = (
            str(Path(path).relative_to(config.root))
            if Path(path).is_relative_to(config.root)
            else str(path)
        )
        if import_glossary(s, project_id, glossary, rel):
            changed.append(glossary.name)
    return changed


def project_glossary(s: Session, project_id: int) -> Glossary | None:
    """Every current glossary of the project merged into one (None when there is none)."""
    rows = glossary_repo.latest_glossaries(s, project_id)
    if not rows:
        return None
    parts = [
        Glossary(name, tuple(term_from_dict(d) for d in row.terms))
        for name, row in sorted(rows.items())
    ]
    return parts[0].merged(*parts[1:], name="project") if len(parts) > 1 else parts[0]


class SegmentTermFinder:
    """Matches a glossary in segments once, then answers per locale."""

    def __init__(self, glossary: Glossary | None, source_locale: str) -> None:
        self._index = TermIndex(glossary.terms, source_locale) if glossary else None
        self.glossary_hash = glossary.content_hash if glossary else ""

    def for_segment(self, segment: Segment, locale: str) -> SegmentTerms:
        if self._index is None:
            return NO_TERMS
        markdown = "markdown" in segment.flags
        texts = [segment.msgid] + ([segment.msgid_plural] if segment.msgid_plural else [])
        matches = [
            m for t in texts for m in self._index.match(t, flags=segment.flags, markdown=markdown)
        ]
        return SegmentTerms(expectations_for(matches, locale)) if matches else NO_TERMS


def violated(
    expectations: Iterable[TermExpectation], reasons: Iterable[str]
) -> tuple[TermExpectation, ...]:
    """The expectations a glossary issue's reasons name (for the automatic retry)."""
    text = " ".join(reasons)
    return tuple(e for e in expectations if f'"{e.source}"' in text or e.source in text)


@dataclass(frozen=True)
class Violation:
    version_id: int
    locale: str
    msgid: str
    state: int
    reasons: tuple[str, ...]


@dataclass
class Compliance:
    checked: int = 0
    compliant: int = 0
    violations: list[Violation] = field(default_factory=list)

    @property
    def percent(self) -> float | None:
        return round(100.0 * self.compliant / self.checked, 1) if self.checked else None


def compliance(s: Session, project: Project, locale: str) -> Compliance:
    """Current translations of segments that contain glossary terms, checked against today's
    glossary (the same check as at translation time)."""
    result = Compliance()
    glossary = project_glossary(s, project.id)
    if glossary is None:
        return result
    finder = SegmentTermFinder(glossary, project.source_locale)
    for source in repo.sources_of(s, project):
        rows = segment_repo.segment_rows(s, source.id, include_obsolete=False)
        current = repo.current_versions(s, [r.id for r in rows], locale)
        for row in rows:
            versions = current.get(row.id)
            if not versions or not any(versions[0].forms):
                continue
            terms = finder.for_segment(segment_repo.row_to_segment(row), locale)
            if not terms.expectations:
                continue
            result.checked += 1
            problems = check_terms(tuple(versions[0].forms), terms.expectations, locale)
            if problems:
                v = versions[0]
                result.violations.append(
                    Violation(v.id, locale, row.msgid, v.state, tuple(problems))
                )
            else:
                result.compliant += 1
    return result
