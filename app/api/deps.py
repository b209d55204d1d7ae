"""Dependencies shared by routes: the request's session and common query parameters."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from app.db.session import transaction


def get_session(request: Request) -> Iterator[Session]:
    """The request's unit of work: committed when the route returns, rolled back on error."""
    with transaction(request.app.state.sessionmaker) as session:
        yield session


# scope="function": commit before the response is sent, so a client never sees
# a success for a write that then fails to commit.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

Limit = Annotated[int, Query(ge=1, le=1000, description="Items per page (1–1000).", examples=[100])]
Cursor = Annotated[
    str | None,
    Query(description="Opaque `next_cursor` of the previous page.", max_length=200),
]
Year = Annotated[int, Query(ge=1900, le=9999, description="A calendar year.", examples=[2019])]
OptionalYear = Annotated[
    int | None, Query(ge=1900, le=9999, description="A calendar year.", examples=[2019])
]
CourseFilter = Annotated[
    str | None,
    Query(description="A course slug.", max_length=100, examples=["basic-sro"]),
]
