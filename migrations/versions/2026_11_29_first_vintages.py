"""A figure never revised keeps its one vintage in `figures` alone.

Until now every figure had a copy of its first values in `figure_revisions`, written
with it; an import of a million figures wrote a million such rows. Now `figures`
also holds who recorded the current values (`recorded_by`), and a figure's first
vintage is copied into `figure_revisions` only when it is first revised or deleted.
The upgrade drops the copies of figures still at their first revision (after moving
their author into `figures`); the downgrade writes them back.

Revision ID: 2026_11_29_first_vintages
Revises: 2026_11_29_total_history
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_11_29_first_vintages"
down_revision: str | None = "2026_11_29_total_history"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIRST = (
    "SELECT r.figure_id FROM figure_revisions r JOIN figures f ON f.id = r.figure_id "
    "WHERE r.revision = 1 AND f.revision = 1"
)


def upgrade() -> None:
    op.add_column("figures", sa.Column("recorded_by", sa.String(length=100), nullable=True))
    op.execute(
        "UPDATE figures SET recorded_by = (SELECT r.recorded_by FROM figure_revisions r "
        "WHERE r.figure_id = figures.id AND r.revision = figures.revision)"
    )
    op.execute(f"DELETE FROM figure_revisions WHERE revision = 1 AND figure_id IN ({FIRST})")


def downgrade() -> None:
    op.execute(
        "INSERT INTO figure_revisions (figure_id, revision, action, course_id, year, "
        "start_month, end_month, completions, status, note, source_id, recorded_at, "
        "recorded_by) SELECT id, 1, 'create', course_id, year, start_month, end_month, "
        "completions, status, note, source_id, recorded_at, recorded_by FROM figures "
        "WHERE revision = 1"
    )
    op.drop_column("figures", "recorded_by")
