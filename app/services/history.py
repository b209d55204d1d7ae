"""Vintages: figures as recorded at a moment (`as_of`) or as published by a date
(`vintage`), and each figure's revisions."""

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache, partial
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Date,
    FromClause,
    and_,
    bindparam,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from app.db.base import table_of
from app.db.models import VINTAGE, AuditEntry, Figure, FigureRevision, Source
from app.domain.vintages import Vintage
from app.errors import Invalid, NotFound

_AS_OF = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})?)?"
)


def parse_as_of(text: str | None) -> datetime | None:
    """`as_of`: a date (the end of that day, UTC) or a timestamp; see `parse_moment`."""
    return None if text is None else parse_moment(text, field="as_of", day_end=True)


def parse_moment(text: str, *, field: str, day_end: bool) -> datetime:
    """An RFC 3339 date (its first or, with `day_end`, last instant, UTC) or date-time
    (UTC unless it gives an offset). Moments before year 1 or after 9999 in UTC are the
    first or last moment there is."""
    found = _AS_OF.fullmatch(text)
    try:
        if found is None:
            raise ValueError(text)
        year, month, day, hour, minute, second, fraction, offset = found.groups()
        day_of = date(int(year), int(month), int(day))
        if hour is None:
            return datetime.combine(day_of, time.max if day_end else time.min, tzinfo=UTC)
        # A leap second (:60) is the last instant of its minute.
        moment = datetime.combine(
            day_of,
            time(
                int(hour),
                int(minute),
                min(int(second), 59),
                int((fraction or "0")[:6].ljust(6, "0")),
            ),
        )
        if int(second) == 60:
            moment = moment.replace(microsecond=999_999)
    except ValueError as exc:
        raise Invalid(
            f"{field} must be an ISO 8601 date or timestamp, such as 2019-09-16 or "
            f"2019-09-16T12:00:00Z; got '{text[:40]}'.",
            errors=[{"field": field, "message": "not an ISO 8601 date or timestamp"}],
        ) from exc
    shift = timedelta()
    if offset and offset not in ("Z", "z"):
        sign = -1 if offset[0] == "-" else 1
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        if hours > 23 or minutes > 59:
            raise Invalid(
                f"{field} has an offset out of range: '{offset}'.",
                errors=[{"field": field, "message": "offset out of range"}],
            )
        shift = sign * timedelta(hours=hours, minutes=minutes)
    try:
        return (moment - shift).replace(tzinfo=UTC)
    except OverflowError:
        return (datetime.min if shift > timedelta() else datetime.max).replace(tzinfo=UTC)


def parse_vintage(as_of: str | None, vintage: str | None) -> Vintage:
    """The two time axes of a read (`app.domain.vintages`): `as_of`, a moment (a date is
    the end of that day, UTC), and `vintage`, a publication date `YYYY-MM-DD`."""
    published_by = None
    if vintage is not None:
        try:
            published_by = date.fromisoformat(vintage) if _DATE.fullmatch(vintage) else None
        except ValueError:
            published_by = None
        if published_by is None:
            raise Invalid(
                f"vintage must be a date, YYYY-MM-DD, such as 2019-09-16; got '{vintage[:40]}'.",
                errors=[{"field": "vintage", "message": "not a date YYYY-MM-DD"}],
            )
    return Vintage(parse_as_of(as_of), published_by)


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MOMENT = FigureRevision.recorded_at.type
AS_OF = bindparam("as_of", type_=MOMENT)  # the three axes' values, bound by `params`
PUBLISHED_BY = bindparam("published_by", type_=Date())
PUBLISHED_BY_END = bindparam("published_by_end", type_=MOMENT)


def params(at: Vintage) -> dict[str, Any]:
    """The values a view made for `at`'s shape is executed with."""
    found: dict[str, Any] = {}
    if at.as_of is not None:
        found["as_of"] = at.as_of
    if at.published_by is not None:
        found["published_by"] = at.published_by
        found["published_by_end"] = at.published_by_end
    return found


def _known(
    recorded_at: Any, deleted: Any, published_on: Any, *, as_of: bool, vintage: bool
) -> list[Any]:
    """SQL for `app.domain.vintages.passes`: recorded by `as_of`; published by `vintage`
    (a deletion, or a source without a date, counted by the day it was recorded)."""
    conditions = []
    if as_of:
        conditions.append(recorded_at <= AS_OF)
    if vintage:
        dated = and_(not_(deleted), published_on.is_not(None))
        conditions.append(
            or_(
                and_(dated, published_on <= PUBLISHED_BY),
                and_(not_(dated), recorded_at < PUBLISHED_BY_END),
            )
        )
    return conditions


@lru_cache(maxsize=4)
def figure_view(as_of: bool, vintage: bool) -> FromClause:
    """The live figures (neither axis), or those in force on the axes asked for, with
    the `figures` table's columns; executed with `params(at)`.

    A figure is its latest revision that passes (`app.domain.vintages`), unless that is
    its deletion. The latest is found per candidate revision through the
    (figure_id, revision) index, so filters on the view's year or course reach the
    revisions' own index instead of grouping every revision there is.
    """
    if not (as_of or vintage):
        return table_of(Figure)
    r, later, f = FigureRevision, aliased(FigureRevision), Figure
    s, later_source = aliased(Source), aliased(Source)
    known = partial(_known, as_of=as_of, vintage=vintage)
    latest = (
        select(func.max(later.revision))
        .join(later_source, later_source.id == later.source_id)
        .where(
            later.figure_id == r.figure_id,
            *known(later.recorded_at, later.action == "delete", later_source.published_on),
        )
        .scalar_subquery()
    )
    revised = select(r.figure_id.label("id"), *vintage_columns(r)).where(
        *([r.recorded_at <= AS_OF] if as_of else []), r.action != "delete", r.revision == latest
    )
    # A figure never revised has no revision rows: its one vintage is in `figures`.
    first = (
        select(f.id, *vintage_columns(f))
        .join(s, s.id == f.source_id)
        .where(f.revision == 1, *known(f.recorded_at, false(), s.published_on))
    )
    return union_all(revised, first).subquery("figures_in_force")


def vintage_columns(model: type[Figure] | type[FigureRevision]) -> list[Any]:
    """The columns of a vintage in `figures` or in `figure_revisions` (`VINTAGE`)."""
    return [getattr(model, c) for c in VINTAGE]


def vintage(figure: Figure, action: str) -> FigureRevision:
    """The figure's current values as a revision row, recorded by whom `figures` says."""
    return FigureRevision(
        figure_id=figure.id,
        action=action,
        recorded_by=figure.recorded_by,
        **{c: getattr(figure, c) for c in VINTAGE},
    )


def keep_first_vintage(session: Session, figure: Figure) -> None:
    """Before a figure's first revise or delete: copy its first vintage, kept in
    `figures` alone until now, among its revisions."""
    if figure.revision == 1:
        session.add(vintage(figure, "create"))


def vintages() -> CompoundSelect[Any]:
    """Every vintage of every figure, as revision rows (`figure_id`, `action`, the
    figure's columns, `recorded_by`): those stored, and the one of each figure never
    revised."""
    r, f = FigureRevision, Figure
    return union_all(
        select(r.figure_id, r.action, *vintage_columns(r), r.recorded_by),
        select(
            f.id.label("figure_id"),
            literal("create").label("action"),
            *vintage_columns(f),
            f.recorded_by,
        ).where(f.revision == 1),
    )


def last_write_at(session: Session, moment: datetime) -> datetime:
    """The moment of the last write at or before `moment` (every write is audited, with
    the same moment as all it recorded), or the first moment there is."""
    found = session.scalar(select(func.max(AuditEntry.at)).where(AuditEntry.at <= moment))
    return found or datetime.min.replace(tzinfo=UTC)


def revisions(session: Session, *, figure_id: int) -> list[FigureRevision]:
    """Every revision of a figure, deleted or not, oldest first; 404 if it never existed."""
    found = list(
        session.scalars(
            select(FigureRevision)
            .where(FigureRevision.figure_id == figure_id)
            .order_by(FigureRevision.revision)
        )
    )
    if found:
        return found
    figure = session.get(Figure, figure_id)
    if figure is None:
        raise NotFound(f"No attendance figure {figure_id} was ever recorded.")
    first = vintage(figure, "create")  # never revised: its one vintage, not stored apart
    first.course = figure.course
    first.source = session.get_one(Source, figure.source_id)
    return [first]
