"""Tables (DESIGN §3). Translation versions are append-only; only `state` ever changes, via
`repo.transition()`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from locflow.db.base import Base, utcnow


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    source_locale: Mapped[str] = mapped_column(String(35))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Source(Base):
    """A translatable origin: a gettext template or a document."""

    __tablename__ = "sources"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(1000))
    kind: Mapped[str] = mapped_column(String(20))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    """The template as last synced, so a new catalogue can be made without the file."""
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SegmentRow(Base):
    __tablename__ = "segments"
    __table_args__ = (UniqueConstraint("source_id", "key_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(32))
    msgctxt: Mapped[str | None] = mapped_column(Text)
    msgid: Mapped[str] = mapped_column(Text)
    msgid_plural: Mapped[str | None] = mapped_column(Text)
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    extracted_comments: Mapped[str] = mapped_column(Text, default="")
    translator_comments: Mapped[str] = mapped_column(Text, default="")
    occurrences: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    source_hash: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer)
    obsolete: Mapped[bool] = mapped_column(Boolean, default=False)
    previous_segment_id: Mapped[int | None] = mapped_column(
        ForeignKey("segments.id", ondelete="SET NULL")
    )
    """A reworded string's predecessor, matched the way msgmerge does."""
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SourceVersion(Base):
    __tablename__ = "source_versions"
    __table_args__ = (UniqueConstraint("segment_id", "n"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    segment_id: Mapped[int] = mapped_column(ForeignKey("segments.id", ondelete="CASCADE"))
    n: Mapped[int] = mapped_column(Integer)
    source_hash: Mapped[str] = mapped_column(String(32))
    extracted_comments: Mapped[str] = mapped_column(Text, default="")
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Translation(Base):
    """One append-only version of a (segment, locale) translation."""

    __tablename__ = "translations"
    __table_args__ = (
        UniqueConstraint("segment_id", "locale", "n"),
        Index("ix_translations_locale_state", "locale", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    segment_id: Mapped[int] = mapped_column(ForeignKey("segments.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(35))
    n: Mapped[int] = mapped_column(Integer)
    forms: Mapped[list[str]] = mapped_column(JSON)
    state: Mapped[int] = mapped_column(Integer)
    origin: Mapped[str] = mapped_column(String(20))
    """human | tm | engine"""
    author: Mapped[str] = mapped_column(String(200), default="")
    engine: Mapped[str] = mapped_column(String(50), default="")
    model: Mapped[str] = mapped_column(String(100), default="")
    source_hash: Mapped[str] = mapped_column(String(32))
    terms_hash: Mapped[str] = mapped_column(String(32), default="")
    glossary_hash: Mapped[str] = mapped_column(String(64), default="")
    prompt_hash: Mapped[str] = mapped_column(String(64), default="")
    previous_msgid: Mapped[str | None] = mapped_column(Text)
    """The source text this translation was made for when it differs (fuzzy `#|`)."""
    issues: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    tokens_in: Mapped[int] = mapped_column(Integer, default=0)
    tokens_out: Mapped[int] = mapped_column(Integer, default=0)
    cost: Mapped[float] = mapped_column(Float, default=0.0)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    segment: Mapped[SegmentRow] = relationship(lazy="raise")


class Review(Base):
    """Every state change, by a person or by locflow itself."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    translation_id: Mapped[int] = mapped_column(
        ForeignKey("translations.id", ondelete="CASCADE"), index=True
    )
    reviewer: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[int] = mapped_column(Integer)
    to_state: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CatalogFile(Base):
    """A locale's catalogue exactly as last read or written, so export needs no checkout."""

    __tablename__ = "catalog_files"
    __table_args__ = (UniqueConstraint("source_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(35))
    path: Mapped[str] = mapped_column(String(1000))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    export_key: Mapped[str | None] = mapped_column(String(64), nullable=True, default=None)
    """What the last export was made from (db.repo.export_fingerprint, content, policy):
    equal on the next run means nothing to rebuild."""
    export_counts: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True, default=None)
    """[translated, fuzzy, total, demoted, flagged] of that export (the last two: lists of
    report lines), reported again when the next export is skipped: a decision that still
    holds is still told."""


class Run(Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    flow_run_id: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(20), default="running")
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    tokens_in: Mapped[int] = mapped_column(Integer, default=0)
    tokens_out: Mapped[int] = mapped_column(Integer, default=0)
    cost: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime)
    """Refreshed while the run's process lives; a `running` row whose heartbeat is old
    belongs to a process that died (see run_repo.mark_crashed)."""
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))
    """The fan-out run that started this one (None: a top-level run)."""


class Usage(Base):
    """What one batch of a run spent, per locale: the one ledger every count of requests,
    tokens and cost is summed from (stats, the run summary, the artifacts). Written with the
    batch's translations; `unanswered_cost` is what requests whose outcome is unknown were
    charged (their full reservation)."""

    __tablename__ = "usage"
    __table_args__ = (Index("ix_usage_run_locale", "run_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(35))
    strings: Mapped[int] = mapped_column(Integer, default=0)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    paid_requests: Mapped[int] = mapped_column(Integer, default=0)
    tokens_in: Mapped[int] = mapped_column(Integer, default=0)
    tokens_out: Mapped[int] = mapped_column(Integer, default=0)
    cost: Mapped[float] = mapped_column(Float, default=0.0)
    unanswered_cost: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class GlossaryVersion(Base):
    """One version of a glossary, by content hash; the newest per name is current."""

    __tablename__ = "glossaries"
    __table_args__ = (UniqueConstraint("project_id", "name", "content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    path: Mapped[str] = mapped_column(String(1000), default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    terms: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    """The terms, canonical and complete: a glossary can be exported from the database."""
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


ROLES = ("reviewer", "lead", "admin")
"""Users' roles, least to most: a reviewer approves, edits and rejects in their locales; a
lead may also override failing checks and bulk-approve there; an admin may do all of that in
every locale and manage users (review.users.Role)."""


class User(Base):
    """A person who reviews. Deactivated, never deleted while their history matters."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('reviewer', 'lead', 'admin')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    """argon2id, in the PHC string format (never the password itself)."""
    role: Mapped[str] = mapped_column(String(20), default="reviewer", server_default="reviewer")
    locales: Mapped[list[str]] = mapped_column(JSON, default=list)
    """The locales this user reviews (an admin reviews every locale)."""
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    """False once deactivated: cannot sign in or act; their reviews and comments stay."""
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    """Set by a password reset: the one-time password must be replaced at the next sign-in."""
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class UserEvent(Base):
    """The audit trail of user management: who changed which user, how, and when. Names,
    not foreign keys, so the trail outlives a removed user."""

    __tablename__ = "user_events"
    __table_args__ = (Index("ix_user_events_user_at", "user_name", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(100))
    """Who: an admin's name, or `cli:NAME` for the command line (database access)."""
    user_name: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(30))
    """add | set-role | set-locales | deactivate | activate | reset-password | passwd |
    remove"""
    detail: Mapped[str] = mapped_column(Text, default="")
    """What changed, e.g. `reviewer -> lead` (never a password)."""
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Comment(Base):
    """A note on a string in one locale, for its reviewers (not exported)."""

    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_segment_locale", "segment_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    segment_id: Mapped[int] = mapped_column(ForeignKey("segments.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(35))
    translation_id: Mapped[int | None] = mapped_column(
        ForeignKey("translations.id", ondelete="SET NULL")
    )
    """The version that was current when the comment was written (None: none was)."""
    author: Mapped[str] = mapped_column(String(64))
    """The user's name (kept when the user is removed, like reviews.reviewer)."""
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class UiSession(Base):
    """A signed-in browser: the cookie carries a random token, the table only its HMAC."""

    __tablename__ = "ui_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class PackSize(Base):
    """Strings per pack an engine with adaptive packing had reached for a target locale,
    so the next run starts there instead of learning it again (db.pack_repo)."""

    __tablename__ = "pack_sizes"
    __table_args__ = (
        UniqueConstraint("engine", "locale"),
        CheckConstraint("size >= 1", name="positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    engine: Mapped[str] = mapped_column(String(50))
    locale: Mapped[str] = mapped_column(String(35))
    size: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
