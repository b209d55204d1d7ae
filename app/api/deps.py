"""The request's units of work: a session for reads through dependencies, and the write
session that queues behind the worker's write gate."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.api.state import state_of
from app.db.session import transaction
from app.errors import Busy
from app.services.audit import VERSION_KEY


def get_session(request: Request) -> Iterator[Session]:
    """The request's unit of work: committed when the route returns, rolled back on error."""
    with transaction(state_of(request.app).sessionmaker) as session:
        yield session


# scope="function": commit before the response is sent, so a client never sees
# a success for a write that then fails to commit.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_write_session(request: Request) -> Iterator[Session]:
    """A unit of work that writes: on SQLite it holds the write lock from its start.
    Once it commits, this worker knows the data version it made (read-your-writes).

    On SQLite a worker's writers first queue in the worker (`write_gate`, in arrival
    order), so only one per process waits on SQLite's own lock, whose busy handler
    sleeps and retries and can pass over a writer for seconds under load.
    """
    state = state_of(request.app)
    gate = state.write_gate
    if gate is not None and not gate.acquire(timeout=state.settings.db_wait_seconds):
        raise Busy("Other writes are queued in this worker; retry shortly.", retry_after=2)
    try:
        with transaction(state.write_sessionmaker) as session:
            yield session
    finally:
        if gate is not None:
            gate.release()
    made = session.info.get(VERSION_KEY)
    if made is not None:
        state.version_reader.saw(made)


WriteSessionDep = Annotated[Session, Depends(get_write_session, scope="function")]
