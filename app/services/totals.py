"""Course-year totals (R5), kept in step with the figures they sum.

Every change to figures ends with `refresh` for the course-years it touched, in
the same transaction, so aggregate reads can trust `course_year_totals`.
"""

from collections import defaultdict
from collections.abc import Iterable
from itertools import islice

from sqlalchemy import delete, insert, select, tuple_
from sqlalchemy.orm import Session

from app.db.models import CourseYearTotal, Figure
from app.domain.periods import Figure as PeriodFigure
from app.domain.periods import Period, months_mask, year_total

CHUNK = 500


def _chunks(keys: Iterable[tuple[int, int]]) -> Iterable[list[tuple[int, int]]]:
    it = iter(keys)
    while chunk := list(islice(it, CHUNK)):
        yield chunk


def refresh(session: Session, keys: Iterable[tuple[int, int]]) -> None:
    """Recompute the totals of these `(course_id, year)` pairs from the stored figures."""
    session.flush()
    for chunk in _chunks(sorted(set(keys))):
        figures: dict[tuple[int, int], list[PeriodFigure]] = defaultdict(list)
        rows = session.execute(
            select(
                Figure.course_id,
                Figure.year,
                Figure.start_month,
                Figure.end_month,
                Figure.completions,
            ).where(tuple_(Figure.course_id, Figure.year).in_(chunk))
        )
        for course_id, year, start, end, completions in rows:
            figures[course_id, year].append(PeriodFigure(Period(year, start, end), completions))
        session.execute(
            delete(CourseYearTotal).where(
                tuple_(CourseYearTotal.course_id, CourseYearTotal.year).in_(chunk)
            )
        )
        fresh = []
        for (course_id, year), items in figures.items():
            t = year_total(items)
            fresh.append(
                {
                    "course_id": course_id,
                    "year": year,
                    "total": t.total,
                    "months_mask": months_mask(t.months),
                }
            )
        if fresh:
            session.execute(insert(CourseYearTotal), fresh)
