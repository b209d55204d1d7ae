"""Totals, series, comparisons, shares and records."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.domain.periods import YearTotal, months_label
from app.schemas.common import ALL_COURSES, item_rows

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

    course: str
    name: str
    items: list[SeriesItem]

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


class ChangeRow(ChangeFields, _CourseKey):
    """One course's comparison."""

    contribution_pp: float | None = Field(
        description="This course's share of the all-course percent change, in percentage "
        "points: change / all-course from_total x 100 (null when that is 0). The rows add "
        "up to all_courses.change_pct within 0.05 per row (each is rounded on its own)."
    )
    to_projected: float | None = Field(
        description="The `to` year projected to twelve months, one decimal; null when it is "
        "complete or empty. Seasonal when earlier complete years (the five most recent) hold "
        "(or let one derive) a figure for exactly the `to` year's months: to_total × Σ their "
        "full-year totals / Σ their same-months totals; else linear, as `to_annualized`. "
        "Not an observation."
    )
    projection_method: Literal["seasonal", "linear"] | None = Field(
        description="How `to_projected` was made; null when there is no projection."
    )
    projection_basis: list[int] = Field(
        description="The earlier complete years a seasonal projection rests on; empty otherwise."
    )


class NewCourseEffect(ChangeFields):
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

    from_year: int = Field(alias="from")
    to_year: int = Field(alias="to")
    items: list[ChangeRow]
    all_courses: ChangeFields
    excluding_new_courses: NewCourseEffect

    @staticmethod
    def csv_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
        """One row per course, the all-course row, then the all-course row without new
        courses; each with `from` and `to`."""
        years = {"from": data.get("from"), "to": data.get("to")}
        rows = []
        for item in data.get("items") or []:
            basis = item.get("projection_basis")
            if isinstance(basis, list):
                item = {**item, "projection_basis": " ".join(str(y) for y in basis)}
            rows.append({**years, **item})
        rows.append({**years, "course": ALL_COURSES, "name": "All courses", **data["all_courses"]})
        effect = dict(data.get("excluding_new_courses") or {})
        if effect:
            excluded = effect.pop("excluded", [])
            effect["excluded"] = " ".join(excluded) if isinstance(excluded, list) else excluded
            label = f"All courses first offered before {data.get('from')}"
            rows.append({**years, "course": "(established courses)", "name": label, **effect})
        return rows


class ShareItem(BaseModel):
    """A course's share of a year's total."""

    course: str
    name: str
    total: int
    share_pct: float | None = Field(description="Percent of the year's total, one decimal.")


class Shares(BaseModel):
    """Each course's share of one year's total, largest first."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "year": 2019,
                "total": 6730,
                "items": [
                    {
                        "course": "adolescent-mental-health",
                        "name": "Adolescent Mental Health",
                        "total": 3167,
                        "share_pct": 47.1,
                    }
                ],
            }
        }
    )

    year: int
    total: int
    items: list[ShareItem]

    @staticmethod
    def csv_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
        """One row per course, then the all-course row (100%), each with the year."""
        rows = item_rows(data, year=data.get("year"))
        whole = {"course": ALL_COURSES, "name": "All courses", "total": data.get("total")}
        return [*rows, {"year": data.get("year"), **whole, "share_pct": 100.0}]


class RecordItem(BaseModel):
    """A year whose total beat every earlier year's total."""

    course: str | None = Field(description="The course's slug; null for all courses together.")
    name: str | None
    year: int
    total: int
    months_covered: int
    complete: bool
    previous_best: int
    previous_best_year: int


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
                ]
            }
        }
    )

    items: list[RecordItem]

    @staticmethod
    def csv_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
        """One row per record; the all-course records labelled."""
        return [
            {**r, "course": r.get("course") or ALL_COURSES, "name": r.get("name") or "All courses"}
            for r in data.get("items") or []
        ]


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

    by: TotalsBy
    items: list[TotalsItem]

    @staticmethod
    def csv_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
        """One row per total; totals of all courses (`by=year`) labelled."""
        rows = item_rows(data)
        if data.get("by") == "year":
            rows = [{**r, "course": ALL_COURSES, "name": "All courses"} for r in rows]
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
    all_courses: WindowTotals

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
        whole = {"course": ALL_COURSES, "name": "All courses", **data.get("all_courses", {})}
        return [*rows, {**window, **whole}]


def _part_text(part: dict[str, Any]) -> str:
    text = f"{part.get('label')} = {part.get('total')}"
    return f"{text} ({part['derivation']})" if part.get("derivation") else text
