"""Vintages: figures as they stood at a moment (`as_of`), and each figure's revisions."""

from datetime import UTC, date, datetime, time

from sqlalchemy import FromClause, Table, and_, func, select
from sqlalchemy.orm import Session

from app.db.models import Figure, FigureRevision
from app.errors import Invalid, NotFound


def parse_as_of(text: str | None) -> datetime | None:
    """An ISO date (the end of that day, UTC) or timestamp (UTC unless it says otherwise)."""
    if text is None:
        return None
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time.max, tzinfo=UTC)
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise Invalid(
            f"as_of must be an ISO 8601 date or timestamp, such as 2019-09-16 or "
            f"2019-09-16T12:00:00Z; got '{text}'.",
            errors=[{"field": "as_of", "message": "not an ISO 8601 date or timestamp"}],
        ) from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def figure_view(as_of: datetime | None) -> FromClause:
    """The live figures, or those in force at `as_of`, with the `figures` table's columns."""
    if as_of is None:
        table = Figure.__table__
        assert isinstance(table, Table)
        return table
    r = FigureRevision
    latest = (
        select(r.figure_id, func.max(r.revision).label("revision"))
        .where(r.recorded_at <= as_of)
        .group_by(r.figure_id)
        .subquery("latest")
    )
    return (
        select(
            r.figure_id.label("id"),
            r.course_id,
            r.year,
            r.start_month,
            r.end_month,
            r.completions,
            r.status,
            r.note,
            r.source_id,
            r.revision,
            r.recorded_at,
        )
        .join(latest, and_(r.figure_id == latest.c.figure_id, r.revision == latest.c.revision))
        .where(r.action != "delete")
        .subquery("figures_as_of")
    )


def revisions(session: Session, *, figure_id: int) -> list[FigureRevision]:
    """Every revision of a figure, deleted or not, oldest first; 404 if it never existed."""
    found = list(
        session.scalars(
            select(FigureRevision)
            .where(FigureRevision.figure_id == figure_id)
            .order_by(FigureRevision.revision)
        )
    )
    if not found:
        raise NotFound(f"No attendance figure {figure_id} was ever recorded.")
    return found
