"""Shares of a year, record years and totals grouped as asked."""

from typing import Any

from sqlalchemy.orm import Session

from app.domain import periods
from app.domain import stats as calc
from app.domain.vintages import CURRENT, Vintage
from app.errors import NotFound
from app.schemas import stats as out
from app.services.catalog import get_course
from app.services.stats.loading import all_courses, load, years_of
from app.services.stats.years import latest_year


def shares(session: Session, *, year: int | None, at: Vintage = CURRENT) -> out.Shares:
    """Each course's share of `year`'s total (by default the latest year with figures),
    largest first, with the months the year covers; 404 without figures."""
    year = latest_year(session, at=at) if year is None else year
    courses = load(session, year_from=year, year_to=year, at=at)
    if not courses:
        raise NotFound(f"No figures for {year}{at.describe()}.")
    by_slug = {c.slug: c for c in courses}
    parts = calc.shares([(c.slug, c.total(year).total) for c in courses])
    whole = out.Coverage.fields_of(all_courses(courses, year))
    return out.Shares(
        year=year,
        year_total=whole.pop("total"),
        **whole,
        items=[
            out.ShareItem(
                course=p.key, name=by_slug[p.key].name, total=p.total, share_pct=p.share_pct
            )
            for p in parts
        ],
        total=len(parts),
    )


def records(
    session: Session,
    *,
    year: int | None = None,
    course: str | None = None,
    at: Vintage = CURRENT,
) -> out.Records:
    """Record years per course and, without a course filter, for all courses together
    (`all_courses`)."""
    only = None if course is None else get_course(session, slug=course)
    courses = load(session, course=only, year_to=year, at=at)

    def found(totals: dict[int, periods.YearTotal]) -> list[dict[str, Any]]:
        return [
            {
                "year": r.year,
                "total": r.total,
                "months_covered": totals[r.year].months_covered,
                "complete": totals[r.year].complete,
                "previous_best": r.previous_best,
                "previous_best_year": r.previous_best_year,
            }
            for r in calc.records([(y, t.total) for y, t in totals.items()])
            if year is None or r.year == year
        ]

    items = [
        out.RecordItem(course=c.slug, name=c.name, **fields)
        for c in courses
        for fields in found({y: c.total(y) for y in c.years})
    ]
    together = None
    if course is None:
        every_year = {y: all_courses(courses, y) for y in years_of(courses)}
        together = [out.AllCourseRecord(**fields) for fields in found(every_year)]
    return out.Records(items=items, total=len(items), all_courses=together)


# A sum over years has no coverage of its own (each year has one).
NO_COVERAGE = {"months_covered": None, "complete": None, "months_label": None}


def totals(
    session: Session,
    *,
    by: out.TotalsBy,
    course: str | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
    at: Vintage = CURRENT,
) -> out.Totals:
    """Totals grouped by year (of all courses, or of the one named), by course (summed
    over years), or by course and year."""
    named = None if course is None else get_course(session, slug=course)
    courses = load(session, course=named, year_from=year_from, year_to=year_to, at=at)
    items: list[out.TotalsItem] = []
    if by == "year":
        slug, name = (None, None) if named is None else (named.slug, named.name)
        for y in years_of(courses):
            t = all_courses(courses, y)
            items.append(
                out.TotalsItem(course=slug, name=name, year=y, **out.Coverage.fields_of(t))
            )
    elif by == "course":
        items = [
            out.TotalsItem(
                course=c.slug, name=c.name, year=None, total=c.sum_of_years(), **NO_COVERAGE
            )
            for c in courses
        ]
    else:
        items = [out.TotalsItem(year=y, **c.fields(y)) for c in courses for y in sorted(c.years)]
    return out.Totals(by=by, items=items, total=len(items))
