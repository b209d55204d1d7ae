"""The answers of `/stats/shares`, `/stats/records` and `/stats/totals`."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.schemas import examples
from app.schemas.common import NoNextPage, WholeList, WholeTotal
from app.schemas.years import CourseKey

TotalsBy = Literal["year", "course", "course_year"]


class ShareItem(CourseKey):
    """A course's share of a year's total."""

    total: int = Field(description="The course's total for the year (R5).")
    share_pct: float | None = Field(description="Percent of the year's total, one decimal.")


class Shares(BaseModel):
    """Each course's share of one year's total, largest first, with the months the year
    covers (a partial year's shares are of its months only)."""

    model_config = ConfigDict(json_schema_extra={"example": examples.SHARES})

    year: int = Field(description="The year; by default the latest with figures.")
    year_total: int = Field(description="All courses' total for the year (R6).")
    months_covered: int = Field(description="Months every course's total covers (R6).")
    complete: bool = Field(description="True when every course covers all 12 months.")
    months_label: str = Field(description="The months every course covers: `Jan–Aug`.")
    items: list[ShareItem]
    total: WholeTotal
    next_cursor: NoNextPage = None


class AllCourseRecord(BaseModel):
    """A year whose total beat every earlier year's total."""

    year: int = Field(description="The record year.")
    total: int = Field(description="Its total (R5 for a course, R6 for all courses).")
    months_covered: int = Field(description="Months the total covers.")
    complete: bool = Field(description="True when the total covers all 12 months.")
    previous_best: int = Field(description="The best earlier year's total.")
    previous_best_year: int = Field(description="The year of `previous_best`.")


class RecordItem(AllCourseRecord, CourseKey):
    """A year whose total beat every earlier year's total for one course."""


class Records(WholeList[RecordItem]):
    """Record years per course and for all courses together."""

    model_config = ConfigDict(json_schema_extra={"example": examples.RECORDS})
    all_courses: list[AllCourseRecord] | None = Field(
        description="The record years of all courses together; null when `course` names one."
    )


class TotalsItem(BaseModel):
    """A total grouped by year, by course, or by both; fields outside the grouping are null."""

    course: str | None
    name: str | None
    year: int | None
    total: int
    months_covered: int | None
    complete: bool | None
    months_label: str | None


class Totals(BaseModel):
    """Totals grouped as asked."""

    model_config = ConfigDict(json_schema_extra={"example": examples.TOTALS})

    by: TotalsBy = Field(description="The grouping asked for.")
    items: list[TotalsItem]
    total: WholeTotal
    next_cursor: NoNextPage = None
