"""The audit log: one entry per write, with who, when, what, before and after."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.db.models import AuditEntry, DataVersion
from app.db.session import write_time
from app.services.pagination import PageResult, paginate

VERSION_KEY = "data_version"  # in `session.info`: the version this transaction made


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a key's name and prefix, or a system name such as `seed`."""

    name: str
    key_prefix: str | None = None


def record(
    session: Session,
    actor: Actor,
    action: str,
    resource: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Advance the data version (so every ETag changes) and add an entry that keeps it;
    the caller's transaction commits both with the change they describe."""
    version = session.scalar(
        update(DataVersion)
        .where(DataVersion.id == 1)
        .values(version=DataVersion.version + 1)
        .returning(DataVersion.version)
    )
    session.add(
        AuditEntry(
            at=write_time(session),
            actor=actor.name,
            key_prefix=actor.key_prefix,
            action=action,
            resource=resource,
            before=before,
            after=after,
            version=version,
        )
    )
    session.info[VERSION_KEY] = version


def list_entries(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    resource: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int,
    cursor: str | None,
) -> PageResult[AuditEntry]:
    """Entries matching every filter, oldest first."""
    query = select(AuditEntry)
    if actor is not None:
        query = query.where(AuditEntry.actor == actor)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if resource is not None:
        query = query.where(AuditEntry.resource == resource)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at <= until)
    return paginate(session, query, key=AuditEntry.id, limit=limit, cursor=cursor)
