"""A source may have no publication date (figures typed in from records, never
published): `vintage` answers count its figures from the day they were recorded.

A revision's publication date is its source's, read by a join rather than copied:
sources are never edited, so the one fact stays in one place (docs/decisions.md,
"Two time axes").

Revision ID: 2026_12_04_sources_without_date
Revises: 2026_11_29_first_vintages
Create Date: 2026-12-04

On SQLite the table is copied (batch mode): `app.db.migrate` turns foreign keys off
around the migration and checks them before it commits.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_12_04_sources_without_date"
down_revision: str | None = "2026_11_29_first_vintages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.alter_column("published_on", existing_type=sa.Date(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.alter_column("published_on", existing_type=sa.Date(), nullable=False)
