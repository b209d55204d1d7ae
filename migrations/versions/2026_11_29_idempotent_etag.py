"""A replayed POST answers with the first answer's ETag too.

Revision ID: 2026_11_29_idempotent_etag
Revises: 2026_11_28_figure_ids
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_11_29_idempotent_etag"
down_revision: str | None = "2026_11_28_figure_ids"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.add_column(sa.Column("etag", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_column("etag")
