"""Tables. Figures are the API's "attendance": completions of one course in one period."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.base import Base, UTCDateTime, utcnow

MAX_COMPLETIONS = 10_000_000
FIGURE_STATUSES = ("final", "provisional")


class Course(Base):
    """A course the organisation teaches."""

    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    audience: Mapped[str | None] = mapped_column(Text)
    first_offered_year: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint(
            "first_offered_year IS NULL OR first_offered_year BETWEEN 1900 AND 9999",
            name="first_offered_year_range",
        ),
    )


class Source(Base):
    """Where figures came from: a press release, an annual report, a data entry."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    publisher: Mapped[str] = mapped_column(String(200))
    place: Mapped[str | None] = mapped_column(String(200))
    published_on: Mapped[date] = mapped_column(Date)
    url: Mapped[str | None] = mapped_column(String(2000))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("title", "publisher", "published_on"),)


class Figure(Base):
    """The live value of one course's completions in one period.

    `revision` and `recorded_at` describe the current vintage; earlier vintages are
    kept apart from this table, so it always holds exactly the figures in force.
    """

    __tablename__ = "figures"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="RESTRICT"))
    year: Mapped[int]
    start_month: Mapped[int]
    end_month: Mapped[int]
    completions: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default="final")
    note: Mapped[str | None] = mapped_column(Text)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="RESTRICT"))
    revision: Mapped[int] = mapped_column(default=1)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    course: Mapped[Course] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (
        # R1 as a constraint: one live figure per course and period, whatever races.
        UniqueConstraint("course_id", "year", "start_month", "end_month"),
        CheckConstraint("year BETWEEN 1900 AND 9999", name="year_range"),
        CheckConstraint(
            "start_month BETWEEN 1 AND 12 AND end_month BETWEEN 1 AND 12 "
            "AND start_month <= end_month",
            name="months",
        ),
        CheckConstraint(f"completions BETWEEN 0 AND {MAX_COMPLETIONS}", name="completions_range"),
        CheckConstraint("status IN ('final', 'provisional')", name="status"),
        CheckConstraint("revision >= 1", name="revision_positive"),
        Index("ix_figures_year_course", "year", "course_id"),
    )


class CourseYearTotal(Base):
    """R5 total of one course in one year, kept current by every write of figures.

    Derived data: `app.services.totals.refresh` rewrites a row from the figures in
    the same transaction that changes them, so aggregate reads over many years
    need not read every figure. `months_mask` has bit m-1 set for each month m.
    """

    __tablename__ = "course_year_totals"

    course_id: Mapped[int] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(primary_key=True)
    total: Mapped[int]
    months_mask: Mapped[int]

    __table_args__ = (Index("ix_course_year_totals_year", "year"),)
