"""Course-year totals keep their history, so `as_of` totals are an indexed read.

The backfill replays every figure revision in time order and writes, per course and
year, the R5 total after each moment at which one of its figures changed (the rule is restated here,
as this revision must not change when the application's code does).

Revision ID: 2026_11_29_total_history
Revises: 2026_11_29_write_events
Create Date: 2026-11-29
"""

from collections.abc import Sequence
from itertools import groupby
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "2026_11_29_total_history"
down_revision: str | None = "2026_11_29_write_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _total(live: dict[int, tuple[int, int, int]]) -> tuple[int, int]:
    """R5 over one course-year's live figures (start, end, completions): the sum over
    the periods inside no other, and their months as a bit mask."""
    periods = list(live.values())
    total = mask = 0
    for start, end, completions in periods:
        inside = any((s <= start and end <= e) and (s, e) != (start, end) for s, e, _ in periods)
        if not inside:
            total += completions
            mask |= ((1 << (end - start + 1)) - 1) << (start - 1)
    return total, mask


def upgrade() -> None:
    history = op.create_table(
        "course_year_total_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("months_mask", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=False), nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=False), nullable=True),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_course_year_total_history_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_year_total_history")),
    )
    op.create_index(
        "ix_course_year_total_history_course_id",
        "course_year_total_history",
        ["course_id", "year", "valid_to"],
    )
    op.create_index(
        "ix_course_year_total_history_year", "course_year_total_history", ["year", "valid_from"]
    )
    revisions = op.get_bind().execute(
        sa.text(
            "SELECT course_id, year, recorded_at, figure_id, action, start_month, end_month, "
            "completions FROM figure_revisions "
            "ORDER BY course_id, year, recorded_at, figure_id, revision"
        ).columns(recorded_at=sa.DateTime())
    )
    rows: list[dict[str, Any]] = []
    for (course_id, year), of_key in groupby(revisions, key=lambda r: (r[0], r[1])):
        live: dict[int, tuple[int, int, int]] = {}
        last: dict[str, Any] | None = None
        for moment, at_moment in groupby(of_key, key=lambda r: r[2]):
            for _, _, _, figure_id, action, start, end, completions in at_moment:
                if action == "delete":
                    live.pop(figure_id, None)
                else:
                    live[figure_id] = (start, end, completions)
            total, mask = _total(live)
            if last is not None:  # every write to the course-year starts a row, as writes do
                last["valid_to"] = moment
            last = None
            if live:
                last = {
                    "course_id": course_id,
                    "year": year,
                    "total": total,
                    "months_mask": mask,
                    "valid_from": moment,
                    "valid_to": None,
                }
                rows.append(last)
    for i in range(0, len(rows), 10_000):
        op.bulk_insert(history, rows[i : i + 10_000])


def downgrade() -> None:
    op.drop_index("ix_course_year_total_history_year", table_name="course_year_total_history")
    op.drop_index("ix_course_year_total_history_course_id", table_name="course_year_total_history")
    op.drop_table("course_year_total_history")
