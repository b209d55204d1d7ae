"""The answer of `/stats/rolling`: exact totals of a window and the one a year before."""

from pydantic import BaseModel, ConfigDict, Field

from app.schemas import examples
from app.schemas.common import NoNextPage, WholeTotal
from app.schemas.years import CourseKey


class RollingPart(BaseModel):
    """Months of one year used in a window: a stored figure, or one derived by
    subtracting the figures inside a container from it."""

    year: int
    period: str | None = Field(
        description="ISO 8601 interval of the months, e.g. `2018-09/2018-12`; null when "
        "they are not contiguous."
    )
    label: str = Field(description="For people: `Sep–Dec 2018`.")
    total: int
    derived: bool = Field(description="Obtained by subtraction, not stored as a figure.")
    derivation: str | None = Field(
        description="How a derived part was obtained, e.g. `2018 − Jan–Aug 2018`."
    )


class WindowTotals(BaseModel):
    """A window's exact total and the same window a year earlier."""

    total: int | None = Field(description="Exact total of the window; null when unavailable.")
    available: bool
    reason: str | None = Field(description="Why the figures do not determine the total.")
    previous_total: int | None = Field(description="The same months a year earlier.")
    previous_available: bool
    previous_reason: str | None
    change: int | None = Field(description="total − previous_total, when both exist.")
    change_pct: float | None = Field(description="change / previous_total × 100, one decimal.")


class RollingRow(WindowTotals, CourseKey):
    """One course's window."""

    parts: list[RollingPart] = Field(description="What the total adds up, in month order.")
    previous_parts: list[RollingPart]


class Rolling(BaseModel):
    """Totals of the months ending at `end`, per course and for all courses, only where
    the figures determine them exactly."""

    model_config = ConfigDict(json_schema_extra={"example": examples.ROLLING})

    start: str = Field(description="First month of the window, `YYYY-MM`.")
    end: str = Field(description="Last month of the window, `YYYY-MM`.")
    months: int
    label: str = Field(description="For people: `Sep 2018–Aug 2019`.")
    previous_start: str
    previous_end: str
    items: list[RollingRow]
    total: WholeTotal
    next_cursor: NoNextPage = None
    all_courses: WindowTotals | None = Field(
        description="Every course's window together; null when `course` names one."
    )
