"""Glossary versions in the database (session first, never commits)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from locflow.db.models import GlossaryVersion
from locflow.db.repo import insert_unless_present


def store_glossary_version(
    s: Session,
    project_id: int,
    name: str,
    content_hash: str,
    terms: list[dict[str, Any]],
    path: str = "",
) -> tuple[GlossaryVersion, bool]:
    """The version with this content (a new row only when the content is new). When another
    transaction stores the same content at the same time, its row is returned, not new."""
    current = latest_glossaries(s, project_id).get(name)
    if current is not None and current.content_hash == content_hash:
        return current, False
    existing = _version_with(s, project_id, name, content_hash)
    if existing is not None:  # back to an earlier content: make it newest again
        s.delete(existing)
        s.flush()
    added = s.scalar(
        insert_unless_present(s, GlossaryVersion)
        .values(project_id=project_id, name=name, path=path, content_hash=content_hash, terms=terms)
        .returning(GlossaryVersion.id)
    )
    row = _version_with(s, project_id, name, content_hash)
    assert row is not None
    return row, added is not None


def _version_with(
    s: Session, project_id: int, name: str, content_hash: str
) -> GlossaryVersion | None:
    return s.scalar(
        select(GlossaryVersion).where(
            GlossaryVersion.project_id == project_id,
            GlossaryVersion.name == name,
            GlossaryVersion.content_hash == content_hash,
        )
    )


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
