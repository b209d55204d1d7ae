"""Dependencies shared by routes: the request's session and common query parameters."""

from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from typing import Annotated, TypeVar

import anyio
from anyio import to_thread
from fastapi import Depends, Header, Query, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import WithJsonSchema
from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.db.base import utcnow
from app.db.direct import DRIVER
from app.db.session import session_engine, transaction
from app.errors import Busy, Forbidden, Unauthorized
from app.services import keys, rates
from app.services.audit import VERSION_KEY, Actor


def get_session(request: Request) -> Iterator[Session]:
    """The request's unit of work: committed when the route returns, rolled back on error."""
    with transaction(request.app.state.sessionmaker) as session:
        yield session


# scope="function": commit before the response is sent, so a client never sees
# a success for a write that then fails to commit.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

T = TypeVar("T")


class Reader:
    """Runs a read in its own transaction, on the event loop or in a worker thread.

    A bounded read (one resource, a page of at most 1,000 items, one year or one
    course, as things stand now) on SQLite takes a millisecond or two of local work,
    and a thread hop costs more than that under load (cold `/years/2019`: 240 req/s
    through a thread, 600 on the loop): it runs on the event loop, in a session kept
    on a connection of its own, so a read pays for its BEGIN and COMMIT but not for
    a pool checkout and a new session (with the statements built once, 12% of a cold
    `/years/2019`'s instructions and 32% of a cold `/attendance`'s). Reads that
    grow with the data (every year, every course) or walk history (`as_of`) go to a
    worker thread so they never stall other requests; so does every read on a
    database that answers over the network.

    At most `threads` reads run in threads at once (as many as the connection pool
    holds); a read that cannot start within `wait` seconds is refused as `Busy` (503
    with Retry-After) instead of queueing without end.
    """

    def __init__(
        self, factory: sessionmaker[Session], *, local: bool, threads: int, wait: float
    ) -> None:
        self.factory = factory
        self.local = local
        self.limiter = anyio.CapacityLimiter(threads)
        self.wait = wait
        self._loop: tuple[Session, Connection] | None = None  # bounded SQLite reads

    def _run(self, work: Callable[[Session], T]) -> T:
        with transaction(self.factory) as session:
            return work(session)

    def open(self) -> None:
        """Take the event loop's connection (SQLite) before any request can want it; an
        unreachable database is left for the first read to report."""
        if self.local and self._loop is None:
            with suppress(SQLAlchemyError):
                self._loop = self._connect()

    def _connect(self) -> tuple[Session, Connection]:
        connection = session_engine(self.factory).connect()
        session = self.factory(bind=connection)
        session.info[DRIVER] = (connection.connection.dbapi_connection, connection.dialect)
        return session, connection

    def _run_on_loop(self, work: Callable[[Session], T]) -> T:
        if self._loop is None:  # not opened when the app started (`lifespan`)
            self._loop = self._connect()
        session = self._loop[0]
        driver = session.info[DRIVER][0]
        # One read transaction on the driver (one snapshot for every statement): what
        # runs through `direct.fetch` needs nothing more, and a statement through the
        # session joins it (`_sqlite_begin`) instead of beginning its own.
        driver.execute("BEGIN")
        try:
            return work(session)
        finally:
            if session.in_transaction():
                session.rollback()  # a read changes nothing; this ends the driver's too
            if driver.in_transaction:
                driver.execute("ROLLBACK")
            if session.identity_map:
                session.expunge_all()  # the next read loads every row afresh

    def close(self) -> None:
        """Let go of the event loop's connection."""
        if self._loop is not None:
            session, connection = self._loop
            self._loop = None
            session.close()
            connection.close()

    async def __call__(self, work: Callable[[Session], T], *, bounded: bool = False) -> T:
        """`work(session)`, committed (a read commits nothing) and closed."""
        if bounded and self.local:
            return self._run_on_loop(work)
        try:
            with anyio.fail_after(self.wait):
                await self.limiter.acquire()
        except TimeoutError:
            raise Busy(
                f"Every database reader is busy (more than {self.wait:g} s of queue); "
                "retry shortly.",
                retry_after=1,
            ) from None
        try:
            return await to_thread.run_sync(self._run, work)
        finally:
            self.limiter.release()


def reader(request: Request) -> Reader:
    """The app's reader. A read route takes it from its `Request` rather than as a
    dependency: FastAPI solves a dependency anew on every request, and this one cost
    67,000 instructions, a twentieth of a cold `/years/2019` (docs/performance.md)."""
    found: Reader = request.app.state.reader
    return found


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


def get_write_session(request: Request) -> Iterator[Session]:
    """A unit of work that writes: on SQLite it holds the write lock from its start.
    Once it commits, this worker knows the data version it made (read-your-writes).

    On SQLite a worker's writers first queue in the worker (`write_gate`, in arrival
    order), so only one per process waits on SQLite's own lock, whose busy handler
    sleeps and retries and can pass over a writer for seconds under load.
    """
    state = request.app.state
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


@dataclass(frozen=True)
class Principal:
    """The caller behind a valid key."""

    key_id: int
    name: str
    prefix: str
    scopes: frozenset[str]

    @property
    def actor(self) -> Actor:
        """The principal as the author of a change."""
        return Actor(self.name, self.prefix)


# Declares the scheme in the OpenAPI (and the Authorize button in /docs); `_bearer`
# reads the header itself, to say exactly what is wrong with it.
BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="apiKey",
    description="A key made by `enrollment-stats keys create`, sent as `Bearer esk_...`.",
)


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization")
    if not header:
        raise Unauthorized("This operation needs an API key: send 'Authorization: Bearer <key>'.")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send the API key as 'Authorization: Bearer <key>'.")
    return token.strip()


def require(scope: str) -> Callable[..., Principal]:
    """A dependency admitting keys with `scope` (401 without a valid key, 403 without scope)."""

    def dependency(
        request: Request,
        _declared: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None,
    ) -> Principal:
        token = _bearer(request)
        with transaction(request.app.state.sessionmaker) as session:
            key = keys.authenticate(session, token)
        if key is None:
            raise Unauthorized("The API key is unknown or revoked.")
        scopes = keys.scopes_of(key)
        if scope not in scopes:
            raise Forbidden(f"The key '{key.name}' lacks the '{scope}' scope.")
        now = utcnow()
        if keys.needs_touch(key, now):
            with transaction(request.app.state.write_sessionmaker) as session:
                keys.touch(session, key.id, now)
        return Principal(key.id, key.name, key.prefix, scopes)

    return dependency


def counted_writer(
    request: Request,
    session: WriteSessionDep,
    who: Annotated[Principal, Depends(require("write"))],
) -> Principal:
    """A write key whose write is counted against `WRITE_RATE_LIMIT` (429 over it), in
    the request's write transaction."""
    rates.count_write(
        session,
        key_id=who.key_id,
        key_name=who.name,
        per_minute=request.app.state.settings.write_rate_limit,
        now=utcnow(),
    )
    return who


WriteKey = Annotated[Principal, Depends(counted_writer)]
AdminKey = Annotated[Principal, Depends(require("admin"))]

DATE_OR_TIME = WithJsonSchema(
    {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]}
)
AsOf = Annotated[
    str | None,
    DATE_OR_TIME,
    Query(
        description="Answer as the service had recorded the data then: an ISO date (its "
        "end, UTC) or timestamp.",
        max_length=40,
        examples=["2019-09-16"],
    ),
]
VintageDate = Annotated[
    str | None,
    WithJsonSchema({"type": "string", "format": "date"}),
    Query(
        description="Answer as published by then (`YYYY-MM-DD`): for each figure, its latest "
        "revision whose source was published on or before that date (one without a date, "
        "or a deletion, counts from the day it was recorded). With `as_of`, both apply.",
        max_length=40,
        examples=["2019-09-16"],
    ),
]
IfMatch = Annotated[
    str | None,
    Header(description="The figure's ETag; the write fails with 412 if it changed since."),
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        description="Repeat a POST safely: a repeat with the same key replays the first answer.",
        max_length=200,
    ),
]
