"""run records that end: heartbeat, fan-out parent, usage ledger

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_runs_parent_id", "runs", ["parent_id"], ["id"], ondelete="SET NULL"
        )
    op.create_table(
        "usage",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "run_id", sa.Integer(), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("locale", sa.String(length=35), nullable=False),
        sa.Column("strings", sa.Integer(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("paid_requests", sa.Integer(), nullable=False),
        sa.Column("tokens_in", sa.Integer(), nullable=False),
        sa.Column("tokens_out", sa.Integer(), nullable=False),
        sa.Column("cost", sa.Float(), nullable=False),
        sa.Column("unanswered_cost", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_usage_run_locale", "usage", ["run_id", "locale"])


def downgrade() -> None:
    op.drop_index("ix_usage_run_locale", table_name="usage")
    op.drop_table("usage")
    with op.batch_alter_table("runs") as batch:
        batch.drop_constraint("fk_runs_parent_id", type_="foreignkey")
        batch.drop_column("parent_id")
        batch.drop_column("heartbeat_at")
