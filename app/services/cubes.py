"""Cubes of figures for the statistics formats (JSON-stat, SDMX): every figure in force
(course × period) or every course-year total (course × year) that the filters of
`/attendance` select, with the courses, sources and last write behind them."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.db.direct import fetch
from app.db.models import Course, Source
from app.domain.periods import Period, YearTotal
from app.domain.vintages import CURRENT, Vintage
from app.services import history
from app.services.catalog import get_course
from app.services.filters import Filters, where_given
from app.services.stats.loading import load


@dataclass(frozen=True, slots=True)
class Cell:
    """One figure in force."""

    course: str
    period: Period
    completions: int
    status: str


@dataclass(frozen=True)
class Cube:
    """Figures (or totals) with what a statistics format says about them."""

    courses: dict[str, str]  # slug -> name, in the order courses were added
    sources: list[dict[str, Any]]  # the sources of the figures (JSON-shaped)
    updated: datetime  # the last write the answer reflects


@dataclass(frozen=True)
class Figures(Cube):
    cells: list[Cell]


@dataclass(frozen=True)
class Totals(Cube):
    totals: dict[tuple[str, int], YearTotal]  # (course, year) -> R5 total


@lru_cache(maxsize=64)
def _figures(filters: frozenset[str], as_of: bool, vintage: bool) -> Select[Any]:
    view = history.figure_view(as_of, vintage)
    query = (
        select(Course.slug, Course.name, view.c.year, view.c.start_month, view.c.end_month)
        .add_columns(view.c.completions, view.c.status, view.c.source_id)
        .join(view, view.c.course_id == Course.id)
        .order_by(Course.id, view.c.year, view.c.start_month, view.c.end_month)
    )
    return where_given(query, filters, year=view.c.year, course=Course.slug)


@lru_cache(maxsize=64)
def _source_ids(filters: frozenset[str], as_of: bool, vintage: bool) -> Select[Any]:
    view = history.figure_view(as_of, vintage)
    query = select(view.c.source_id).distinct().join(Course, Course.id == view.c.course_id)
    return where_given(query, filters, year=view.c.year, course=Course.slug)


def _sources(session: Session, ids: set[int]) -> list[dict[str, Any]]:
    rows = session.scalars(select(Source).where(Source.id.in_(sorted(ids))).order_by(Source.id))
    return [
        {
            "id": s.id,
            "title": s.title,
            "publisher": s.publisher,
            "place": s.place,
            "published_on": None if s.published_on is None else s.published_on.isoformat(),
            "url": s.url,
        }
        for s in rows
    ]


def _updated(session: Session, at: Vintage) -> datetime:
    return history.last_write_at(session, at.as_of or datetime.now(UTC))


def _read(session: Session, filters: Filters, at: Vintage) -> Sequence[Any]:
    given = filters.given()
    rows = fetch(session, _figures(frozenset(given), *at.axes), {**given, **history.params(at)})
    if filters.course is not None and not rows:
        get_course(session, slug=filters.course)  # 404 for a course that does not exist
    return rows


def figures(session: Session, *, filters: Filters, at: Vintage = CURRENT) -> Figures:
    """Every figure in force for `at` that the filters select, by course and period."""
    rows = _read(session, filters, at)
    periods: dict[tuple[int, int, int], Period] = {}  # one object per distinct period
    cells = []
    for r in rows:
        key = (r.year, r.start_month, r.end_month)
        period = periods.get(key) or periods.setdefault(key, Period._make(key))
        cells.append(Cell(r.slug, period, r.completions, r.status))
    return Figures(
        courses={r.slug: r.name for r in rows},
        sources=_sources(session, {r.source_id for r in rows}),
        updated=_updated(session, at),
        cells=cells,
    )


def year_totals(session: Session, *, filters: Filters, at: Vintage = CURRENT) -> Totals:
    """Every course-year total (R5) for `at` that the filters select."""
    course = None if filters.course is None else get_course(session, slug=filters.course)
    year_from, year_to = filters.years()
    loaded = load(session, course=course, year_from=year_from, year_to=year_to, at=at)
    if year_from is not None and year_to is not None and year_from > year_to:
        loaded = []  # `year` outside the range asked for
    given = filters.given()
    ids = fetch(session, _source_ids(frozenset(given), *at.axes), {**given, **history.params(at)})
    return Totals(
        courses={c.slug: c.name for c in loaded},
        sources=_sources(session, {r.source_id for r in ids}),
        updated=_updated(session, at),
        totals={(c.slug, y): t for c in loaded for y, t in sorted(c.years.items())},
    )


def courses(session: Session) -> dict[str, str]:
    """Every course (slug -> name), in the order courses were added: a codelist."""
    rows = session.execute(select(Course.slug, Course.name).order_by(Course.id))
    return dict(rows.all())  # (a Result has `keys()`: dict() would take it for a mapping)
