"""How a read route reaches the database: `Reader`, on the event loop or in a thread."""

from collections.abc import Callable
from contextlib import suppress
from typing import TypeVar

import anyio
from anyio import to_thread
from fastapi import Request
from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.db.direct import DRIVER
from app.db.session import session_engine, transaction
from app.domain.vintages import Vintage
from app.errors import Busy

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

    async def __call__(
        self, work: Callable[[Session], T], *, bounded: bool = False, at: Vintage | None = None
    ) -> T:
        """`work(session)`, committed (a read commits nothing) and closed. `bounded` is
        the route's own word that its read stays small; a read at another vintage than
        the live figures (`at`) walks their history, and is never taken as bounded."""
        if bounded and self.local and (at is None or at.current):
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
    found: Reader = request.app.state.reader  # `AppState.reader`; that module imports this
    return found
