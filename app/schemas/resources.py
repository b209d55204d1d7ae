"""Courses, sources and figures ("attendance") as the API shows them."""

from datetime import date, datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from app.domain.periods import Period

if TYPE_CHECKING:
    from app.db.models import Figure as FigureRow


class CourseOut(BaseModel):
    """A course."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "example": {
                "slug": "school-security-officer",
                "name": "School Security Officer",
                "description": None,
                "audience": "Security personnel who are not law enforcement officers",
                "first_offered_year": None,
                "created_at": "2026-11-28T18:20:00.123456Z",
                "updated_at": "2026-11-28T18:20:00.123456Z",
            }
        },
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
        json_schema_extra={
            "example": {
                "id": 1,
                "title": "National Organization Trains Record Numbers of School Resource Officers",
                "publisher": "National Association of School Resource Officers (NASRO)",
                "place": "Hoover, Ala.",
                "published_on": "2019-09-16",
                "url": None,
                "notes": "Press release.",
            }
        },
    )

    id: int
    title: str
    publisher: str
    place: str | None
    published_on: date
    url: str | None
    notes: str | None


class AttendanceOut(BaseModel):
    """People who completed one course in one period."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": 2,
                "course": "basic-sro",
                "year": 2019,
                "start_month": 1,
                "end_month": 8,
                "period": "2019-01/2019-08",
                "period_label": "Jan–Aug 2019",
                "months": 8,
                "completions": 2516,
                "status": "final",
                "note": None,
                "source_id": 1,
                "revision": 1,
                "recorded_at": "2026-11-28T18:20:00.123456Z",
            }
        }
    )

    id: int
    course: str = Field(description="The course's slug.")
    year: int
    start_month: int = Field(ge=1, le=12)
    end_month: int = Field(ge=1, le=12)
    period: str = Field(description="ISO 8601 interval, e.g. `2019-01/2019-08`.")
    period_label: str = Field(description="For people: `2018`, `Jan–Aug 2019`, `Mar 2019`.")
    months: int = Field(description="Months in the period.")
    completions: int
    status: str = Field(description="`final` or `provisional`.")
    note: str | None
    source_id: int
    revision: int
    recorded_at: datetime = Field(description="When this value was recorded (UTC).")


def attendance_out(figure: "FigureRow") -> AttendanceOut:
    """A stored figure as the API shows it, with its period written out."""
    period = Period(figure.year, figure.start_month, figure.end_month)
    return AttendanceOut(
        id=figure.id,
        course=figure.course.slug,
        year=figure.year,
        start_month=figure.start_month,
        end_month=figure.end_month,
        period=period.iso,
        period_label=period.label,
        months=len(period.months),
        completions=figure.completions,
        status=figure.status,
        note=figure.note,
        source_id=figure.source_id,
        revision=figure.revision,
        recorded_at=figure.recorded_at,
    )
