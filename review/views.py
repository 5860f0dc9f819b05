"""What the review UI's templates get: filters from the query string, queue rows and one
item with highlighted text, and the project's glossary for highlighting."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from locflow.catalog.checks import CHECKS
from locflow.db import glossary_repo, review_repo
from locflow.db.review_repo import PENDING, Earlier, QueueFilter, QueueRow
from locflow.db.states import State
from locflow.glossaries import Glossary, GlossaryError, load_glossary
from locflow.pipeline.terms import project_glossary
from locflow.review.detail import Detail
from locflow.review.present import (
    DiffPiece,
    GlossaryView,
    Piece,
    highlight,
    origin_label,
    target_term_spans,
    word_diff,
)
from locflow.settings import Config

STATE_CHOICES = ("pending", "needs_review", "machine", "stale", "approved", "all")
ISSUE_CHOICES = ("any", *CHECKS, "engine", "fuzzy", "plural-sample")
PAGE_SIZE = 50


@dataclass(frozen=True)
class Filters:
    state: str = "pending"
    issue: str = ""
    source: str = ""
    q: str = ""
    page: int = 1

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> Filters:
        state = params.get("state", "pending")
        issue = params.get("issue", "")
        try:
            page = max(1, min(int(params.get("page", "1")), 10**6))
        except ValueError:
            page = 1
        return cls(
            state=state if state in STATE_CHOICES else "pending",
            issue=issue if issue in ISSUE_CHOICES else "",
            source=params.get("source", "")[:1000],
            q=params.get("q", "")[:200],
            page=page,
        )

    def queue(self, locale: str) -> QueueFilter:
        if self.state == "pending":
            states: tuple[State, ...] = PENDING
        elif self.state == "all":
            states = ()
        else:
            states = (State[self.state.upper()],)
        return QueueFilter(locale, states, self.issue or None, self.source or None, self.q or None)

    def query(self, **changes: Any) -> str:
        """The query string for these filters (defaults left out), with some changed."""
        values = {"state": self.state, "issue": self.issue, "source": self.source, "q": self.q}
        values["page"] = str(self.page) if self.page > 1 else ""
        values.update({k: str(v) for k, v in changes.items()})
        kept = {k: v for k, v in values.items() if v and not (k == "state" and v == "pending")}
        return urlencode(kept)


@dataclass(frozen=True)
class RowView:
    row: QueueRow
    source: list[Piece]
    source_plural: list[Piece] | None
    targets: list[list[Piece]]
    earlier: Earlier | None
    """The translation from before the source changed, when it differs from the target."""
    source_change: list[DiffPiece] | None
    """How the msgid was reworded (old → new), when it was."""
    has_errors: bool
    origin: str
    """Where the text came from: "human · fanny", "memory", the engine's name."""
    why_not: str
    """Why `a` cannot approve it from the queue ("" when it can)."""


def failing_checks(issues: tuple[dict[str, Any], ...]) -> list[str]:
    """The error-level checks a version fails, each once."""
    return sorted({str(i.get("check")) for i in issues if i.get("severity") == "error"})


def why_not_approvable(row: QueueRow) -> str:
    """What stops a one-key approval of this row, in words a reviewer acts on."""
    if row.state == State.APPROVED:
        return "it is already approved"
    if not any(row.forms):
        return "it is empty: open it (o) and write the translation"
    errors = failing_checks(row.issues)
    if errors:
        return (
            f"it fails the {', '.join(errors)} check{'s' if len(errors) > 1 else ''}: "
            "open it (o) to fix it, or approve it anyway there"
        )
    return ""


def row_view(row: QueueRow, glossary: GlossaryView, earlier: Earlier | None) -> RowView:
    seg_terms = glossary.expectations(row.segment, row.locale)
    return RowView(
        row=row,
        source=highlight(
            row.msgid, row.flags, glossary.source_spans(row.msgid, row.flags, row.locale)
        ),
        source_plural=highlight(
            row.msgid_plural,
            row.flags,
            glossary.source_spans(row.msgid_plural, row.flags, row.locale),
        )
        if row.msgid_plural is not None
        else None,
        targets=[highlight(f, row.flags, target_term_spans(f, seg_terms)) for f in row.forms],
        earlier=earlier if earlier is not None and earlier.forms != row.forms else None,
        source_change=source_change(row, earlier),
        has_errors=any(i.get("severity") == "error" for i in row.issues),
        origin=origin_label(row.origin, row.author, row.engine),
        why_not=why_not_approvable(row),
    )


def queue_rows(s: Session, rows: list[QueueRow], glossary: GlossaryView) -> list[RowView]:
    if not rows:
        return []
    before = review_repo.before_source_change(s, [r.segment_id for r in rows], rows[0].locale)
    return [row_view(r, glossary, before.get(r.segment_id)) for r in rows]


def source_change(row: QueueRow, earlier: Earlier | None) -> list[DiffPiece] | None:
    old = row.previous_msgid or (earlier.previous_msgid if earlier is not None else None)
    if old is None or old == row.msgid:
        return None
    return word_diff(old, row.msgid)


@dataclass(frozen=True)
class FormView:
    index: int
    label: str
    text: str
    pieces: list[Piece]


def item_forms(detail: Detail, glossary: GlossaryView) -> list[FormView]:
    r = detail.row
    terms = glossary.expectations(r.segment, r.locale)
    n = len(detail.labels)
    forms = list(r.forms) + [""] * max(0, n - len(r.forms))
    return [
        FormView(
            i,
            detail.labels[i] if i < n else f"msgstr[{i}]",
            text,
            highlight(text, r.flags, target_term_spans(text, terms)),
        )
        for i, text in enumerate(forms)
    ]


# --- the project's glossary -------------------------------------------------------------


class GlossaryCache:
    """The glossary stored in the database (else the `[[glossaries]]` files), compiled once
    per content."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._key: tuple[Any, ...] | None = None
        self._view = GlossaryView(None, config.source_locale)

    def view(self, s: Session, project_id: int | None) -> GlossaryView:
        stored = glossary_repo.latest_glossaries(s, project_id) if project_id else {}
        if stored:
            key: tuple[Any, ...] = ("db", *sorted((n, g.content_hash) for n, g in stored.items()))
        else:
            key = ("files", *((str(p), _mtime(p)) for p in self.config.glossaries))
        if key != self._key:
            self._view = GlossaryView(
                self._load(s, project_id, bool(stored)), self.config.source_locale
            )
            self._key = key
        return self._view

    def _load(self, s: Session, project_id: int | None, from_db: bool) -> Glossary | None:
        if from_db and project_id:
            return project_glossary(s, project_id)
        parts = []
        for path in self.config.glossaries:
            try:
                parts.append(load_glossary(path, self.config.source_locale))
            except (GlossaryError, OSError):
                continue  # `locflow doctor` reports it; the UI still works without it
        if not parts:
            return None
        try:
            return parts[0].merged(*parts[1:]) if len(parts) > 1 else parts[0]
        except GlossaryError:
            return parts[0]


def _mtime(path: Path) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return 0.0
