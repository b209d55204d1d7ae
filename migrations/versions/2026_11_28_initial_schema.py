"""Initial schema: courses, sources and figures.

Figures hold only the live value of each (course, period), with its `revision`
and `recorded_at`; earlier vintages, audit and keys come in later revisions
beside this table, without rewriting it.

Revision ID: 2026_11_28_initial
Revises:
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_11_28_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create courses, sources and figures."""
    op.create_table(
        "courses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("audience", sa.Text(), nullable=True),
        sa.Column("first_offered_year", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "first_offered_year IS NULL OR first_offered_year BETWEEN 1900 AND 9999",
            name=op.f("ck_courses_first_offered_year_range"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_courses")),
        sa.UniqueConstraint("slug", name=op.f("uq_courses_slug")),
    )
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("publisher", sa.String(length=200), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
        sa.UniqueConstraint(
            "title",
            "publisher",
            "published_on",
            name=op.f("uq_sources_title_publisher_published_on"),
        ),
    )
    op.create_table(
        "figures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("start_month", sa.Integer(), nullable=False),
        sa.Column("end_month", sa.Integer(), nullable=False),
        sa.Column("completions", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("status IN ('final', 'provisional')", name=op.f("ck_figures_status")),
        sa.CheckConstraint(
            "completions BETWEEN 0 AND 10000000", name=op.f("ck_figures_completions_range")
        ),
        sa.CheckConstraint("revision >= 1", name=op.f("ck_figures_revision_positive")),
        sa.CheckConstraint(
            "start_month BETWEEN 1 AND 12 AND end_month BETWEEN 1 AND 12 "
            "AND start_month <= end_month",
            name=op.f("ck_figures_months"),
        ),
        sa.CheckConstraint("year BETWEEN 1900 AND 9999", name=op.f("ck_figures_year_range")),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_figures_course_id_courses"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_figures_source_id_sources"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_figures")),
        sa.UniqueConstraint(
            "course_id",
            "year",
            "start_month",
            "end_month",
            name=op.f("uq_figures_course_id_year_start_month_end_month"),
        ),
    )
    op.create_index("ix_figures_year_course", "figures", ["year", "course_id"])


def downgrade() -> None:
    """Drop everything the upgrade created."""
    op.drop_index("ix_figures_year_course", table_name="figures")
    op.drop_table("figures")
    op.drop_table("sources")
    op.drop_table("courses")
