"""Loading totals and figures for statistics: R5 course-year totals in one query
(current, as of a moment, or of a vintage), and figures by course and year."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.orm import Session

from app.db.direct import fetch
from app.db.models import Course, CourseYearTotal, CourseYearTotalHistory
from app.domain import periods
from app.domain.vintages import CURRENT, Vintage
from app.schemas import stats as out
from app.services import history
from app.services.filters import where_given

NO_FIGURES = periods.YearTotal.over(0, frozenset())


@dataclass
class CourseTotals:
    """One course's R5 totals, by year."""

    id: int
    slug: str
    name: str
    years: dict[int, periods.YearTotal] = field(default_factory=dict)

    def total(self, year: int) -> periods.YearTotal:
        """The total for `year` (zero over no months when there are no figures)."""
        return self.years.get(year, NO_FIGURES)

    def sum_of_years(self) -> int:
        """Its totals over every year it has."""
        return sum(t.total for t in self.years.values())

    def fields(self, year: int) -> dict[str, Any]:
        """The course's total for `year` as the API's fields (`out.CourseYearTotal`)."""
        return {"course": self.slug, "name": self.name, **out.Coverage.fields_of(self.total(year))}


def load(
    session: Session,
    *,
    course: Course | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
    at: Vintage = CURRENT,
) -> list[CourseTotals]:
    """R5 totals grouped by course (in the order courses were added) and year, one query.

    Current answers read the stored course-year totals; `as_of` answers read the totals
    in force then from their history; `vintage` answers sum the figures in force.
    """
    course_id = None if course is None else course.id
    filters = {"course_id": course_id, "year_from": year_from, "year_to": year_to}
    params: dict[str, Any] = {k: v for k, v in filters.items() if v is not None}
    if at.published_by is not None:
        figures = _figures_query(frozenset(params), at.as_of is not None)
        return _summed(fetch(session, figures, {**params, **history.params(at)}))
    totals = _totals_query(frozenset(params), at.as_of is not None)
    return _grouped(fetch(session, totals, {**params, "as_of": at.as_of}))


@lru_cache(maxsize=16)
def _figures_query(filters: frozenset[str], as_of: bool) -> Select[Any]:
    """The figures of a vintage (course id, slug, name, year, start, end, completions),
    with the given filters as parameters, by course and year."""
    v = history.figure_view(as_of, True)
    query = (
        select(Course.id, Course.slug, Course.name, v.c.year)
        .add_columns(v.c.start_month, v.c.end_month, v.c.completions)
        .join(v, v.c.course_id == Course.id)
        .order_by(Course.id, v.c.year)
    )
    return where_given(query, filters, year=v.c.year, course_id=v.c.course_id)


def _summed(rows: Iterable[Any]) -> list[CourseTotals]:
    """Figure rows as R5 totals by course and year."""
    figures: dict[tuple[int, str, str], dict[int, list[periods.Figure]]] = {}
    for cid, slug, name, year, start, end, completions in rows:
        by_year = figures.setdefault((cid, slug, name), defaultdict(list))
        by_year[year].append(periods.Figure(periods.Period(year, start, end), completions))
    return [
        CourseTotals(cid, slug, name, {y: periods.year_total(f) for y, f in by_year.items()})
        for (cid, slug, name), by_year in figures.items()
    ]


@lru_cache(maxsize=2)
def totals_in_force(as_of: bool) -> Any:
    """Course-year totals (course_id, year, total, months_mask): the current ones, or,
    with `as_of` bound, those in force at that moment, from their history."""
    if not as_of:
        return CourseYearTotal.__table__
    h = CourseYearTotalHistory
    moment = bindparam("as_of", type_=h.valid_from.type)
    return (
        select(h.course_id, h.year, h.total, h.months_mask)
        .where(h.valid_from <= moment, or_(h.valid_to.is_(None), h.valid_to > moment))
        .subquery("totals_as_of")
    )


@lru_cache(maxsize=16)
def _totals_query(filters: frozenset[str], as_of: bool) -> Select[int, str, str, int, int, int]:
    """The totals with the given filters as parameters: built once per shape, since
    building a statement costs more than running it on a small answer."""
    t = totals_in_force(as_of)
    query = (
        select(Course.id, Course.slug, Course.name, t.c.year, t.c.total, t.c.months_mask)
        .join(t, t.c.course_id == Course.id)
        .order_by(Course.id, t.c.year)
    )
    return where_given(query, filters, year=t.c.year, course_id=t.c.course_id)


def _grouped(rows: Iterable[Any]) -> list[CourseTotals]:
    """Rows of (course id, slug, name, year, total, months mask) as totals by course."""
    grouped: dict[int, CourseTotals] = {}
    for cid, slug, name, year, total, mask in rows:
        ct = grouped.get(cid)
        if ct is None:
            ct = grouped[cid] = CourseTotals(cid, slug, name)
        ct.years[year] = periods.YearTotal.over(total, periods.mask_months(mask))
    return list(grouped.values())


def figures_by_year(
    session: Session,
    *,
    course_ids: Iterable[int],
    year_from: int,
    year_to: int,
    at: Vintage = CURRENT,
) -> dict[int, dict[int, list[periods.Figure]]]:
    """Every figure of these courses from `year_from` to `year_to` (in force for `at`),
    by course and year, in one query."""
    ids = list(course_ids)
    found: dict[int, dict[int, list[periods.Figure]]] = defaultdict(lambda: defaultdict(list))
    if not ids:
        return found
    v = history.figure_view(at.as_of is not None, at.published_by is not None)
    rows = session.execute(
        select(v.c.course_id, v.c.year, v.c.start_month, v.c.end_month, v.c.completions).where(
            v.c.year >= year_from, v.c.year <= year_to, v.c.course_id.in_(ids)
        ),
        history.params(at),
    ).all()  # fetched at once: a row at a time costs more than the rest of the work
    period, figure = periods.Period._make, periods.Figure  # stored periods are valid
    for course_id, year, start, end, completions in rows:
        found[course_id][year].append(figure(period((year, start, end)), completions))
    return found


def all_courses(courses: Iterable[CourseTotals], year: int) -> periods.YearTotal:
    """R6 total for `year` over the courses that have figures in it."""
    return periods.combine([c.total(year) for c in courses if year in c.years])


def summary(year: int, t: periods.YearTotal) -> out.YearSummary:
    return out.YearSummary(year=year, **out.Coverage.fields_of(t))


def years_of(courses: Iterable[CourseTotals]) -> list[int]:
    return sorted({y for c in courses for y in c.years})
