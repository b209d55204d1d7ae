"""Rolling windows: exact totals of the months ending at a month, a year apart."""

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import Course
from app.domain import derive
from app.domain import stats as calc
from app.domain.vintages import CURRENT, Vintage
from app.errors import NotFound
from app.schemas import stats as out
from app.services import history
from app.services.catalog import get_course
from app.services.stats.loading import figures_by_year


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
    """A part as the API shows it (its fields are the part's own attributes)."""
    return out.RollingPart.model_validate(p, from_attributes=True)
