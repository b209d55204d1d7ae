"""Totals, series, comparisons, shares and records."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.domain.periods import YearTotal, months_label
from app.schemas.common import ALL_COURSES, NoNextPage, WholeTotal, item_rows

TotalsBy = Literal["year", "course", "course_year"]


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


class _YearKey(BaseModel):
    year: int


class _CourseKey(BaseModel):
    course: str = Field(description="The course's slug.")
    name: str


class YearSummary(Coverage, _YearKey):
    """All courses' total for one year (R6)."""


class YearList(BaseModel):
    """Every year with figures."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "items": [
                    {
                        "year": 2018,
                        "total": 3950,
                        "months_covered": 12,
                        "complete": True,
                        "months_label": "Jan–Dec",
                    },
                    {
                        "year": 2019,
                        "total": 6730,
                        "months_covered": 8,
                        "complete": False,
                        "months_label": "Jan–Aug",
                    },
                ]
            }
        }
    )

    items: list[YearSummary]
    total: WholeTotal
    next_cursor: NoNextPage = None

    @staticmethod
    def csv_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
        """One row per year."""
        return item_rows(data)


class CourseYearTotal(Coverage, _CourseKey):
    """One course's total for one year."""


class YearDetail(YearSummary):
    """A year's total and each course's share of it."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "year": 2019,
                "total": 6730,
                "months_covered": 8,
                "complete": False,
                "months_label": "Jan–Aug",
                "courses": [
                    {
                        "course": "basic-sro",
                        "name": "Basic SRO",
                        "total": 2516,
                        "months_covered": 8,
                        "complete": False,
                        "months_label": "Jan–Aug",
                    }
                ],
            }
        }
    )

    courses: list[CourseYearTotal]

    @staticmethod
    def csv_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
        """One row per course, then the all-course row, each with the year."""
        year = data.get("year")
        rows = [{"year": year, **c} for c in data.get("courses") or []]
        whole = {k: v for k, v in data.items() if k not in ("year", "courses")}
        return [*rows, {"year": year, "course": ALL_COURSES, "name": "All courses", **whole}]


class SeriesItem(Coverage, _YearKey):
    """One year of a course's series."""


class Series(BaseModel):
    """A course's totals year by year."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "course": "adolescent-mental-health",
                "name": "Adolescent Mental Health",
                "items": [
                    {
                        "year": 2018,
                        "total": 871,
                        "months_covered": 12,
                        "complete": True,
                        "months_label": "Jan–Dec",
                    },
                    {
                        "year": 2019,
                        "total": 3167,
                        "months_covered": 8,
                        "complete": False,
                        "months_label": "Jan–Aug",
                    },
                ],
            }
        }
    )

    course: str = Field(description="The course's slug.")
    name: str = Field(description="The course's name.")
    items: list[SeriesItem]
    total: WholeTotal
    next_cursor: NoNextPage = None

    @staticmethod
    def csv_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
        """One row per year, each with the course."""
        return item_rows(data, course=data.get("course"), name=data.get("name"))


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


class ChangeRow(ChangeFields, _CourseKey):
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
        json_schema_extra={
            "example": {
                "from": 2018,
                "to": 2019,
                "items": [
                    {
                        "course": "basic-sro",
                        "name": "Basic SRO",
                        "from_total": 2273,
                        "to_total": 2516,
                        "from_months": 12,
                        "to_months": 8,
                        "change": 243,
                        "change_pct": 10.7,
                        "comparable": False,
                        "from_same_months_total": None,
                        "change_same_months": None,
                        "change_same_months_pct": None,
                        "comparable_note": "2019 covers Jan–Aug; 2018 has no Jan–Aug figure",
                        "to_annualized": 3774.0,
                        "estimate_method": "linear",
                        "record": True,
                        "contribution_pp": 6.2,
                        "to_projected": 3774.0,
                        "projection_method": "linear",
                        "projection_basis": [],
                    }
                ],
                "all_courses": {"from_total": 3950, "to_total": 6730, "change": 2780},
                "excluding_new_courses": {
                    "from_total": 3079,
                    "to_total": 3563,
                    "change": 484,
                    "change_pct": 15.7,
                    "excluded": ["adolescent-mental-health"],
                },
            }
        },
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

    @staticmethod
    def csv_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
        """One row per course, then (without a course filter) the all-course row and the
        all-course row without new courses; each with `from` and `to`, lists of years or
        slugs written out with spaces."""
        years = {"from": data.get("from"), "to": data.get("to")}
        rows = [{**years, **item} for item in data.get("items") or []]
        if data.get("all_courses"):
            whole = data["all_courses"]
            rows.append({**years, "course": ALL_COURSES, "name": "All courses", **whole})
        if data.get("excluding_new_courses"):
            label = f"All courses first offered before {data.get('from')}"
            effect = data["excluding_new_courses"]
            rows.append({**years, "course": "(established courses)", "name": label, **effect})
        return [
            {k: " ".join(map(str, v)) if isinstance(v, list) else v for k, v in row.items()}
            for row in rows
        ]


class ShareItem(_CourseKey):
    """A course's share of a year's total."""

    total: int = Field(description="The course's total for the year (R5).")
    share_pct: float | None = Field(description="Percent of the year's total, one decimal.")


class Shares(BaseModel):
    """Each course's share of one year's total, largest first, with the months the year
    covers (a partial year's shares are of its months only)."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "year": 2019,
                "year_total": 6730,
                "months_covered": 8,
                "complete": False,
                "months_label": "Jan–Aug",
                "items": [
                    {
                        "course": "adolescent-mental-health",
                        "name": "Adolescent Mental Health",
                        "total": 3167,
                        "share_pct": 47.1,
                    }
                ],
                "total": 6,
                "next_cursor": None,
            }
        }
    )

    year: int = Field(description="The year; by default the latest with figures.")
    year_total: int = Field(description="All courses' total for the year (R6).")
    months_covered: int = Field(description="Months every course's total covers (R6).")
    complete: bool = Field(description="True when every course covers all 12 months.")
    months_label: str = Field(description="The months every course covers: `Jan–Aug`.")
    items: list[ShareItem]
    total: WholeTotal
    next_cursor: NoNextPage = None

    @staticmethod
    def csv_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
        """One row per course, then the all-course row (100%), each with the year and the
        months it covers."""
        keys = ("year", "months_covered", "complete", "months_label")
        envelope = {k: data.get(k) for k in keys}
        rows = item_rows(data, **envelope)
        whole = {"course": ALL_COURSES, "name": "All courses", "total": data.get("year_total")}
        return [*rows, {**envelope, **whole, "share_pct": 100.0}]


class AllCourseRecord(BaseModel):
    """A year whose total beat every earlier year's total."""

    year: int = Field(description="The record year.")
    total: int = Field(description="Its total (R5 for a course, R6 for all courses).")
    months_covered: int = Field(description="Months the total covers.")
    complete: bool = Field(description="True when the total covers all 12 months.")
    previous_best: int = Field(description="The best earlier year's total.")
    previous_best_year: int = Field(description="The year of `previous_best`.")


class RecordItem(AllCourseRecord, _CourseKey):
    """A year whose total beat every earlier year's total for one course."""


class Records(BaseModel):
    """Record years per course and for all courses together."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "items": [
                    {
                        "course": "basic-sro",
                        "name": "Basic SRO",
                        "year": 2019,
                        "total": 2516,
                        "months_covered": 8,
                        "complete": False,
                        "previous_best": 2273,
                        "previous_best_year": 2018,
                    }
                ],
                "total": 6,
                "next_cursor": None,
                "all_courses": [
                    {
                        "year": 2019,
                        "total": 6730,
                        "months_covered": 8,
                        "complete": False,
                        "previous_best": 3950,
                        "previous_best_year": 2018,
                    }
                ],
            }
        }
    )

    items: list[RecordItem]
    total: WholeTotal
    next_cursor: NoNextPage = None
    all_courses: list[AllCourseRecord] | None = Field(
        description="The record years of all courses together; null when `course` names one."
    )

    @staticmethod
    def csv_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
        """One row per course record, then the all-course records, labelled."""
        whole = {"course": ALL_COURSES, "name": "All courses"}
        together = [{**whole, **r} for r in data.get("all_courses") or []]
        return [*item_rows(data), *together]


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

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "by": "course_year",
                "items": [
                    {
                        "course": "basic-sro",
                        "name": "Basic SRO",
                        "year": 2018,
                        "total": 2273,
                        "months_covered": 12,
                        "complete": True,
                    }
                ],
            }
        }
    )

    by: TotalsBy = Field(description="The grouping asked for.")
    items: list[TotalsItem]
    total: WholeTotal
    next_cursor: NoNextPage = None

    @staticmethod
    def csv_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
        """One row per total; totals of all courses (`by=year` without a course)
        labelled."""
        rows = item_rows(data)
        if data.get("by") == "year":
            whole = {"course": ALL_COURSES, "name": "All courses"}
            rows = [{**r, **whole} if r.get("course") is None else r for r in rows]
        return rows


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


class RollingRow(WindowTotals, _CourseKey):
    """One course's window."""

    parts: list[RollingPart] = Field(description="What the total adds up, in month order.")
    previous_parts: list[RollingPart]


class Rolling(BaseModel):
    """Totals of the months ending at `end`, per course and for all courses, only where
    the figures determine them exactly."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "start": "2018-09",
                "end": "2019-08",
                "months": 12,
                "label": "Sep 2018–Aug 2019",
                "previous_start": "2017-09",
                "previous_end": "2018-08",
                "items": [
                    {
                        "course": "basic-sro",
                        "name": "Basic SRO",
                        "total": 3289,
                        "available": True,
                        "reason": None,
                        "parts": [
                            {
                                "year": 2018,
                                "period": "2018-09/2018-12",
                                "label": "Sep–Dec 2018",
                                "total": 773,
                                "derived": True,
                                "derivation": "2018 − Jan–Aug 2018",
                            },
                            {
                                "year": 2019,
                                "period": "2019-01/2019-08",
                                "label": "Jan–Aug 2019",
                                "total": 2516,
                                "derived": False,
                                "derivation": None,
                            },
                        ],
                        "previous_total": None,
                        "previous_available": False,
                        "previous_reason": "2017 has no figure for Sep–Dec and none can be derived",
                        "previous_parts": [],
                        "change": None,
                        "change_pct": None,
                    }
                ],
                "all_courses": {"total": None, "available": False},
            }
        }
    )

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

    @staticmethod
    def csv_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
        """One row per course, then the all-course row; each with the window, and its
        parts written out (`Sep–Dec 2018 = 773 (2018 − Jan–Aug 2018); …`)."""
        window = {k: data.get(k) for k in ("start", "end", "months")}
        rows = []
        for item in data.get("items") or []:
            row = {**window, **item}
            for key in ("parts", "previous_parts"):
                if isinstance(row.get(key), list):
                    row[key] = "; ".join(_part_text(p) for p in row[key])
            rows.append(row)
        if not data.get("all_courses"):
            return rows
        whole = {"course": ALL_COURSES, "name": "All courses", **data["all_courses"]}
        return [*rows, {**window, **whole}]


def _part_text(part: dict[str, Any]) -> str:
    text = f"{part.get('label')} = {part.get('total')}"
    return f"{text} ({part['derivation']})" if part.get("derivation") else text
