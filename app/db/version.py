"""The data version, known in every worker process without a query per request.

Every write advances one number in the database (`data_version`), in its own
transaction; ETags and the response cache key on it.

- SQLite: a private read-only connection reads it on the event loop, and only when
  the change mark (a file of ours that every write rewrites after it commits,
  `app.db.change_mark`) differs from the one seen last, or a second has passed since
  the last read (a write that bypassed the app); otherwise the version read last is
  still the version. One `pread` per request: `PRAGMA data_version`, the documented
  way, costs five times as much (docs/performance.md).
- PostgreSQL: a thread per worker LISTENs on channel `data_version`, which a trigger on
  the table NOTIFYs in the writing transaction (so a write by another node, by the CLI
  or by psql is heard within milliseconds of its commit). The thread also reads the
  version once a second, which catches a notification lost in any way. While it is
  not listening, or has not heard from the server for `STALE_AFTER` seconds, every
  request reads the version from the pool instead: never a stale answer.
- The worker that makes a write learns its version at commit (`saw`), so its own next
  read shows the write (read-your-writes), whatever the notification's delay.

A version that cannot be read is `VersionUnavailable` (503 with Retry-After), never a
guess: two states sharing one ETag would let a 304 stand for changed data.
"""

import logging
import os
import sqlite3
import threading
import time
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from anyio import to_thread
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from app.db.change_mark import SIZE, mark_path, open_mark
from app.db.models import DataVersion
from app.db.session import is_embedded
from app.errors import Busy

if TYPE_CHECKING:
    import psycopg

QUERY = "SELECT version FROM data_version WHERE id = 1"
CHANNEL = "data_version"
CHECK_EVERY = 1.0  # seconds between the listener's own reads of the version
STALE_AFTER = 2.5  # seconds without word from the server before requests read for themselves
NO_MARK = b"unread"  # never a mark (marks are 8 bytes)
log = logging.getLogger("enrollment_stats")


class VersionUnavailable(Busy):
    """The data version could not be read; answering without it could send a 304 for
    changed data."""

    def __init__(self) -> None:
        super().__init__("The database could not be read just now; retry shortly.", retry_after=2)


class VersionReader:
    """The current data version of the database behind `engine`.

    A read that fails raises `VersionUnavailable`; the next read tries afresh.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        database = engine.url.database
        file_backed = is_embedded(engine) and database not in (None, "", ":memory:")
        self._path = database if file_backed else None
        self._sqlite: sqlite3.Connection | None = None
        self._cursor: sqlite3.Cursor
        self._mark_fd: int | None = None
        self._mark = NO_MARK  # the change mark before the last read of the version
        self._marked = 0  # the version that read found
        self._marked_at = 0.0  # and when (monotonic)
        self._unmarked = False  # the mark could not be opened (said once in the log)
        self._known = 0
        self._heard_at = 0.0  # monotonic time of the listener's last word from the server
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._wake = f"data_version_wake_{os.getpid()}_{id(self)}"  # this reader's own channel
        self.listening = False

    # --- reading ---------------------------------------------------------------------

    def _sqlite_read(self, path: str) -> int:
        """The version, read by query only when the change mark moved or a second passed.

        The mark is taken before the query: a write between the two then leaves a mark
        that no longer matches, and the next call reads again (never the other way round,
        which could pair a new mark with an old version)."""
        try:
            now = time.monotonic()
            mark = self._read_mark(path, now)
            if mark is not NO_MARK and mark == self._mark and now - self._marked_at < CHECK_EVERY:
                return self._marked
            if self._sqlite is None:
                self._sqlite = sqlite3.connect(
                    f"file:{path}?mode=ro", uri=True, check_same_thread=False, isolation_level=None
                )
                self._cursor = self._sqlite.cursor()  # one, reused: a request makes none
            row = self._cursor.execute(QUERY).fetchone()
        except (OSError, sqlite3.Error) as exc:
            self._drop_sqlite()  # the next call opens them again
            log.warning("data version: unreadable (%s)", exc)
            raise VersionUnavailable from exc
        version = int(row[0]) if row else 0
        self._mark, self._marked, self._marked_at = mark, version, now
        return version

    def _read_mark(self, path: str, now: float) -> bytes:
        """The change mark, or NO_MARK where it cannot be had (a read-only folder: the
        version is then read by every request). Once a second, a mark file replaced
        since it was opened is opened again."""
        if self._mark_fd is not None and now - self._marked_at >= CHECK_EVERY:
            with suppress(OSError):
                if os.fstat(self._mark_fd).st_ino != os.stat(mark_path(path)).st_ino:
                    os.close(self._mark_fd)
                    self._mark_fd = None
        if self._mark_fd is None:
            try:
                self._mark_fd = open_mark(path)
            except OSError as exc:
                if not self._unmarked:
                    log.warning("data version: no change mark (%s); read per request", exc)
                self._unmarked = True
                return NO_MARK
        return os.pread(self._mark_fd, SIZE, 0)

    def _pooled_read(self) -> int:
        try:
            with self.engine.connect() as conn:
                version = int(conn.scalar(select(DataVersion.version)) or 0)
        except SQLAlchemyError as exc:
            log.warning("data version: unreadable (%s)", type(exc).__name__)
            raise VersionUnavailable from exc
        self.saw(version)
        return version

    def current(self) -> int | None:
        """The version as the listener knows it, or None when that may be stale."""
        if self.listening and time.monotonic() - self._heard_at < STALE_AFTER:
            return self._known
        return None

    def known(self) -> int | None:
        """The version now, when it can be had without waiting (SQLite; PostgreSQL while
        the listener is current), else None: then `read`."""
        if self._path is not None:
            return self._sqlite_read(self._path)
        return self.current()

    async def read(self) -> int:
        """The version now."""
        known = self.known()
        if known is not None:
            return known
        return await to_thread.run_sync(self._pooled_read)

    def saw(self, version: int) -> None:
        """A version this worker has seen committed (its own write, or a read)."""
        with self._lock:
            self._known = max(self._known, version)

    # --- listening (PostgreSQL) ------------------------------------------------------

    def start(self) -> None:
        """Listen for new versions, if the database can tell (PostgreSQL)."""
        if self.engine.dialect.name != "postgresql" or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._listen, name="data-version", daemon=True)
        self._thread.start()

    def _conninfo(self) -> str:
        """The database's address for psycopg itself (no SQLAlchemy driver prefix)."""
        return self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)

    def _listen(self) -> None:
        import psycopg  # here: a SQLite deployment never loads libpq (10 MB a worker)

        conninfo = self._conninfo()
        while not self._stop.is_set():
            try:
                with psycopg.connect(
                    conninfo,
                    autocommit=True,
                    application_name="enrollment-stats-listener",
                    keepalives=1,
                    keepalives_idle=5,
                    keepalives_interval=1,
                    keepalives_count=3,
                ) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    conn.execute(f'LISTEN "{self._wake}"')
                    self._heard(conn)
                    self.listening = True
                    log.info("data version: listening for changes")
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=CHECK_EVERY):
                            if note.channel == self._wake:
                                break
                            self.saw(int(note.payload))
                            self._heard_at = time.monotonic()
                        if not self._stop.is_set():
                            self._heard(conn)
            except (psycopg.Error, ValueError) as exc:
                if self.listening:
                    log.warning("data version: stopped listening (%s); reading per request", exc)
                self.listening = False
                self._stop.wait(0.5)
        self.listening = False

    def _heard(self, conn: "psycopg.Connection[Any]") -> None:
        row = conn.execute(QUERY).fetchone()
        self.saw(int(row[0]) if row else 0)
        self._heard_at = time.monotonic()

    def close(self) -> None:
        """Stop listening (waking the listener at once) and drop the private connection."""
        self._stop.set()
        if self._thread is not None:
            if self.listening:
                self._wake_listener()
            self._thread.join(timeout=5)
            self._thread = None
        self._drop_sqlite()

    def _wake_listener(self) -> None:
        """Notify the listener's own channel, so it stops now rather than after its
        current wait (a second: a test suite starting hundreds of apps felt it)."""
        import psycopg

        conninfo = self._conninfo()
        try:
            with psycopg.connect(conninfo, autocommit=True, connect_timeout=2) as conn:
                conn.execute(f'NOTIFY "{self._wake}"')
        except psycopg.Error:
            pass  # the listener stops after its wait instead

    def _drop_sqlite(self) -> None:
        """Close the private connection and the mark; the next read opens them again."""
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None
        if self._mark_fd is not None:
            os.close(self._mark_fd)
            self._mark_fd = None
        self._mark = NO_MARK
