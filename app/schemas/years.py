"""Answers about years: every year's total, one year by course, a course's series;
and the coverage fields every total carries."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.domain.periods import YearTotal, months_label
from app.schemas import examples
from app.schemas.common import NoNextPage, WholeList, WholeTotal


class Coverage(BaseModel):
    """A total with the months it covers (R5)."""

    total: int = Field(description="Sum over maximal periods, never double counting.")
    months_covered: int = Field(description="Months of the year the total covers.")
    complete: bool = Field(description="True when all 12 months are covered.")
    months_label: str = Field(
        description="The months covered, for people: `Jan–Aug`, `Jan–Dec`; for all courses, "
        "the months every course covers."
    )

    @classmethod
    def fields_of(cls, t: YearTotal) -> dict[str, Any]:
        """The coverage fields of a domain total."""
        return {
            "total": t.total,
            "months_covered": t.months_covered,
            "complete": t.complete,
            "months_label": months_label(t.months),
        }


# Pydantic lists a base class's fields first; the small keyed bases below put the
# key (year, course) ahead of the numbers, as API.md shows them.


class YearKey(BaseModel):
    year: int


class CourseKey(BaseModel):
    course: str = Field(description="The course's slug.")
    name: str


class YearSummary(Coverage, YearKey):
    """All courses' total for one year (R6)."""


class YearList(WholeList[YearSummary]):
    """Every year with figures."""

    model_config = ConfigDict(json_schema_extra={"example": examples.YEAR_LIST})


class CourseYearTotal(Coverage, CourseKey):
    """One course's total for one year."""


class YearDetail(YearSummary):
    """A year's total and each course's share of it."""

    model_config = ConfigDict(json_schema_extra={"example": examples.YEAR_DETAIL})

    courses: list[CourseYearTotal]


class SeriesItem(Coverage, YearKey):
    """One year of a course's series."""


class Series(BaseModel):
    """A course's totals year by year."""

    model_config = ConfigDict(json_schema_extra={"example": examples.SERIES})

    course: str = Field(description="The course's slug.")
    name: str = Field(description="The course's name.")
    items: list[SeriesItem]
    total: WholeTotal
    next_cursor: NoNextPage = None
