"""Totals by year: every year's all-course total, one year by course, a course's series."""

from functools import lru_cache
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.domain import periods
from app.domain.vintages import CURRENT, Vintage
from app.errors import NotFound
from app.schemas import stats as out
from app.services.catalog import get_course
from app.services.stats.loading import all_courses, load, summary, totals_in_force, years_of


def year_summaries(session: Session, *, at: Vintage = CURRENT) -> list[out.YearSummary]:
    """Every year with figures and its all-course total (R6), aggregated by the database:
    the sum, the months every course covers (bit by bit) and the fewest months a
    course covers, so an answer over a million figures reads one row per year. A
    vintage sums the figures in force instead."""
    if at.published_by is not None:
        courses = load(session, at=at)
        return [summary(y, all_courses(courses, y)) for y in years_of(courses)]
    summaries = []
    for year, total, fewest, *bits in session.execute(
        _year_aggregates(at.as_of is not None), {"as_of": at.as_of}
    ):
        months = frozenset(m for m, bit in enumerate(bits, start=1) if bit)
        t = periods.YearTotal(int(total), months, int(fewest), int(fewest) == 12)
        summaries.append(summary(year, t))
    return summaries


@lru_cache(maxsize=2)
def _year_aggregates(as_of: bool) -> Select[Any]:
    """Per year: total, fewest months covered, then for each month whether every course
    covers it; current or (with `as_of` bound) from the totals' history."""
    source = totals_in_force(as_of)
    bits = [source.c.months_mask.op(">>")(m).op("&")(1) for m in range(12)]
    covered = bits[0]
    for bit in bits[1:]:
        covered = covered + bit
    return (
        select(
            source.c.year,
            func.sum(source.c.total),
            func.min(covered),
            *(func.min(bit) for bit in bits),
        )
        .group_by(source.c.year)
        .order_by(source.c.year)
    )


def year_detail(session: Session, *, year: int, at: Vintage = CURRENT) -> out.YearDetail:
    """One year's all-course total and each course's total; 404 without figures."""
    courses = load(session, year_from=year, year_to=year, at=at)
    if not courses:
        raise NotFound(f"No figures for {year}{at.describe()}.")
    # Validated at once: a model made for each course costs more than the read.
    return out.YearDetail.model_validate(
        {
            "year": year,
            **out.Coverage.fields_of(all_courses(courses, year)),
            "courses": [c.fields(year) for c in courses],
        }
    )


def series(session: Session, *, slug: str, at: Vintage = CURRENT) -> out.Series:
    """A course's total for each year it has figures."""
    course = get_course(session, slug=slug)
    loaded = load(session, course=course, at=at)
    items = []
    if loaded:
        c = loaded[0]
        items = [
            out.SeriesItem(year=y, **out.Coverage.fields_of(c.total(y))) for y in sorted(c.years)
        ]
    return out.Series(course=course.slug, name=course.name, items=items, total=len(items))


def latest_year(session: Session, *, at: Vintage = CURRENT) -> int:
    """The latest year with figures; 404 when there are none."""
    years = [y.year for y in year_summaries(session, at=at)]
    if not years:
        raise NotFound(f"No figures{at.describe()}.")
    return years[-1]
