"""`Idempotency-Key` on POST: the first response is kept 24 hours per API key and replayed."""

import hashlib
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.db.base import utcnow
from app.db.models import IdempotencyRecord
from app.errors import Invalid

TTL = timedelta(hours=24)


def fingerprint(method: str, path: str, body: str) -> str:
    """What makes two requests 'the same': method, path and canonical body."""
    return hashlib.sha256(f"{method} {path}\n{body}".encode()).hexdigest()


def replay(
    session: Session, *, api_key_id: int, key: str, fingerprint: str
) -> IdempotencyRecord | None:
    """The stored first response for this key, if any; 422 if it was for another request."""
    session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - TTL))
    found = session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.api_key_id == api_key_id, IdempotencyRecord.key == key
        )
    )
    if found is not None and found.fingerprint != fingerprint:
        raise Invalid(
            "This Idempotency-Key was already used with a different request; "
            "use a new key for a new request.",
            errors=[{"field": "Idempotency-Key", "message": "reused with another request"}],
        )
    return found


def remember(
    session: Session,
    *,
    api_key_id: int,
    key: str,
    fingerprint: str,
    status_code: int,
    body: str,
    location: str | None,
    etag: str | None = None,
) -> None:
    """Keep the response so a repeat within 24 hours gets it again."""
    session.add(
        IdempotencyRecord(
            api_key_id=api_key_id,
            key=key,
            fingerprint=fingerprint,
            status_code=status_code,
            body=body,
            location=location,
            etag=etag,
        )
    )


def forget(session: Session, *, location: str) -> None:
    """A deleted resource is not replayed as created: a repeat of the POST that made it
    makes it again (its Location would otherwise name nothing)."""
    session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.location == location))
