"""Comments on a string in one locale: notes between its reviewers, leads and admins (who
may write and read them), stored in `comments` and listed in the string's history. They
are never exported. `review.actions` re-exports these actions.

Each function takes the session first and never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from locflow.db import review_repo
from locflow.db.models import Translation
from locflow.review.gate import DEFAULT_LIMITS, ActionError, NotFound, authorise, check_note
from locflow.review.users import UserInfo
from locflow.settings_review import ReviewSettings


@dataclass(frozen=True)
class CommentEntry:
    """A comment on a string in a locale, as history shows it."""

    id: int
    at: datetime
    author: str
    text: str
    n: int | None
    """The version it was written on."""

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at, "author": self.author, "text": self.text, "n": self.n}


def add_comment(
    s: Session,
    actor: UserInfo,
    version_id: int,
    text: str,
    *,
    limits: ReviewSettings = DEFAULT_LIMITS,
) -> CommentEntry:
    """A comment on the string of `version_id` in its locale (for its reviewers, leads and
    admins), kept with that version's number; listed in the string's history."""
    t = _version(s, version_id)
    authorise(actor, t.locale)
    text = check_note(text, "the comment", limits)
    if not text:
        raise ActionError("a comment needs some text")
    c = review_repo.add_comment(s, t.segment_id, t.locale, t.id, actor.name, text)
    return CommentEntry(c.id, c.created_at, c.author, c.text, t.n)


def comments_for(s: Session, actor: UserInfo, version_id: int) -> list[CommentEntry]:
    """The comments on the string of `version_id` in its locale, oldest first."""
    t = _version(s, version_id)
    authorise(actor, t.locale)
    return comment_entries(s, t.segment_id, t.locale)


def comment_entries(s: Session, segment_id: int, locale: str) -> list[CommentEntry]:
    return [
        CommentEntry(c.id, c.created_at, c.author, c.text, n)
        for c, n in review_repo.comments_of(s, segment_id, locale)
    ]


def _version(s: Session, version_id: int) -> Translation:
    t = s.get(Translation, version_id)
    if t is None:
        raise NotFound(f"no translation #{version_id}")
    return t
