"""Figures ("attendance"): reads (live or as of a moment) and single writes.

Every write checks R1–R4 inside the transaction, under the course's write lock,
keeps a revision, refreshes the course-year totals and lands in the audit log.
"""

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import FromClause, Row, Select, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import urls
from app.db.direct import fetch
from app.db.models import FIGURE_VALUES, Course, Figure, Source
from app.db.session import lock_course, write_time
from app.domain import periods
from app.domain.rules import Violation, check_figure
from app.domain.vintages import CURRENT, Vintage
from app.errors import Conflict, DomainError, Invalid, NotFound, PreconditionFailed
from app.schemas.writes import FigureIn, FigurePatch
from app.services import audit, history, idempotency, totals
from app.services.audit import Actor
from app.services.catalog import get_course
from app.services.filters import Filters, where_given
from app.services.history import figure_view, keep_first_vintage, vintage
from app.services.pagination import PageResult, Pages


@lru_cache(maxsize=4)
def _rows(as_of: bool, vintage: bool) -> tuple[Select[Any], FromClause]:
    """Figure rows with the course slug as `course`, live or in force on the time axes
    asked for (bound by `history.params`), and the view they come from: built once."""
    view = figure_view(as_of, vintage)
    query = select(*view.c, Course.slug.label("course")).join(Course, Course.id == view.c.course_id)
    return query, view


@lru_cache(maxsize=4)
def _one(as_of: bool, vintage: bool) -> Select[Any]:
    query, view = _rows(as_of, vintage)
    return query.where(view.c.id == bindparam("figure_id"))


def get_figure_row(session: Session, *, figure_id: int, at: Vintage = CURRENT) -> Any:
    """One figure as it stands (or as it was in force for `at`), or 404."""
    rows = fetch(session, _one(*at.axes), {"figure_id": figure_id, **history.params(at)})
    row = rows[0] if rows else None
    if row is None:
        raise NotFound(f"No attendance figure {figure_id}{at.describe()}.")
    return row


@lru_cache(maxsize=64)
def _listing(filters: frozenset[str], as_of: bool, vintage: bool) -> Pages:
    """The statements listing figures with these filters (bound by name): one per shape."""
    query, view = _rows(as_of, vintage)
    query = where_given(query, filters, year=view.c.year, course=Course.slug)
    return Pages.of(query, view.c.id)


def list_figures(
    session: Session,
    *,
    course: str | None = None,
    year: int | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
    at: Vintage = CURRENT,
    limit: int,
    cursor: str | None,
) -> PageResult[Row[Any]]:
    """Figures matching every filter, in the order they were first recorded; an unknown
    course is a 404."""
    params = Filters(course, year, year_from, year_to).given()
    pages = _listing(frozenset(params), *at.axes)
    page = pages.rows(session, {**params, **history.params(at)}, limit=limit, cursor=cursor)
    if course is not None and page.total == 0:
        get_course(session, slug=course)  # 404 for a course that does not exist
    return page


# --- writes -----------------------------------------------------------------------


def etag(figure: Figure | Row[Any]) -> str:
    """The figure's version as a strong ETag: it changes with every revision."""
    return f'"{figure.id}-{figure.revision}"'


def snapshot(figure: Figure, course: str) -> dict[str, Any]:
    """The figure's values, for the audit log."""
    p = figure.period
    return {
        "id": figure.id,
        "course": course,
        "period": p.iso,
        "completions": figure.completions,
        "status": figure.status,
        "note": figure.note,
        "source_id": figure.source_id,
        "revision": figure.revision,
    }


def _raise(violations: list[Violation]) -> None:
    """The first violation decides the kind (R1/R2 a conflict, R3/R4 invalid); all are listed."""
    if not violations:
        return
    first = violations[0]
    errors = [{"field": v.field, "message": f"{v.rule}: {v.message}"} for v in violations]
    cls: type[DomainError] = Conflict if first.conflict else Invalid
    raise cls(first.message, errors=errors)


def _ref(f: Figure) -> periods.Figure:
    return periods.Figure(f.period, f.completions, f"figure {f.id}")


def _source(session: Session, source_id: int) -> Source:
    source = session.get(Source, source_id)
    if source is None:
        raise Invalid(
            f"No source {source_id}; create it with POST /api/v1/sources first.",
            errors=[{"field": "source_id", "message": f"no source {source_id}"}],
        )
    return source


def _course_for_write(session: Session, slug: str) -> Course:
    course = session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        raise Invalid(
            f"No course '{slug}'.", errors=[{"field": "course", "message": f"no course '{slug}'"}]
        )
    lock_course(session, course.id)
    return course


def check(
    session: Session,
    *,
    course: Course,
    period: periods.Period,
    completions: int,
    ignore_id: int | None = None,
) -> None:
    """R1–R4 for a figure of `course` in `period`, against the stored figures."""
    others = session.scalars(
        select(Figure).where(Figure.course_id == course.id, Figure.year == period.year)
    )
    _raise(
        check_figure(
            periods.Figure(period, completions, "the new figure"),
            [_ref(f) for f in others if f.id != ignore_id],
            course=course.slug,
            first_offered_year=course.first_offered_year,
            today=datetime.now(UTC).date(),
        )
    )


def _flush(session: Session, course: Course, period: periods.Period) -> None:
    """Flush; R1's unique constraint is the last word when writers race."""
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(
            f"{course.slug} already has a figure for {period.label}.",
            errors=[{"field": "period", "message": "R1: one live figure per course and period"}],
        ) from exc


def create(session: Session, *, data: FigureIn, actor: Actor) -> Figure:
    """Store a new figure (R1–R4), its first vintage in itself, and an audit entry."""
    course = _course_for_write(session, data.course)
    period = data.period_value()
    _source(session, data.source_id)
    check(session, course=course, period=period, completions=data.completions)
    figure = Figure(
        course_id=course.id,
        period=period,
        **{k: getattr(data, k) for k in FIGURE_VALUES},
        revision=1,
        recorded_at=write_time(session),
        recorded_by=actor.name,
    )
    session.add(figure)
    _flush(session, course, period)
    totals.refresh(session, [(course.id, period.year)])
    audit.record(
        session, actor, "figure.create", urls.figure(figure.id), after=snapshot(figure, course.slug)
    )
    return figure


def _locked_figure(session: Session, figure_id: int, if_match: str | None) -> Figure:
    figure = session.get(Figure, figure_id)
    if figure is None:
        raise NotFound(f"No attendance figure {figure_id}.")
    lock_course(session, figure.course_id)
    session.refresh(figure)
    if if_match is not None and if_match.strip() != "*":
        wanted = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
        if etag(figure) not in wanted:
            raise PreconditionFailed(
                f"Figure {figure_id} is now at revision {figure.revision} "
                f"(ETag {etag(figure)}); fetch it again before changing it."
            )
    return figure


def revise(
    session: Session,
    *,
    figure_id: int,
    data: FigureIn | FigurePatch,
    actor: Actor,
    if_match: str | None = None,
) -> Figure:
    """Change a figure (PUT replaces, PATCH merges), keeping the old values as a revision."""
    figure = _locked_figure(session, figure_id, if_match)
    old_course = figure.course
    before = snapshot(figure, old_course.slug)
    old_key = (figure.course_id, figure.year)

    fields = data.model_fields_set
    course = old_course
    if isinstance(data, FigureIn):
        course = _course_for_write(session, data.course)
        period = data.period_value()
        values: dict[str, Any] = {
            "completions": data.completions,
            "status": data.status,
            "note": data.note,
            "source_id": data.source_id,
        }
    else:
        period = data.parsed_period() or figure.period
        values = {k: getattr(data, k) for k in FIGURE_VALUES}
        values = {k: v for k, v in values.items() if k in fields and (v is not None or k == "note")}
    if "source_id" in values:
        _source(session, values["source_id"])
    completions = values.get("completions", figure.completions)
    check(session, course=course, period=period, completions=completions, ignore_id=figure.id)

    unchanged = (
        course.id == figure.course_id
        and (period.year, period.start_month, period.end_month)
        == (figure.year, figure.start_month, figure.end_month)
        and all(getattr(figure, k) == v for k, v in values.items())
    )
    if unchanged:
        return figure
    keep_first_vintage(session, figure)
    figure.course_id = course.id
    figure.year, figure.start_month, figure.end_month = (
        period.year,
        period.start_month,
        period.end_month,
    )
    for k, v in values.items():
        setattr(figure, k, v)
    figure.revision += 1
    figure.recorded_at = write_time(session)
    figure.recorded_by = actor.name
    _flush(session, course, period)
    session.add(vintage(figure, "update"))
    totals.refresh(session, {old_key, (course.id, period.year)})
    audit.record(
        session,
        actor,
        "figure.update",
        urls.figure(figure.id),
        before=before,
        after=snapshot(figure, course.slug),
    )
    return figure


def delete(session: Session, *, figure_id: int, actor: Actor, if_match: str | None = None) -> None:
    """Remove a figure from current answers; its revisions (and `as_of` answers) keep it."""
    figure = _locked_figure(session, figure_id, if_match)
    before = snapshot(figure, figure.course.slug)
    keep_first_vintage(session, figure)
    figure.revision += 1
    figure.recorded_at = write_time(session)
    figure.recorded_by = actor.name
    session.add(vintage(figure, "delete"))
    key = (figure.course_id, figure.year)
    session.delete(figure)
    idempotency.forget(session, location=urls.figure(figure_id))
    totals.refresh(session, [key])
    audit.record(session, actor, "figure.delete", urls.figure(figure_id), before=before)
