"""catalogue export watermark

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 17:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("catalog_files") as batch:
        batch.add_column(sa.Column("export_key", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("export_counts", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("catalog_files") as batch:
        batch.drop_column("export_counts")
        batch.drop_column("export_key")
