"""Figures ("attendance"): look-ups and filtered lists."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Figure
from app.errors import Invalid, NotFound
from app.services.catalog import get_course
from app.services.pagination import PageResult, paginate


def get_figure(session: Session, *, figure_id: int) -> Figure:
    """The figure with `figure_id`, or 404."""
    figure = session.get(Figure, figure_id)
    if figure is None:
        raise NotFound(f"No attendance figure {figure_id}.")
    return figure


def list_figures(
    session: Session,
    *,
    course: str | None = None,
    year: int | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
    limit: int,
    cursor: str | None,
) -> PageResult[Figure]:
    """Figures matching every filter given, in the order they were recorded."""
    if year_from is not None and year_to is not None and year_from > year_to:
        raise Invalid(
            f"year_from ({year_from}) is after year_to ({year_to}).",
            errors=[{"field": "year_from", "message": "must not be after year_to"}],
        )
    query = select(Figure)
    if course is not None:
        query = query.where(Figure.course_id == get_course(session, slug=course).id)
    if year is not None:
        query = query.where(Figure.year == year)
    if year_from is not None:
        query = query.where(Figure.year >= year_from)
    if year_to is not None:
        query = query.where(Figure.year <= year_to)
    return paginate(session, query, key=Figure.id, limit=limit, cursor=cursor)
