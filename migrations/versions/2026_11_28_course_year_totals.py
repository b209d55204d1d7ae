"""Course-year totals: R5 totals kept beside the figures for fast aggregates.

Backfilled here with the same rule the code applies on every write: a course's
total for a year sums its maximal periods (inside no other period).

Revision ID: 2026_11_28_totals
Revises: 2026_11_28_initial
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_11_28_totals"
down_revision: str | None = "2026_11_28_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL = """
INSERT INTO course_year_totals (course_id, year, total, months_mask)
SELECT f.course_id, f.year, SUM(f.completions),
       SUM((1 << f.end_month) - (1 << (f.start_month - 1)))
FROM figures f
WHERE NOT EXISTS (
    SELECT 1 FROM figures g
    WHERE g.course_id = f.course_id AND g.year = f.year AND g.id <> f.id
      AND g.start_month <= f.start_month AND g.end_month >= f.end_month
)
GROUP BY f.course_id, f.year
"""


def upgrade() -> None:
    """Create course_year_totals and fill it from the figures."""
    op.create_table(
        "course_year_totals",
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("months_mask", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_course_year_totals_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("course_id", "year", name=op.f("pk_course_year_totals")),
    )
    op.create_index("ix_course_year_totals_year", "course_year_totals", ["year"])
    op.execute(BACKFILL)


def downgrade() -> None:
    """Drop course_year_totals."""
    op.drop_index("ix_course_year_totals_year", table_name="course_year_totals")
    op.drop_table("course_year_totals")
