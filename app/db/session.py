"""Engines and sessions; the only module that knows about database dialects."""

import logging
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from itertools import chain
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event, text
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as SATimeoutError
from sqlalchemy.orm import Session, sessionmaker

from app.db.base import utcnow
from app.db.change_mark import note_change

WRITE = "enrollment_stats_write"
log = logging.getLogger("enrollment_stats")


def _sqlite_connect(synchronous: str, busy_ms: int) -> Callable[[Any, Any], None]:
    """WAL for concurrent readers, a busy timeout instead of 'database is locked', FKs on,
    and `synchronous` FULL by default: a write answered 201 survives a power cut (NORMAL
    may lose the last commits in WAL mode; its gain is measured by `bench.writes`).

    The driver's own transaction handling is turned off so that `_sqlite_begin`
    decides how each transaction starts.
    """

    def connect(dbapi_connection: Any, _record: Any) -> None:
        _configure(dbapi_connection, synchronous, busy_ms)

    return connect


def _configure(dbapi_connection: Any, synchronous: str, busy_ms: int) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA synchronous={synchronous}")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    """Writers take the write lock when they begin (BEGIN IMMEDIATE).

    A writer that first read under a plain BEGIN could not upgrade its lock once
    another writer committed, and would fail with 'database is locked'; taking the
    lock first makes writers queue on the busy timeout and see each other's rows,
    so the rules checked inside the transaction hold when it commits.
    """
    immediate = connection.get_execution_options().get(WRITE, False)
    if not immediate and connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
        return  # a bounded read's snapshot, begun on the driver (`Reader`): join it
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(
    url: str,
    *,
    sqlite_synchronous: str = "FULL",
    pool_size: int = 5,
    max_overflow: int = 10,
    wait: float = 10.0,
) -> Engine:
    """An engine for `url`, with SQLite connections configured for a web service.

    Work waits at most `wait` seconds for a pooled connection, and on PostgreSQL for a
    lock; then it fails with an error that `is_busy` recognises (503, not 500).
    """
    pooled = {"pool_size": pool_size, "max_overflow": max_overflow, "pool_timeout": wait}
    if url.startswith("sqlite"):
        memory = ":memory:" in url or url.rstrip("/").endswith(":")
        engine = create_engine(url, **({} if memory else pooled))
        # Writers queue behind the write lock as long as `wait`: an import holding it
        # longer makes them 503 with Retry-After, never 500.
        connect = _sqlite_connect(sqlite_synchronous, int(wait * 1000))
        event.listen(engine, "connect", connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # PostgreSQL: a lock (a course's writers, the data version) is waited for as long.
    # No ping before each checkout (a round trip per request): a connection found
    # dead fails its request as busy (503, retry) and the pool starts afresh.
    options = {"options": f"-c lock_timeout={int(wait * 1000)}"}
    connect_args = options if url.startswith("postgresql") else {}
    return create_engine(url, connect_args=connect_args, pool_recycle=3600, **pooled)


def is_busy(exc: BaseException) -> bool:
    """Whether `exc` says the database was too busy or briefly away (no connection in
    time, a lock held too long, a connection the server closed), as opposed to a
    fault: the client may retry."""
    if isinstance(exc, SATimeoutError):  # no pooled connection within the wait
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:  # the server went away
        return True
    if isinstance(exc, OperationalError):
        orig = exc.orig
        if isinstance(orig, sqlite3.OperationalError):
            return "locked" in str(orig) or "busy" in str(orig)
        return getattr(orig, "sqlstate", None) in ("55P03", "57014")  # lock, cancelled
    return False


def describe(engine: Engine) -> str:
    """The database for people: the SQLite file's full path, or the URL without password."""
    if is_embedded(engine):
        database = engine.url.database
        if database in (None, "", ":memory:"):
            return "an in-memory SQLite database"
        return f"SQLite file {Path(database).resolve()}"
    return engine.url.render_as_string(hide_password=True)


def unreachable(engine: Engine) -> str | None:
    """Why the database cannot be opened, in one line with the fix, or None if it can."""
    database = engine.url.database
    if is_embedded(engine) and database not in (None, "", ":memory:"):
        folder = Path(database).resolve().parent
        if not folder.is_dir():
            return (
                f"the folder {folder} of DATABASE_URL does not exist: create it, or set "
                "DATABASE_URL to a file in an existing folder."
            )
    try:
        with engine.connect():
            return None
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return f"cannot open {describe(engine)}: {reason}. Check DATABASE_URL."


def is_embedded(engine: Engine) -> bool:
    """Whether the database runs inside this process (SQLite), with no network between."""
    return engine.dialect.name == "sqlite"


def make_sessionmaker(engine: Engine, *, write: bool = False) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit; `write` ones serialize,
    and on a SQLite file each of their commits rewrites the change mark, by which every
    worker learns of it at its next request (`app.db.change_mark`)."""
    bind = engine.execution_options(**{WRITE: True}) if write else engine
    made = sessionmaker(bind, expire_on_commit=False)
    database = engine.url.database
    if write and is_embedded(engine) and database not in (None, "", ":memory:"):
        event.listen(made, "after_commit", lambda _session: _mark_change(database))
    return made


def _mark_change(database: str) -> None:
    """Rewrite the change mark; a mark that cannot be written (a full disk) leaves the
    readers to find the write by their read of the version once a second."""
    try:
        note_change(database)
    except OSError as exc:
        log.warning("change mark: not written (%s); workers see the write within a second", exc)


def session_engine(factory: sessionmaker[Session]) -> Engine:
    """The engine a session factory binds to."""
    bind = factory.kw["bind"]
    assert isinstance(bind, Engine)
    return bind


def lock_course(session: Session, course_id: int) -> None:
    """Serialize writers of one course's figures, so R2/R3 checks see each other.

    SQLite writers already hold the database's single write lock; PostgreSQL takes
    a transaction-scoped advisory lock on the course.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": course_id})


WRITE_TIME = "write_time"


def write_time(session: Session) -> datetime:
    """The moment of this transaction's write, the same for all it records (figures,
    revisions, totals history, audit entry), so an `as_of` moment sees a write whole
    or not at all."""
    moment: datetime = session.info.setdefault(WRITE_TIME, utcnow())
    return moment


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session


# Rows to one INSERT: a million figures took 7-10 s a row at a time, 4.5-5.5 s so.
ROWS_PER_INSERT = 500
# SQLite's bound-parameter limit before 3.32; PostgreSQL allows 65,535
MAX_PARAMETERS = 32_766 if sqlite3.sqlite_version_info >= (3, 32) else 999


def bulk_insert(
    session: Session, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Insert many rows of plain values through the driver's executemany, a few
    hundred rows to a statement (`INSERT … VALUES (…), (…), …`).

    For imports of a million figures: it skips SQLAlchemy's per-row parameter
    processing, so values must already be what the column stores (see
    `stored_value`). SQLite takes `?` placeholders, psycopg `%s`. Rows keep their
    order, so autoincremented ids follow it.
    """
    mark = "?" if session.get_bind().dialect.paramstyle == "qmark" else "%s"
    head = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES "
    one = f"({', '.join(mark for _ in columns)})"
    per = max(1, min(ROWS_PER_INSERT, MAX_PARAMETERS // len(columns)))
    rows = list(rows)
    whole = len(rows) - len(rows) % per
    connection = session.connection()
    if whole:
        connection.exec_driver_sql(
            head + ", ".join([one] * per),
            [tuple(chain.from_iterable(rows[i : i + per])) for i in range(0, whole, per)],
        )
    if whole < len(rows):
        rest = rows[whole:]
        connection.exec_driver_sql(
            head + ", ".join([one] * len(rest)), tuple(chain.from_iterable(rest))
        )


def stored_value(column: Any, value: Any, session: Session) -> Any:
    """`value` as the column's type would bind it (for `bulk_insert`)."""
    dialect = session.get_bind().dialect
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return process(value) if process else value
