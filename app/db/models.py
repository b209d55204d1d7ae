"""Tables. Figures are the API's "attendance": completions of one course in one period."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, composite, declared_attr, mapped_column, relationship

from app.db.base import Base, UTCDateTime, utcnow
from app.domain.periods import Period

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
    # None: not a publication (figures typed in); vintages count them by the day recorded.
    published_on: Mapped[date | None] = mapped_column(Date)
    url: Mapped[str | None] = mapped_column(String(2000))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("title", "publisher", "published_on"),)


# What a revision may change besides the course and period.
FIGURE_VALUES = ("completions", "status", "note", "source_id")
# A figure's vintage: the columns `figures` and `figure_revisions` share by name (the
# figure's id is `id` in one and `figure_id` in the other).
VINTAGE = (
    "course_id",
    "year",
    "start_month",
    "end_month",
    *FIGURE_VALUES,
    "revision",
    "recorded_at",
)


class FigureColumns:
    """A figure's columns, the same in `figures` and `figure_revisions` (declared once)."""

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
    recorded_by: Mapped[str | None] = mapped_column(String(100))  # the key that wrote it

    @declared_attr
    def period(cls) -> Mapped[Period]:  # noqa: N805 (a class attribute)
        """Its year and months as one `Period`."""
        return composite("year", "start_month", "end_month")

    @declared_attr
    def course(cls) -> Mapped[Course]:  # noqa: N805
        """Its course (loaded with it)."""
        return relationship(lazy="joined", innerjoin=True)


class Figure(FigureColumns, Base):
    """The live value of one course's completions in one period.

    `revision`, `recorded_at` and `recorded_by` describe the current vintage; earlier
    vintages are kept apart from this table, so it always holds exactly the figures in
    force.
    """

    __tablename__ = "figures"

    id: Mapped[int] = mapped_column(primary_key=True)

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
        Index("ix_figures_recorded_at", "recorded_at"),
        # Ids are never reused: a deleted figure keeps its id in its revisions.
        {"sqlite_autoincrement": True},
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


class CourseYearTotalHistory(Base):
    """Each R5 total a course-year has had, from the write that made it (`valid_from`)
    until the write that changed it (`valid_to`, null while current): `as_of` totals
    are one indexed read, not a walk through every revision."""

    __tablename__ = "course_year_total_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    year: Mapped[int]
    total: Mapped[int]
    months_mask: Mapped[int]
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_course_year_total_history_course_id", "course_id", "year", "valid_to"),
        Index("ix_course_year_total_history_year", "year", "valid_from"),
    )


class FigureRevision(FigureColumns, Base):
    """One vintage of a figure: its values from `recorded_at` until the next revision.

    Written with every revision and delete (`action`), never changed, so `as_of`
    answers and `/revisions` can show what was known when. A delete is a revision
    too: the last values, marked `delete`. A figure never revised has no rows here:
    its one vintage is its row in `figures` (an import of a million new figures
    writes them once); its first revise or delete copies that vintage here first.
    """

    __tablename__ = "figure_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    figure_id: Mapped[int]
    revision: Mapped[int]
    action: Mapped[str] = mapped_column(String(10))
    # Its publication date, for vintages, is its source's: sources are never edited.
    source: Mapped[Source] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (
        UniqueConstraint("figure_id", "revision"),
        CheckConstraint("action IN ('create', 'update', 'delete')", name="action"),
        Index("ix_figure_revisions_recorded_at", "recorded_at"),
        Index("ix_figure_revisions_course_year", "course_id", "year"),
    )


class ApiKey(Base):
    """A key for writes; only its SHA-256 is stored, found by its short prefix."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(20), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """Who changed what, when: one row per write, with the values before and after."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    key_prefix: Mapped[str | None] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(50))
    resource: Mapped[str] = mapped_column(String(200))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The data version the write made (`/api/v1/updates`); None only in packages
    # exported before versions were kept.
    version: Mapped[int | None]

    __table_args__ = (Index("ix_audit_log_at", "at"), Index("ix_audit_log_version", "version"))


class IdempotencyRecord(Base):
    """The first response to a POST with an `Idempotency-Key`, replayed for repeats."""

    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(500))
    etag: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("api_key_id", "key"),)


class DataVersion(Base):
    """One row whose `version` every change to served data advances, in the same
    transaction; ETags and the response cache of every worker key on it."""

    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int]

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


class WriteEvent(Base):
    """One write made with a key, kept a minute: the per-key write rate, counted where
    every worker and node sees it."""

    __tablename__ = "write_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_write_events_api_key_id_at", "api_key_id", "at"),)
