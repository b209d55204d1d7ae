"""Writes per key per minute, counted in the database: one limit whatever the number of
workers and nodes."""

import math
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.db.models import ApiKey, WriteEvent
from app.errors import RateLimited

WINDOW = timedelta(minutes=1)


def count_write(
    session: Session, *, key_id: int, key_name: str, per_minute: int, now: datetime
) -> None:
    """Count a write in the caller's (write) transaction, or raise `RateLimited` with the
    seconds until the key may write again. A write that fails rolls its count back."""
    if per_minute <= 0:
        return
    # Writers of one key queue here (PostgreSQL: a row lock; SQLite writers already hold
    # the database's write lock), so two workers cannot both take the last place.
    session.execute(select(ApiKey.id).where(ApiKey.id == key_id).with_for_update())
    session.execute(
        delete(WriteEvent).where(WriteEvent.api_key_id == key_id, WriteEvent.at <= now - WINDOW)
    )
    recent = session.scalars(
        select(WriteEvent.at)
        .where(WriteEvent.api_key_id == key_id)
        .order_by(WriteEvent.at)
        .limit(per_minute)
    ).all()
    if len(recent) >= per_minute:
        wait = max(1, math.ceil((recent[0] + WINDOW - now).total_seconds()))
        raise RateLimited(
            f"The key '{key_name}' made {per_minute} writes in the last minute; retry in {wait} s.",
            retry_after=wait,
        )
    session.add(WriteEvent(api_key_id=key_id, at=now))
