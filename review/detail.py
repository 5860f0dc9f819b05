"""One string as a reviewer sees it (version, history with diffs, reviews with their
reasons and overrides, comments, provenance, plural forms), shared by `locflow review show`
and the web UI, plus its text rendering."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from locflow.catalog.plurals import PluralInfo
from locflow.db import repo, review_repo
from locflow.db.models import Project, Translation
from locflow.db.review_repo import Earlier, QueueRow
from locflow.db.states import State
from locflow.pipeline.plan import plural_for
from locflow.review.comments import CommentEntry, comment_entries
from locflow.review.present import (
    DiffPiece,
    diff_text,
    form_labels,
    forms_diff,
    is_rtl,
    provenance,
    word_diff,
)


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    n: int
    state: State
    origin: str
    author: str
    engine: str
    model: str
    created_at: datetime
    forms: tuple[str, ...]
    issues: tuple[dict[str, Any], ...]
    provenance: str
    diff: tuple[tuple[DiffPiece, ...], ...]
    """Per form, against the version before it (empty for the first)."""
    for_current_source: bool


@dataclass(frozen=True)
class ReviewEntry:
    at: datetime
    reviewer: str
    action: str
    n: int
    from_state: State
    to_state: State
    comment: str


@dataclass(frozen=True)
class Detail:
    row: QueueRow
    current_id: int | None
    source_locale: str
    plural: PluralInfo
    labels: tuple[str, ...]
    history: tuple[HistoryEntry, ...]
    reviews: tuple[ReviewEntry, ...]
    earlier: Earlier | None
    """The translation from before the source changed (shown next to the new source)."""
    rtl: bool
    comments: tuple[CommentEntry, ...] = ()
    """The reviewers' comments on this string in this locale, oldest first."""

    @property
    def is_current(self) -> bool:
        return self.current_id == self.row.version_id

    @property
    def provenance(self) -> str:
        r = self.row
        return provenance(r.origin, r.author, r.engine, r.model, r.created_at)

    def as_dict(self) -> dict[str, Any]:
        r = self.row
        return {
            "id": r.version_id,
            "current_id": self.current_id,
            "locale": r.locale,
            "n": r.n,
            "state": r.state.name.lower(),
            "source": r.source_name,
            "msgctxt": r.msgctxt,
            "msgid": r.msgid,
            "msgid_plural": r.msgid_plural,
            "previous_msgid": r.previous_msgid,
            "forms": list(r.forms),
            "form_labels": list(self.labels),
            "issues": list(r.issues),
            "provenance": self.provenance,
            "earlier": {
                "id": self.earlier.version_id,
                "n": self.earlier.n,
                "forms": list(self.earlier.forms),
                "approved": self.earlier.approved,
                "previous_msgid": self.earlier.previous_msgid,
            }
            if self.earlier
            else None,
            "history": [
                {
                    "id": h.id,
                    "n": h.n,
                    "state": h.state.name.lower(),
                    "provenance": h.provenance,
                    "forms": list(h.forms),
                    "diff": [diff_text(d) for d in h.diff],
                    "issues": list(h.issues),
                }
                for h in self.history
            ],
            "reviews": [
                {
                    "at": e.at,
                    "reviewer": e.reviewer,
                    "action": e.action,
                    "n": e.n,
                    "from": e.from_state.name.lower(),
                    "to": e.to_state.name.lower(),
                    "comment": e.comment,
                }
                for e in self.reviews
            ],
            "comments": [c.as_dict() for c in self.comments],
        }


def _entry(v: Translation, before: Translation | None, source_hash: str) -> HistoryEntry:
    return HistoryEntry(
        id=v.id,
        n=v.n,
        state=State(v.state),
        origin=v.origin,
        author=v.author,
        engine=v.engine,
        model=v.model,
        created_at=v.created_at,
        forms=tuple(v.forms),
        issues=tuple(v.issues or ()),
        provenance=provenance(v.origin, v.author, v.engine, v.model, v.created_at),
        diff=tuple(tuple(d) for d in forms_diff(before.forms, v.forms)) if before else (),
        for_current_source=v.source_hash == source_hash,
    )


def load_detail(s: Session, version_id: int) -> Detail | None:
    row = review_repo.version_with_source(s, version_id)
    if row is None:
        return None
    project_id = review_repo.project_of_version(s, version_id)
    project = s.get(Project, project_id) if project_id is not None else None
    versions = repo.versions(s, row.segment_id, row.locale)
    history = tuple(
        _entry(v, versions[i - 1] if i else None, row.segment_source_hash)
        for i, v in enumerate(versions)
    )
    current = review_repo.current_version(s, row.segment_id, row.locale)
    plural = plural_for(s, row.source_id, row.locale)
    nforms = max(plural.nplurals if row.msgid_plural else 1, len(row.forms))
    earlier = review_repo.before_source_change(s, [row.segment_id], row.locale).get(row.segment_id)
    reviews = tuple(
        ReviewEntry(
            r.at, r.reviewer, r.action, n, State(r.from_state), State(r.to_state), r.comment
        )
        for r, n in review_repo.reviews_of(s, row.segment_id, row.locale)
    )
    return Detail(
        row=row,
        current_id=current.id if current is not None else None,
        source_locale=project.source_locale if project is not None else "en",
        plural=plural,
        labels=tuple(form_labels(plural, nforms, row.msgid_plural is not None)),
        history=history,
        reviews=reviews,
        earlier=earlier,
        rtl=is_rtl(row.locale),
        comments=tuple(comment_entries(s, row.segment_id, row.locale)),
    )


# --- text rendering (the CLI) -----------------------------------------------------------


def _one_line(text: str, width: int = 60) -> str:
    shown = text.replace("\n", "↵")
    return shown if len(shown) <= width else shown[: width - 1] + "…"


def row_line(r: QueueRow) -> str:
    flags = []
    if r.issues:
        flags.append("issues: " + ",".join(sorted({str(i.get("check")) for i in r.issues})))
    if r.outdated:
        flags.append("source changed")
    ctx = f"[{r.msgctxt}] " if r.msgctxt else ""
    target = " | ".join(_one_line(f, 40) for f in r.forms)
    extra = f"  ({'; '.join(flags)})" if flags else ""
    return (
        f"#{r.version_id}\t{r.locale}\t{r.state.name.lower()}\t{ctx}{_one_line(r.msgid, 50)}"
        f"\t→ {target}{extra}"
    )


def _forms_lines(labels: Sequence[str], forms: Sequence[str], indent: str) -> list[str]:
    return [f"{indent}{labels[i] if i < len(labels) else i}: {f!r}" for i, f in enumerate(forms)]


def detail_lines(d: Detail) -> list[str]:
    r = d.row
    lines = [f"#{r.version_id} {r.locale} v{r.n} {r.state.name.lower()} — {r.source_name}"]
    if not d.is_current:
        lines.append(f"  (not current: the current version is #{d.current_id})")
    if r.msgctxt:
        lines.append(f"  context: {r.msgctxt!r}")
    lines.append(f"  source:  {r.msgid!r}")
    if r.msgid_plural:
        lines.append(f"  plural:  {r.msgid_plural!r}")
    old = r.previous_msgid or (d.earlier.previous_msgid if d.earlier else None)
    if old and old != r.msgid:
        lines.append(f"  source reworded: {diff_text(word_diff(old, r.msgid))}")
    lines += _forms_lines(d.labels, r.forms, "  ")
    for issue in r.issues:
        lines.append(
            f"  issue {issue.get('check')} ({issue.get('severity')}): {issue.get('message')}"
        )
    lines.append(f"  by: {d.provenance}")
    if d.earlier is not None and d.earlier.version_id != r.version_id:
        what = "approved" if d.earlier.approved else "translated"
        lines.append(f"  {what} before the source changed (v{d.earlier.n}):")
        lines += _forms_lines(d.labels, d.earlier.forms, "    ")
    lines.append("history:")
    for h in d.history:
        lines.append(f"  v{h.n} #{h.id} {h.state.name.lower()}: {h.provenance}")
        for i, diff in enumerate(h.diff):
            if any(p.op != "=" for p in diff):
                lines.append(f"     {d.labels[i] if i < len(d.labels) else i}: {diff_text(diff)}")
    if d.reviews:
        lines.append("reviews:")
    for e in d.reviews:
        note = f": {e.comment}" if e.comment else ""
        lines.append(
            f"  {e.at:%Y-%m-%d %H:%M} {e.reviewer} {e.action} v{e.n} "
            f"({e.from_state.name.lower()} → {e.to_state.name.lower()}){note}"
        )
    if d.comments:
        lines.append("comments:")
    for c in d.comments:
        on = f" on v{c.n}" if c.n is not None else ""
        lines.append(f"  {c.at:%Y-%m-%d %H:%M} {c.author}{on}: {c.text}")
    return lines
