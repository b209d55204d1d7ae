"""Writes per key per minute, counted in the database: one limit whatever the number of
workers and nodes."""

import math
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.db.models import WriteEvent
from app.errors import RateLimited

WINDOW = timedelta(minutes=1)


def count_write(
    session: Session, *, key_id: int, key_name: str, per_minute: int, now: datetime
) -> None:
    """Count a write in the caller's (write) transaction, or raise `RateLimited` with the
    seconds until the key may write again. A write that fails rolls its count back.

    SQLite writers hold the database's write lock, so the count is exact. PostgreSQL
    writers of one key are not made to queue for it (that would serialise a key's
    writes): writes of one key in flight at the same moment may pass the limit by
    their number, never more.
    """
    if per_minute <= 0:
        return
    session.execute(
        delete(WriteEvent).where(WriteEvent.api_key_id == key_id, WriteEvent.at <= now - WINDOW)
    )
    count, oldest = session.execute(
        select(func.count(), func.min(WriteEvent.at)).where(WriteEvent.api_key_id == key_id)
    ).one()
    if count >= per_minute:
        wait = max(1, math.ceil((oldest + WINDOW - now).total_seconds()))
        raise RateLimited(
            f"The key '{key_name}' made {per_minute} writes in the last minute; retry in {wait} s.",
            retry_after=wait,
        )
    session.add(WriteEvent(api_key_id=key_id, at=now))
