"""Glossary versions in the database (session first, never commits)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from locflow.db.models import GlossaryVersion


def store_glossary_version(
    s: Session,
    project_id: int,
    name: str,
    content_hash: str,
    terms: list[dict[str, Any]],
    path: str = "",
) -> tuple[GlossaryVersion, bool]:
    """The version with this content (a new row only when the content is new)."""
    current = latest_glossaries(s, project_id).get(name)
    if current is not None and current.content_hash == content_hash:
        return current, False
    existing = s.scalar(
        select(GlossaryVersion).where(
            GlossaryVersion.project_id == project_id,
            GlossaryVersion.name == name,
            GlossaryVersion.content_hash == content_hash,
        )
    )
    if existing is not None:  # back to an earlier content: make it newest again
        s.delete(existing)
        s.flush()
    row = GlossaryVersion(
        project_id=project_id, name=name, path=path, content_hash=content_hash, terms=terms
    )
    s.add(row)
    s.flush()
    return row, True


def latest_glossaries(s: Session, project_id: int) -> dict[str, GlossaryVersion]:
    newest = (
        select(GlossaryVersion.name, func.max(GlossaryVersion.id).label("id"))
        .where(GlossaryVersion.project_id == project_id)
        .group_by(GlossaryVersion.name)
        .subquery()
    )
    rows = s.scalars(select(GlossaryVersion).join(newest, newest.c.id == GlossaryVersion.id))
    return {r.name: r for r in rows}


def glossary_history(s: Session, project_id: int, name: str) -> list[GlossaryVersion]:
    return list(
        s.scalars(
            select(GlossaryVersion)
            .where(GlossaryVersion.project_id == project_id, GlossaryVersion.name == name)
            .order_by(GlossaryVersion.id)
        )
    )


def canonical_terms(terms: list[dict[str, Any]]) -> str:
    return json.dumps(terms, ensure_ascii=False, sort_keys=True)
