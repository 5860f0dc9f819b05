"""The PO header an export keeps up, as gettext's tools and PO editors do, and only when an
entry of the catalogue changed (an unchanged catalogue stays byte-identical):

- `PO-Revision-Date`: the time of the export (`YYYY-MM-DD HH:MM+ZZZZ`);
- `Last-Translator`, when a translation changed: the person behind the newest human change
  the export brings in (the translator who wrote it, or the reviewer who approved it); left
  as it is when only machine output or imported text changed, unless it is still the
  template's placeholder (then `locflow`);
- `Language-Team`, when a translation changed: the language's English name in place of a
  missing field or the template placeholder (as msginit); a team the file names is kept;
- `X-Generator`: `locflow <version>` (Poedit, Lokalize and Weblate name themselves there).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from locflow import __version__
from locflow.catalog.locales import english_name
from locflow.connectors.po_model import PoCatalog
from locflow.db.models import Review, Translation

GENERATOR = f"locflow {__version__}"
_PLACEHOLDERS = ("FULL NAME", "LANGUAGE")
_MACHINE_ACTORS = ("", "locflow", "system", "memory")


def header_updates(
    catalog: PoCatalog, locale: str, now: datetime, person: str | None, *, texts: bool
) -> dict[str, str | None]:
    """The header fields to set on a changed catalogue; `person`: see `last_person`;
    `texts`: whether a translation changed (not only references, comments or flags)."""
    fields = dict(catalog.header_fields())
    updates: dict[str, str | None] = {
        "PO-Revision-Date": now.strftime("%Y-%m-%d %H:%M%z"),
        "X-Generator": GENERATOR,
    }
    if not texts:
        return updates
    translator = fields.get("Last-Translator", "")
    if person:
        updates["Last-Translator"] = person
    elif _placeholder(translator):
        updates["Last-Translator"] = "locflow"
    if _placeholder(fields.get("Language-Team", "")):
        try:
            updates["Language-Team"] = english_name(locale)
        except (LookupError, ValueError):
            updates["Language-Team"] = "none"  # msginit's word for "no team known"
    return updates


def _placeholder(value: str) -> bool:
    return value.strip().startswith(_PLACEHOLDERS) if value.strip() else True


def _person(name: str) -> bool:
    return name not in _MACHINE_ACTORS and not name.startswith(("file:", "engine:"))


def last_person(s: Session, versions: Sequence[Translation]) -> str:
    """Who made the newest human change among `versions` (the texts an export changes):
    a human author, or a person who approved or edited; "" when there is none."""
    best: tuple[datetime, str] | None = None
    for v in versions:
        if v.origin == "human" and _person(v.author):
            best = max(best or (v.created_at, v.author), (v.created_at, v.author))
    ids = [v.id for v in versions]
    for chunk in (ids[i : i + 900] for i in range(0, len(ids), 900)):
        for at, reviewer in s.execute(
            select(Review.at, Review.reviewer).where(Review.translation_id.in_(chunk))
        ):
            if _person(reviewer):
                best = max(best or (at, reviewer), (at, reviewer))
    return best[1] if best else ""
