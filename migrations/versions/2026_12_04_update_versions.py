"""Each audit entry keeps the data version its write made, so `/api/v1/updates` can
list the figure changes after a version; `figures.recorded_at` is indexed, as
`figure_revisions.recorded_at` is, to find the figures a write recorded.

Entries written before this are numbered back from the current version, one per
entry, as `app.services.audit.record` numbered them.

Revision ID: 2026_12_04_update_versions
Revises: 2026_12_04_sources_without_date
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_12_04_update_versions"
down_revision: str | None = "2026_12_04_sources_without_date"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=True))
        batch.create_index("ix_audit_log_version", ["version"], unique=False)
    op.execute(
        "UPDATE audit_log SET version = (SELECT version FROM data_version WHERE id = 1) "
        "- (SELECT COUNT(*) FROM audit_log AS later WHERE later.id > audit_log.id)"
    )
    with op.batch_alter_table("figures") as batch:
        batch.create_index("ix_figures_recorded_at", ["recorded_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("figures") as batch:
        batch.drop_index("ix_figures_recorded_at")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_index("ix_audit_log_version")
        batch.drop_column("version")
