"""pack sizes per engine and target locale, kept between runs

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 21:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pack_sizes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("engine", sa.String(length=50), nullable=False),
        sa.Column("locale", sa.String(length=35), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pack_sizes"),
        sa.UniqueConstraint("engine", "locale", name="uq_pack_sizes_engine_locale"),
        sa.CheckConstraint("size >= 1", name="ck_pack_sizes_positive"),
    )


def downgrade() -> None:
    op.drop_table("pack_sizes")
