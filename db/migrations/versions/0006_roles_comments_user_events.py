"""roles (reviewer < lead < admin), deactivation, forced password change, comments, user events

`users.is_admin` becomes `users.role` (admin where it was set, reviewer otherwise). Every
UI session ends (the rights they were opened with change).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 18:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROLE_CHECK = "role IN ('reviewer', 'lead', 'admin')"


def upgrade() -> None:
    # What a signed-in user may do changes with roles: everyone signs in again. (SQLite's
    # batch rebuild of `users` would cascade to the sessions anyway; this makes both
    # databases alike.)
    op.execute(sa.text("DELETE FROM ui_sessions"))
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("role", sa.String(length=20), nullable=False, server_default="reviewer")
        )
        batch.add_column(
            sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    users = sa.table("users", sa.column("role", sa.String()), sa.column("is_admin", sa.Boolean()))
    op.execute(users.update().where(users.c.is_admin.is_(sa.true())).values(role="admin"))
    with op.batch_alter_table("users") as batch:
        batch.drop_column("is_admin")
        batch.create_check_constraint(op.f("ck_users_role"), _ROLE_CHECK)
    op.create_table(
        "user_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("user_name", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_user_events"),
    )
    op.create_index("ix_user_events_user_at", "user_events", ["user_name", "at"])
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("segment_id", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=35), nullable=False),
        sa.Column("translation_id", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_comments"),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["segments.id"],
            name="fk_comments_segment_id_segments",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["translation_id"],
            ["translations.id"],
            name="fk_comments_translation_id_translations",
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_comments_segment_locale", "comments", ["segment_id", "locale"])


def downgrade() -> None:
    op.drop_index("ix_comments_segment_locale", table_name="comments")
    op.drop_table("comments")
    op.drop_index("ix_user_events_user_at", table_name="user_events")
    op.drop_table("user_events")
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("is_admin", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    users = sa.table("users", sa.column("role", sa.String()), sa.column("is_admin", sa.Boolean()))
    op.execute(users.update().where(users.c.role == "admin").values(is_admin=True))
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("ck_users_role"), type_="check")
        batch.drop_column("must_change_password")
        batch.drop_column("active")
        batch.drop_column("role")
