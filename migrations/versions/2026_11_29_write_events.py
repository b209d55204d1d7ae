"""Writes per key are counted in the database, so the rate limit holds across workers
and nodes.

Revision ID: 2026_11_29_write_events
Revises: 2026_11_29_data_version_notify
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_11_29_write_events"
down_revision: str | None = "2026_11_29_data_version_notify"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "write_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=False), nullable=False),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["api_keys.id"],
            name=op.f("fk_write_events_api_key_id_api_keys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_write_events")),
    )
    op.create_index("ix_write_events_api_key_id_at", "write_events", ["api_key_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_write_events_api_key_id_at", table_name="write_events")
    op.drop_table("write_events")
