"""The public history of figure changes after a data version, made from what the
service records already: every vintage of every figure (`history.vintages`' rows) and
the audit entry of the write that made it, which keeps that write's data version.

A vintage and its write share one moment (`write_time`), so the vintages of the
writes after a version are found through `recorded_at`; who wrote is never read.
"""

from functools import lru_cache
from typing import Any

from sqlalchemy import BigInteger, Select, bindparam, cast, func, literal, select, union_all
from sqlalchemy.orm import Session, aliased

from app.db.direct import fetch
from app.db.models import AuditEntry, Course, Figure, FigureRevision
from app.services.pagination import PageResult, Pages

KINDS = {"create": "created", "update": "revised", "delete": "deleted"}
# Items are ordered by version, then figure: one key for keyset pages (figure ids are
# below 2**31, `app.api.routes.attendance.FigureId`).
SPAN = 2**31


@lru_cache(maxsize=1)
def _changes() -> Any:
    """Every figure vintage recorded by a write after `since`, with that write's version
    and the completions of the vintage before it."""
    writes = (
        select(AuditEntry.at, func.max(AuditEntry.version).label("version"))
        .where(AuditEntry.version > bindparam("since"))
        .group_by(AuditEntry.at)
        .subquery("writes")
    )
    r, f = FigureRevision, Figure
    columns = ("course_id", "year", "start_month", "end_month", "completions", "source_id")
    revised = select(
        r.figure_id,
        r.action,
        r.revision,
        *(getattr(r, c) for c in columns),
        r.recorded_at,
        writes.c.version,
        (cast(writes.c.version, BigInteger) * SPAN + r.figure_id).label("seq"),
    ).join(writes, writes.c.at == r.recorded_at)
    # A figure never revised has its one vintage in `figures` alone.
    first = (
        select(
            f.id.label("figure_id"),
            literal("create").label("action"),
            f.revision,
            *(getattr(f, c) for c in columns),
            f.recorded_at,
            writes.c.version,
            (cast(writes.c.version, BigInteger) * SPAN + f.id).label("seq"),
        )
        .join(writes, writes.c.at == f.recorded_at)
        .where(f.revision == 1)
    )
    return union_all(revised, first).subquery("changes")


def _query() -> Select[Any]:
    u = _changes()
    earlier = aliased(FigureRevision)
    before = (
        select(earlier.completions)
        .where(earlier.figure_id == u.c.figure_id, earlier.revision == u.c.revision - 1)
        .scalar_subquery()
    )
    return select(*u.c, Course.slug.label("course"), before.label("before")).join(
        Course, Course.id == u.c.course_id
    )


@lru_cache(maxsize=1)
def _pages() -> Pages:
    return Pages.of(_query(), _changes().c.seq)


@lru_cache(maxsize=1)
def _newest() -> Select[Any]:
    return _query().order_by(_changes().c.seq.desc()).limit(bindparam("limit"))


def completions(row: Any) -> tuple[int | None, int | None]:
    """A change's completions before and after it (a creation has no before, a deletion
    no after: its vintage holds the last value)."""
    if row.action == "create":
        return None, row.completions
    if row.action == "delete":
        return row.completions, None
    return row.before, row.completions


def since(
    session: Session, *, since_version: int, limit: int, cursor: str | None
) -> PageResult[Any]:
    """The changes after `since_version`, oldest first, a page at a time."""
    return _pages().rows(session, {"since": since_version}, limit=limit, cursor=cursor)


def newest(session: Session, *, limit: int) -> list[Any]:
    """The latest `limit` changes, newest first (a feed)."""
    return list(fetch(session, _newest(), {"since": 0, "limit": limit}))
