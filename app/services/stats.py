"""Totals, series, comparisons, shares and records over stored figures.

Aggregates read R5 course-year totals (`course_year_totals`, kept current by every
write) in one query and combine them with the pure functions in `app.domain`;
only like-for-like comparisons read individual figures, of one year.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, bindparam, func, or_, select
from sqlalchemy.orm import Session

from app.db.direct import fetch
from app.db.models import Course, CourseYearTotal, CourseYearTotalHistory
from app.domain import derive, periods
from app.domain import stats as calc
from app.domain.vintages import CURRENT, Vintage
from app.errors import Invalid, NotFound
from app.schemas import stats as out
from app.services import history
from app.services.catalog import get_course

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
    if "course_id" in filters:
        query = query.where(v.c.course_id == bindparam("course_id"))
    if "year_from" in filters:
        query = query.where(v.c.year >= bindparam("year_from"))
    if "year_to" in filters:
        query = query.where(v.c.year <= bindparam("year_to"))
    return query


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
def _totals_in_force(as_of: bool) -> Any:
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
    t = _totals_in_force(as_of)
    query = (
        select(Course.id, Course.slug, Course.name, t.c.year, t.c.total, t.c.months_mask)
        .join(t, t.c.course_id == Course.id)
        .order_by(Course.id, t.c.year)
    )
    if "course_id" in filters:
        query = query.where(t.c.course_id == bindparam("course_id"))
    if "year_from" in filters:
        query = query.where(t.c.year >= bindparam("year_from"))
    if "year_to" in filters:
        query = query.where(t.c.year <= bindparam("year_to"))
    return query


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


def _all_courses(courses: Iterable[CourseTotals], year: int) -> periods.YearTotal:
    """R6 total for `year` over the courses that have figures in it."""
    return periods.combine([c.total(year) for c in courses if year in c.years])


def _summary(year: int, t: periods.YearTotal) -> out.YearSummary:
    return out.YearSummary(year=year, **out.Coverage.fields_of(t))


def _years(courses: Iterable[CourseTotals]) -> list[int]:
    return sorted({y for c in courses for y in c.years})


def year_summaries(session: Session, *, at: Vintage = CURRENT) -> list[out.YearSummary]:
    """Every year with figures and its all-course total (R6), aggregated by the database:
    the sum, the months every course covers (bit by bit) and the fewest months a
    course covers, so an answer over a million figures reads one row per year. A
    vintage sums the figures in force instead."""
    if at.published_by is not None:
        courses = load(session, at=at)
        return [_summary(y, _all_courses(courses, y)) for y in _years(courses)]
    summaries = []
    for year, total, fewest, *bits in session.execute(
        _year_aggregates(at.as_of is not None), {"as_of": at.as_of}
    ):
        months = frozenset(m for m, bit in enumerate(bits, start=1) if bit)
        t = periods.YearTotal(int(total), months, int(fewest), int(fewest) == 12)
        summaries.append(_summary(year, t))
    return summaries


@lru_cache(maxsize=2)
def _year_aggregates(as_of: bool) -> Select[Any]:
    """Per year: total, fewest months covered, then for each month whether every course
    covers it; current or (with `as_of` bound) from the totals' history."""
    source = _totals_in_force(as_of)
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
            **out.Coverage.fields_of(_all_courses(courses, year)),
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
    all_from = _all_courses(everyone, from_year)
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
    if named is not None:
        return out.Changes(
            from_year=from_year,
            to_year=to_year,
            items=rows,
            total=len(rows),
            all_courses=None,
            excluding_new_courses=None,
        )

    new = {c.id for c in courses if (first_offered.get(c.id) or 0) >= from_year}
    kept = [i for i, c in enumerate(courses) if c.id not in new]
    excluded = [c.name for c in courses if c.id in new]
    overall = _overall(courses, rows, projections, from_year, to_year)
    without_new = _overall(
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
    return out.Changes(
        from_year=from_year,
        to_year=to_year,
        items=rows,
        total=len(rows),
        all_courses=overall,
        excluding_new_courses=out.NewCourseEffect(
            **overall_fields(without_new),
            excluded=[c.slug for c in courses if c.id in new],
            note=note,
        ),
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
            before_course = (first_offered.get(c.id) or from_year) > from_year
            # Before a course existed its months hold zero completions, exactly.
            same = 0 if before_course and to.months else None
            if same is None:
                same = derive.exact_total(from_year, figures[c.id][from_year], to.months)
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
    earlier_years = [y for y in _years(courses) if y < to_year]
    frm, to = _all_courses(courses, from_year), _all_courses(courses, to_year)
    change = calc.change_row(
        from_year=from_year,
        to_year=to_year,
        frm=frm,
        to=to,
        same_months=calc.sum_known([r.from_same_months_total for r in rows]),
        earlier_totals=[_all_courses(courses, y).total for y in earlier_years],
        comparable=bool(rows) and all(r.comparable for r in rows),
    )
    projection = (
        derive.NO_PROJECTION
        if to.complete
        else derive.combined([(r.to_total, p) for r, p in zip(rows, projections, strict=True)])
    )
    projected = _projected(frm.total, projection)
    headline = calc.headline(
        from_label=periods.year_months_label(from_year, frm.months),
        to_label=periods.year_months_label(to_year, to.months),
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


def latest_year(session: Session, *, at: Vintage = CURRENT) -> int:
    """The latest year with figures; 404 when there are none."""
    years = [y.year for y in year_summaries(session, at=at)]
    if not years:
        raise NotFound(f"No figures{at.describe()}.")
    return years[-1]


def shares(session: Session, *, year: int | None, at: Vintage = CURRENT) -> out.Shares:
    """Each course's share of `year`'s total (by default the latest year with figures),
    largest first, with the months the year covers; 404 without figures."""
    year = latest_year(session, at=at) if year is None else year
    courses = load(session, year_from=year, year_to=year, at=at)
    if not courses:
        raise NotFound(f"No figures for {year}{at.describe()}.")
    by_slug = {c.slug: c for c in courses}
    parts = calc.shares([(c.slug, c.total(year).total) for c in courses])
    whole = out.Coverage.fields_of(_all_courses(courses, year))
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
        every_year = {y: _all_courses(courses, y) for y in _years(courses)}
        together = [out.AllCourseRecord(**fields) for fields in found(every_year)]
    return out.Records(items=items, total=len(items), all_courses=together)


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
        for y in _years(courses):
            t = _all_courses(courses, y)
            items.append(
                out.TotalsItem(course=slug, name=name, year=y, **out.Coverage.fields_of(t))
            )
    elif by == "course":
        items = [
            out.TotalsItem(
                course=c.slug,
                name=c.name,
                year=None,
                months_covered=None,
                complete=None,
                months_label=None,
                total=sum(c.total(y).total for y in c.years),
            )
            for c in courses
        ]
    else:
        items = [out.TotalsItem(year=y, **c.fields(y)) for c in courses for y in sorted(c.years)]
    return out.Totals(by=by, items=items, total=len(items))


def latest_month(session: Session, *, at: Vintage = CURRENT) -> str:
    """The latest month that ends a figure, `YYYY-MM`; 404 when there are none."""
    v = history.figure_view(at.as_of is not None, at.published_by is not None)
    query = (
        select(v.c.year, func.max(v.c.end_month))
        .group_by(v.c.year)
        .order_by(v.c.year.desc())
        .limit(1)
    )
    found = session.execute(query, history.params(at)).first()
    if found is None:
        raise NotFound(f"No figures{at.describe()}.")
    return derive.Month.of(found[0], found[1]).iso


def rolling(
    session: Session,
    *,
    end: str | None,
    months: int = 12,
    course: str | None = None,
    at: Vintage = CURRENT,
) -> out.Rolling:
    """Totals of the `months` months ending with `end` (`YYYY-MM`; by default the latest
    month that ends a figure), and of the same months a year earlier, per course and,
    without a course filter, for all courses, where the figures determine them exactly
    (see `app.domain.derive`); months before a course was first offered are zero."""
    end = latest_month(session, at=at) if end is None else end
    year, month = (int(x) for x in end.split("-"))
    last = derive.Month.of(year, month)
    first = last.back(months - 1)
    previous = last.back(12)
    named = None if course is None else get_course(session, slug=course)
    query = select(Course.id, Course.slug, Course.name, Course.first_offered_year)
    query = query.order_by(Course.id)
    if named is not None:
        query = query.where(Course.id == named.id)
    catalog = list(session.execute(query))
    figures = figures_by_year(
        session,
        course_ids=[cid for cid, *_ in catalog],
        year_from=previous.back(months - 1).year,
        year_to=last.year,
        at=at,
    )
    rows = []
    for cid, slug, name, first_offered in catalog:
        if cid not in figures and named is None:
            continue
        now = derive.window(figures[cid], last, months, first_offered)
        before = derive.window(figures[cid], previous, months, first_offered)
        rows.append(
            out.RollingRow(
                course=slug,
                name=name,
                **_window_fields(now, before),
                parts=[_part(p) for p in now.parts],
                previous_parts=[_part(p) for p in before.parts],
            )
        )
    return out.Rolling(
        start=first.iso,
        end=last.iso,
        months=months,
        label=f"{first.label}–{last.label}" if months > 1 else last.label,
        previous_start=previous.back(months - 1).iso,
        previous_end=previous.iso,
        items=rows,
        total=len(rows),
        all_courses=None if named is not None else out.WindowTotals(**_all_windows(rows)),
    )


def _window_fields(now: derive.Window, before: derive.Window) -> dict[str, Any]:
    change = None if now.total is None or before.total is None else now.total - before.total
    return {
        "total": now.total,
        "available": now.available,
        "reason": now.reason,
        "previous_total": before.total,
        "previous_available": before.available,
        "previous_reason": before.reason,
        "change": change,
        "change_pct": None
        if change is None or before.total is None
        else calc.percent(change, before.total),
    }


def _all_windows(rows: list[out.RollingRow]) -> dict[str, Any]:
    """All courses' window: the sum when every course's is determined."""

    def combined(totals: list[int | None]) -> derive.Window:
        if not rows:
            return derive.Window(None, [], "No course has figures in these years.")
        unknown = [r.name for r, t in zip(rows, totals, strict=True) if t is None]
        if unknown:
            some = ", ".join(unknown[:5]) + (", …" if len(unknown) > 5 else "")
            return derive.Window(
                None,
                [],
                f"not determined for {len(unknown)} of {len(rows)} courses: {some}",
            )
        return derive.Window(sum(t for t in totals if t is not None), [], None)

    return _window_fields(
        combined([r.total for r in rows]), combined([r.previous_total for r in rows])
    )


def _part(p: derive.Part) -> out.RollingPart:
    return out.RollingPart(
        year=p.year,
        period=p.period,
        label=p.label,
        total=p.total,
        derived=p.derived,
        derivation=p.derivation,
    )
