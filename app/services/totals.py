"""Course-year totals (R5), kept in step with the figures they sum, with their history.

Every change to figures ends with `refresh` (or, for imports that computed the
totals already, `put`) for the course-years it touched, in the same transaction, so
aggregate reads can trust `course_year_totals`.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from itertools import islice
from typing import Any

from sqlalchemy import Row, delete, select, tuple_, update
from sqlalchemy.orm import Session

from app.db.base import table_of
from app.db.models import CourseYearTotal, CourseYearTotalHistory, Figure
from app.db.session import bulk_insert, stored_value, write_time
from app.domain.periods import Figure as PeriodFigure
from app.domain.periods import Period, YearTotal, months_mask, year_total

Key = tuple[int, int]  # (course_id, year)
TOTAL_COLUMNS = ("course_id", "year", "total", "months_mask")
CHUNK = 500


def _chunks(keys: Iterable[Key]) -> Iterable[list[Key]]:
    it = iter(sorted(set(keys)))
    while chunk := list(islice(it, CHUNK)):
        yield chunk


def stored(session: Session, keys: Iterable[Key]) -> dict[Key, list[Row[Any]]]:
    """The stored figures of these course-years, as rows of the `figures` table."""
    found: dict[Key, list[Row[Any]]] = defaultdict(list)
    table = Figure.__table__
    for chunk in _chunks(keys):
        query = select(table).where(tuple_(Figure.course_id, Figure.year).in_(chunk))
        for row in session.execute(query):
            found[row.course_id, row.year].append(row)
    return found


def as_period_figure(row: Any) -> PeriodFigure:
    """A stored figure as the rules see it."""
    return PeriodFigure(Period.of(row), row.completions)


def put(
    session: Session,
    totals: Mapping[Key, YearTotal | None],
    *,
    stale: Iterable[Key] | None = None,
) -> None:
    """Store the totals of these course-years (None: no figures left).

    `stale` names the course-years that may have a stored total (by default all of
    them); an import of new course-years skips deleting what cannot exist.
    """
    old = set(totals) if stale is None else set(stale)
    now = write_time(session)
    t, h = CourseYearTotal, CourseYearTotalHistory
    for chunk in _chunks(old):
        in_chunk = tuple_(h.course_id, h.year).in_(chunk)
        session.execute(delete(t).where(tuple_(t.course_id, t.year).in_(chunk)))
        # History: a total made earlier in this same write is replaced, not closed.
        session.execute(delete(h).where(in_chunk, h.valid_from == now))
        session.execute(update(h).where(in_chunk, h.valid_to.is_(None)).values(valid_to=now))
    fresh = [
        (course_id, year, total.total, months_mask(total.months))
        for (course_id, year), total in sorted(totals.items())
        if total is not None
    ]
    if fresh:
        bulk_insert(session, table_of(t), TOTAL_COLUMNS, fresh)
        valid_from = stored_value(table_of(h).c.valid_from, now, session)
        bulk_insert(
            session, table_of(h), (*TOTAL_COLUMNS, "valid_from"), [(*r, valid_from) for r in fresh]
        )


def refresh(session: Session, keys: Iterable[Key]) -> None:
    """Recompute the totals of these course-years from the stored figures."""
    session.flush()
    wanted = set(keys)
    rows = stored(session, wanted)
    figures = {k: [as_period_figure(r) for r in rows.get(k, [])] for k in wanted}
    put(session, {k: year_total(f) if f else None for k, f in figures.items()})
