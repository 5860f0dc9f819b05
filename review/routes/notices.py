"""What the review pages share beyond `deps`: the notice about the item an action concerned,
and per-locale progress for the locale tabs.

A redirect after an action carries `notice=<what>&about=<version id>`: the page names that
item (number, source, the text it now has) and shows the notice with it: in the item's own
header when it is the item shown, in its row when it is on the queue page, else as a card
of that item (never as if it were about the next item the reviewer landed on).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.orm import Session

from locflow.db import progress_repo, review_repo
from locflow.db.progress_repo import Progress
from locflow.db.review_repo import QueueRow
from locflow.review.routes.deps import ReviewUi, notice


@dataclass(frozen=True)
class ActionNotice:
    text: str
    about: QueueRow | None = None
    """The item the action concerned (the new version an edit made)."""
    count: str = ""
    """How many a bulk approval approved."""

    def is_about(self, version_id: int) -> bool:
        return self.about is not None and self.about.version_id == version_id


def action_notice(request: Request, s: Session, project_id: int | None) -> ActionNotice | None:
    text = notice(request)
    if not text:
        return None
    about = request.query_params.get("about", "")
    row = None
    if (
        about.isdigit()
        and project_id is not None
        and review_repo.project_of_version(s, int(about)) == project_id
    ):
        row = review_repo.version_with_source(s, int(about))
    count = request.query_params.get("count", "")
    return ActionNotice(text, row, count if count.isdigit() else "")


def progress(ui: ReviewUi, s: Session, project_id: int | None) -> dict[str, Progress]:
    """Every locale's progress (one query), for the tabs and the home page."""
    if project_id is None:
        return {loc: Progress(loc, 0) for loc in ui.locales}
    return progress_repo.locale_progress(s, project_id, ui.locales)
