"""The answer of `/stats/changes`: a comparison between two years."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.schemas import examples
from app.schemas.common import NoNextPage, WholeTotal
from app.schemas.years import CourseKey


class ChangeFields(BaseModel):
    """The comparison of two years' totals."""

    from_total: int
    to_total: int
    from_months: int
    to_months: int
    change: int = Field(description="to_total − from_total.")
    change_pct: float | None = Field(description="change / from_total × 100; null when 0.")
    comparable: bool = Field(description="Both years cover the same months.")
    from_same_months_total: int | None = Field(
        description="The `from` year's total over exactly the `to` year's months, if stored."
    )
    change_same_months: int | None
    change_same_months_pct: float | None
    comparable_note: str | None = Field(description="Why the row is not like for like.")
    to_annualized: float | None = Field(
        description="Projection: to_total × 12 / to_months; null when complete. Not an observation."
    )
    estimate_method: str = Field(description="How `to_annualized` is projected.")
    record: bool | None = Field(
        description="to_total beats every earlier year's total; null when there is none."
    )
    to_projected: float | None = Field(
        description="The `to` year projected to twelve months, one decimal; null when it is "
        "complete or empty. Seasonal when earlier complete years (the five most recent) hold "
        "(or let one derive) a figure for exactly the `to` year's months: to_total × Σ their "
        "full-year totals / Σ their same-months totals; else linear, as `to_annualized`. "
        "Of several courses: the sum of theirs. Not an observation."
    )
    projection_method: Literal["seasonal", "linear", "mixed"] | None = Field(
        description="How `to_projected` was made (`mixed`: some courses seasonal, some "
        "linear); null when there is no projection."
    )
    projection_basis: list[int] = Field(
        description="The earlier complete years a seasonal projection rests on; empty otherwise."
    )
    change_projected_pct: float | None = Field(
        description="(to_projected − from_total) / from_total × 100, one decimal: the change "
        "a reader of a partial year wants, at its own season's pace. Null when the `to` year "
        "is complete or from_total is 0. A projection, not an observation."
    )


class ChangeRow(ChangeFields, CourseKey):
    """One course's comparison."""

    contribution_pp: float | None = Field(
        description="This course's share of the all-course percent change, in percentage "
        "points: change / all-course from_total x 100 (null when that is 0), relative to "
        "all courses even when `course` filters the rows. The rows add up to "
        "all_courses.change_pct within 0.05 per row (each is rounded on its own)."
    )


class AggregateChange(ChangeFields):
    """The comparison of several courses together (R6), with a sentence that says it."""

    headline: str = Field(
        description="One plain sentence a dashboard prints as is: both periods with their "
        "months, both totals, the change as reported and, for a partial `to` year, the "
        "change to its projection with the method."
    )


class NewCourseEffect(AggregateChange):
    """The all-course comparison without the courses first offered in or after `from`
    (their `from` year may not be a full year of teaching)."""

    excluded: list[str] = Field(description="Slugs of the courses left out.")
    note: str = Field(description="What was left out, or that nothing was.")


class Changes(BaseModel):
    """Year-on-year changes per course and for all courses."""

    model_config = ConfigDict(
        populate_by_name=True,
        json_schema_extra={"example": examples.CHANGES},
    )

    from_year: int = Field(alias="from", description="The earlier year.")
    to_year: int = Field(alias="to", description="The later year.")
    items: list[ChangeRow]
    total: WholeTotal
    next_cursor: NoNextPage = None
    all_courses: AggregateChange | None = Field(
        description="Every course together; null when `course` names one."
    )
    excluding_new_courses: NewCourseEffect | None = Field(
        description="All courses but those first offered in or after `from`; null when "
        "`course` names one."
    )
