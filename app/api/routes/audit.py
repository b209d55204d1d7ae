"""The audit log, for admins."""

from typing import Annotated

from fastapi import Query

from app.api.auth import AdminKey
from app.api.deps import SessionDep
from app.api.params import DATE_OR_TIME, Cursor, Limit
from app.api.representations import RenderedRoute
from app.api.routes.prefix import PrefixRouter
from app.schemas.common import Page, problem_responses
from app.schemas.resources import AuditEntryOut
from app.services import audit
from app.services.history import parse_moment
from app.urls import API

router = PrefixRouter(
    prefix=f"{API}/audit",
    tags=["audit"],
    route_class=RenderedRoute,
)


@router.get("", summary="Who changed what, when", responses=problem_responses(401, 403, 422))
def list_audit(
    session: SessionDep,
    _admin: AdminKey,
    actor: Annotated[str | None, Query(max_length=100, description="A key's name.")] = None,
    action: Annotated[
        str | None,
        Query(max_length=50, description="E.g. `figure.update`.", examples=["figure.update"]),
    ] = None,
    resource: Annotated[
        str | None, Query(max_length=200, description="E.g. `/api/v1/attendance/2`.")
    ] = None,
    since: Annotated[
        str | None, DATE_OR_TIME, Query(max_length=40, description="At or after (ISO 8601).")
    ] = None,
    until: Annotated[
        str | None, DATE_OR_TIME, Query(max_length=40, description="At or before (ISO 8601).")
    ] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Page[AuditEntryOut]:
    """Every write, oldest first: the key's name, the action, the resource, and the values
    before and after. Needs a key with the `admin` scope."""
    page = audit.list_entries(
        session,
        actor=actor,
        action=action,
        resource=resource,
        since=None if since is None else parse_moment(since, field="since", day_end=False),
        until=None if until is None else parse_moment(until, field="until", day_end=True),
        limit=limit,
        cursor=cursor,
    )
    return Page[AuditEntryOut].of(page, AuditEntryOut.model_validate)
