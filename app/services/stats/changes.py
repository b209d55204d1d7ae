"""Comparisons between two years (API.md, "Comparisons"), with projections, like for
like, contributions and the change without new courses."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Course
from app.domain import derive
from app.domain import stats as calc
from app.domain.vintages import CURRENT, Vintage
from app.errors import Invalid, NotFound
from app.schemas import stats as out
from app.services.catalog import get_course
from app.services.stats.loading import CourseTotals, all_courses, figures_by_year, load, years_of


def changes(
    session: Session,
    *,
    from_year: int,
    to_year: int,
    course: str | None = None,
    at: Vintage = CURRENT,
) -> out.Changes:
    """Per-course and all-course comparison of two years (see API.md, Comparisons); 404
    for a year without figures. With `course`, no aggregate: its row alone, its
    `contribution_pp` still a share of the all-course change."""
    if from_year >= to_year:
        raise Invalid(
            f"'from' ({from_year}) must be an earlier year than 'to' ({to_year}).",
            errors=[{"field": "from", "message": "must be before 'to'"}],
        )
    named = None if course is None else get_course(session, slug=course)
    # Every course up to `to` (a year's existence, the aggregate, earlier years for
    # records); with a course filter, only both years of every course and its own.
    everyone = load(session, year_from=None if named is None else from_year, year_to=to_year, at=at)
    for year in (from_year, to_year):
        if not any(year in c.years for c in everyone):
            raise NotFound(f"No figures for {year}{at.describe()}.")
    all_from = all_courses(everyone, from_year)
    if named is None:
        courses = [c for c in everyone if from_year in c.years or to_year in c.years]
    else:
        courses = load(session, course=named, year_to=to_year, at=at) or [
            CourseTotals(named.id, named.slug, named.name)
        ]
    first_offered = _first_offered(session, courses)
    rows, projections = _change_rows(session, courses, from_year, to_year, first_offered, at)
    for row, pp in zip(
        rows, calc.contributions([r.change for r in rows], all_from.total), strict=True
    ):
        row.contribution_pp = pp
    overall = effect = None
    if named is None:
        overall = _overall(courses, rows, projections, from_year, to_year)
        effect = _without_new(courses, rows, projections, first_offered, from_year, to_year)
    return out.Changes(
        from_year=from_year,
        to_year=to_year,
        items=rows,
        total=len(rows),
        all_courses=overall,
        excluding_new_courses=effect,
    )


def _without_new(
    courses: list[CourseTotals],
    rows: list[out.ChangeRow],
    projections: list[derive.Projection],
    first_offered: dict[int, int | None],
    from_year: int,
    to_year: int,
) -> out.NewCourseEffect:
    """The aggregate without the courses first offered in or after `from_year`."""
    new = {c.id for c in courses if (first_offered.get(c.id) or 0) >= from_year}
    kept = [i for i, c in enumerate(courses) if c.id not in new]
    excluded = [c.name for c in courses if c.id in new]
    without = _overall(
        [courses[i] for i in kept],
        [rows[i] for i in kept],
        [projections[i] for i in kept],
        from_year,
        to_year,
        subject=(
            f"Without {', '.join(excluded)} (first offered in or after {from_year})"
            if excluded
            else ""
        ),
    )
    note = (
        f"Leaves out {', '.join(excluded)}: first offered in or after {from_year}."
        if excluded
        else f"No course was first offered in or after {from_year}: the same as all_courses."
    )
    return out.NewCourseEffect(
        **overall_fields(without), excluded=[c.slug for c in courses if c.id in new], note=note
    )


def overall_fields(model: out.AggregateChange) -> dict[str, Any]:
    """An aggregate's fields, to build a model that extends it."""
    return {name: getattr(model, name) for name in out.AggregateChange.model_fields}


def _change_rows(
    session: Session,
    courses: list[CourseTotals],
    from_year: int,
    to_year: int,
    first_offered: dict[int, int | None],
    at: Vintage,
) -> tuple[list[out.ChangeRow], list[derive.Projection]]:
    """Each course's comparison and the projection of its `to` year."""
    # Like for like needs the earlier year's figures only where the months differ;
    # a seasonal projection, the earlier complete years' figures of a partial year.
    unlike = {c.id for c in courses if c.total(from_year).months != c.total(to_year).months}
    partial = {c.id for c in courses if c.total(to_year).months and not c.total(to_year).complete}
    seasonal_years = {c.id: _seasonal_years(c, to_year) for c in courses if c.id in partial}
    earliest = min((min(ys) for ys in seasonal_years.values() if ys), default=from_year)
    figures = figures_by_year(
        session,
        course_ids=unlike | partial,
        year_from=min(earliest, from_year),
        year_to=to_year - 1,
        at=at,
    )
    rows: list[out.ChangeRow] = []
    projections: list[derive.Projection] = []
    for c in courses:
        frm, to = c.total(from_year), c.total(to_year)
        same = frm.total if to.months and frm.months == to.months else None
        if c.id in unlike:
            # Before a course existed its months hold zero completions, exactly.
            before_course = (first_offered.get(c.id) or from_year) > from_year
            same = (
                0
                if before_course and to.months
                else derive.exact_total(from_year, figures[c.id][from_year], to.months)
            )
        change = calc.change_row(
            from_year=from_year,
            to_year=to_year,
            frm=frm,
            to=to,
            same_months=same,
            earlier_totals=[c.total(y).total for y in c.years if y < to_year],
        )
        complete_years = {
            y: (c.total(y).total, figures[c.id][y]) for y in seasonal_years.get(c.id, ())
        }
        projection = derive.project(to.total, to.months, complete_years)
        projections.append(projection)
        rows.append(
            out.ChangeRow(
                course=c.slug,
                name=c.name,
                contribution_pp=None,
                **vars(change),
                **_projected(frm.total, projection),
            )
        )
    return rows, projections


def _projected(from_total: int, projection: derive.Projection) -> dict[str, Any]:
    """A comparison's projection fields."""
    return {
        "to_projected": projection.value,
        "projection_method": projection.method,
        "projection_basis": projection.basis,
        "change_projected_pct": calc.percent_change(from_total, projection.exact),
    }


SEASONAL_YEARS = 5  # a seasonal projection rests on at most this many recent years


def _seasonal_years(c: CourseTotals, to_year: int) -> list[int]:
    """The course's most recent complete years before `to_year`, a seasonal projection's
    candidates: recent seasons say most about this one, and the work stays bounded
    however long the history."""
    complete = [y for y in sorted(c.years, reverse=True) if y < to_year and c.total(y).complete]
    return complete[:SEASONAL_YEARS]


def _overall(
    courses: list[CourseTotals],
    rows: list[out.ChangeRow],
    projections: list[derive.Projection],
    from_year: int,
    to_year: int,
    *,
    subject: str = "",
) -> out.AggregateChange:
    """The comparison of these courses together (R6), beside their rows, with its
    projection (the rows' together) and its headline."""
    earlier_years = [y for y in years_of(courses) if y < to_year]
    frm, to = all_courses(courses, from_year), all_courses(courses, to_year)
    change = calc.change_row(
        from_year=from_year,
        to_year=to_year,
        frm=frm,
        to=to,
        same_months=calc.sum_known([r.from_same_months_total for r in rows]),
        earlier_totals=[all_courses(courses, y).total for y in earlier_years],
        comparable=bool(rows) and all(r.comparable for r in rows),
    )
    projection = (
        derive.NO_PROJECTION
        if to.complete
        else derive.combined([(r.to_total, p) for r, p in zip(rows, projections, strict=True)])
    )
    projected = _projected(frm.total, projection)
    covered = {
        y: [c.total(y).months for c in courses if y in c.years] for y in (from_year, to_year)
    }
    headline = calc.headline(
        from_label=calc.coverage_label(from_year, covered[from_year]),
        to_label=calc.coverage_label(to_year, covered[to_year]),
        to_year=to_year,
        even=all(len(set(m)) <= 1 for m in covered.values()),
        row=change,
        change_projected_pct=projected["change_projected_pct"],
        to_projected=projected["to_projected"],
        projection_method=projected["projection_method"],
        subject=subject,
    )
    return out.AggregateChange(**vars(change), **projected, headline=headline)


def _first_offered(session: Session, courses: list[CourseTotals]) -> dict[int, int | None]:
    """Each of these courses' first year offered (None when not given)."""
    ids = [c.id for c in courses]
    if not ids:
        return {}
    query = select(Course.id, Course.first_offered_year).where(Course.id.in_(ids))
    return dict(session.execute(query).all())
