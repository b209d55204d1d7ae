"""Courses, sources and figures ("attendance") as the API shows them."""

from datetime import date, datetime
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.domain.periods import Period
from app.domain.vintages import counts_from
from app.schemas import examples
from app.schemas.common import NoNextPage, WholeTotal
from app.schemas.writes import Status

RevisionAction = Literal["create", "update", "delete"]


class CourseOut(BaseModel):
    """A course."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={"example": examples.COURSE_OUT},
    )

    slug: str
    name: str
    description: str | None
    audience: str | None
    first_offered_year: int | None
    created_at: datetime
    updated_at: datetime


class SourceOut(BaseModel):
    """Where figures came from."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={"example": examples.SOURCE_OUT},
    )

    id: int
    title: str
    publisher: str
    place: str | None
    published_on: date | None = Field(
        description="When it was published; null for figures never published. Vintages "
        "(`vintage=`) count its figures from this date."
    )
    url: str | None
    notes: str | None


class AttendanceOut(BaseModel):
    """People who completed one course in one period."""

    model_config = ConfigDict(json_schema_extra={"example": examples.ATTENDANCE_OUT})

    id: int
    course: str = Field(description="The course's slug.")
    year: int
    start_month: int = Field(ge=1, le=12)
    end_month: int = Field(ge=1, le=12)
    period: str = Field(description="ISO 8601 interval, e.g. `2019-01/2019-08`.")
    period_label: str = Field(description="For people: `2018`, `Jan–Aug 2019`, `Mar 2019`.")
    months: int = Field(description="Months in the period.")
    completions: int
    status: Status = Field(description="`final` or `provisional`.")
    note: str | None
    source_id: int
    revision: int
    recorded_at: datetime = Field(description="When this value was recorded (UTC).")


class RevisionOut(BaseModel):
    """One vintage of a figure: its values from `recorded_at` until the next revision."""

    model_config = ConfigDict(json_schema_extra={"example": examples.REVISION_OUT})

    figure_id: int
    revision: int
    action: RevisionAction = Field(description="`create`, `update` or `delete`.")
    course: str
    period: str
    period_label: str
    completions: int
    status: Status
    note: str | None
    source_id: int
    recorded_at: datetime
    recorded_by: str | None = Field(description="The name of the key that made the change.")
    published_on: date | None = Field(
        description="Its source's publication date (null for a deletion, or a source without one)."
    )
    vintage_from: date = Field(
        description="The first `vintage` date whose answers include this revision: "
        "`published_on`, else the UTC day it was recorded."
    )


class Revisions(BaseModel):
    """Every revision of one figure, oldest first."""

    figure_id: int = Field(description="The figure's id.")
    items: list[RevisionOut]
    total: WholeTotal
    next_cursor: NoNextPage = None


@lru_cache(maxsize=4096)
def _period_fields(year: int, start_month: int, end_month: int) -> tuple[str, str, int]:
    """A period's ISO interval, label and month count: a page repeats a few periods."""
    period = Period(year, start_month, end_month)
    return period.iso, period.label, len(period.months)


def attendance_out(row: Any) -> AttendanceOut:
    """A figure row (with the course slug as `course`) as the API shows it."""
    iso, label, months = _period_fields(row.year, row.start_month, row.end_month)
    return AttendanceOut(
        id=row.id,
        course=row.course,
        year=row.year,
        start_month=row.start_month,
        end_month=row.end_month,
        period=iso,
        period_label=label,
        months=months,
        completions=row.completions,
        status=row.status,
        note=row.note,
        source_id=row.source_id,
        revision=row.revision,
        recorded_at=row.recorded_at,
    )


def revision_out(rev: Any) -> RevisionOut:
    """A stored revision as the API shows it."""
    period = Period.of(rev)
    deleted = rev.action == "delete"
    published = None if deleted else rev.source.published_on
    return RevisionOut(
        figure_id=rev.figure_id,
        revision=rev.revision,
        action=rev.action,
        course=rev.course.slug,
        period=period.iso,
        period_label=period.label,
        completions=rev.completions,
        status=rev.status,
        note=rev.note,
        source_id=rev.source_id,
        recorded_at=rev.recorded_at,
        recorded_by=rev.recorded_by,
        published_on=published,
        vintage_from=counts_from(published, rev.recorded_at, deleted),
    )


class ImportReportOut(BaseModel):
    """What an import stored."""

    model_config = ConfigDict(json_schema_extra={"example": examples.IMPORT_REPORT_OUT})

    rows: int
    created: int
    revised: int
    unchanged: int
    dry_run: bool = Field(
        default=False, description="True when nothing was stored: the counts say what would be."
    )


class AuditEntryOut(BaseModel):
    """One write: who, when, what, and the values before and after."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={"example": examples.AUDIT_ENTRY_OUT},
    )

    id: int
    at: datetime
    actor: str
    key_prefix: str | None
    action: str
    resource: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
