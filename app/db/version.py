"""The data version, known in every worker process without a query per request.

Every write advances one number in the database (`data_version`), in its own
transaction; ETags and the response cache key on it.

- SQLite: a private read-only connection reads it on the event loop, and only when the
  WAL-index header has changed since its last read (`_wal_mark`); otherwise the version
  read last is still the version.
- PostgreSQL: a thread per worker LISTENs on channel `data_version`, which a trigger on
  the table NOTIFYs in the writing transaction (so a write by another node, by the CLI
  or by psql is heard within milliseconds of its commit). The thread also reads the
  version once a second, which catches a notification lost in any way. While it is
  not listening, or has not heard from the server for `STALE_AFTER` seconds, every
  request reads the version from the pool instead: never a stale answer.
- The worker that makes a write learns its version at commit (`saw`), so its own next
  read shows the write (read-your-writes), whatever the notification's delay.
"""

import logging
import os
import sqlite3
import threading
import time
from typing import TYPE_CHECKING, Any

from anyio import to_thread
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from app.db.models import DataVersion
from app.db.session import is_embedded

if TYPE_CHECKING:
    import psycopg

QUERY = "SELECT version FROM data_version WHERE id = 1"
CHANNEL = "data_version"
CHECK_EVERY = 1.0  # seconds between the listener's own reads of the version
STALE_AFTER = 2.5  # seconds without word from the server before requests read for themselves
# The first copy of the WAL-index header, at the start of the `-shm` file: every commit
# rewrites it (frame count, change counter, checksums, salts), after the WAL frames it
# names and before the commit returns (https://www.sqlite.org/walformat.html, 2.1).
WAL_HEADER = 48
log = logging.getLogger("enrollment_stats")
# Descriptors of `-shm` files by identity (device, inode), opened once and never closed:
# closing any descriptor of a file drops every fcntl lock the process holds on it, and
# SQLite keeps its WAL-index locks (DMS, read marks, the write lock) as fcntl locks on
# `-shm`, for this process's other connections too. The OS closes them at exit.
_SHM: dict[tuple[int, int], int] = {}
_SHM_LOCK = threading.Lock()


def shm_descriptor(path: str) -> int:
    """The process's read-only descriptor of the `-shm` file at `path` (opened if new)."""
    with _SHM_LOCK:
        known = os.stat(path)
        fd = _SHM.get((known.st_dev, known.st_ino))
        if fd is None:
            fd = os.open(path, os.O_RDONLY)
            opened = os.fstat(fd)  # the file now open, should `path` have been replaced
            _SHM[(opened.st_dev, opened.st_ino)] = fd
        return fd


class VersionReader:
    """The current data version of the database behind `engine`.

    A database without the table (not yet migrated) reads as version 0.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        database = engine.url.database
        file_backed = is_embedded(engine) and database not in (None, "", ":memory:")
        self._path = database if file_backed else None
        self._sqlite: sqlite3.Connection | None = None
        self._shm: int | None = None  # the `-shm` file, opened once the connection reads
        self._mark = b""  # the WAL-index header before the last read, and its version
        self._marked = 0
        self._known = 0
        self._heard_at = 0.0  # monotonic time of the listener's last word from the server
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._wake = f"data_version_wake_{os.getpid()}_{id(self)}"  # this reader's own channel
        self.listening = False

    # --- reading ---------------------------------------------------------------------

    def _sqlite_read(self, path: str) -> int:
        """The version, read by query only when a commit may have changed it.

        The mark is taken before the query: a commit between the two then leaves a mark
        that no longer matches, and the next call reads again (never the other way round,
        which could pair a new mark with an old version)."""
        mark = self._wal_mark()
        if mark and mark == self._mark:
            return self._marked
        try:
            if self._sqlite is None:
                self._sqlite = sqlite3.connect(
                    f"file:{path}?mode=ro", uri=True, check_same_thread=False, isolation_level=None
                )
            row = self._sqlite.execute(QUERY).fetchone()
        except sqlite3.Error:
            self._drop_sqlite()  # the next call connects again and finds the file again
            return 0
        version = int(row[0]) if row else 0
        if self._shm is None:
            # Only now: the connection has the `-shm` file mapped, and holds it (and the
            # file's identity) until it is closed, so the header read is the database's.
            try:
                self._shm = shm_descriptor(f"{path}-shm")
            except OSError:
                self._shm = -1  # not in WAL mode: every call reads
        self._mark, self._marked = mark, version
        return version

    def _wal_mark(self) -> bytes:
        """The WAL-index header as it is now (one `pread`), or b"" without one."""
        if self._shm is None or self._shm < 0:
            return b""
        try:
            header = os.pread(self._shm, WAL_HEADER, 0)
        except OSError:
            return b""
        return header if len(header) == WAL_HEADER else b""

    def _pooled_read(self) -> int:
        try:
            with self.engine.connect() as conn:
                version = int(conn.scalar(select(DataVersion.version)) or 0)
        except SQLAlchemyError:
            return 0
        self.saw(version)
        return version

    def current(self) -> int | None:
        """The version as the listener knows it, or None when that may be stale."""
        if self.listening and time.monotonic() - self._heard_at < STALE_AFTER:
            return self._known
        return None

    async def read(self) -> int:
        """The version now."""
        if self._path is not None:
            return self._sqlite_read(self._path)
        known = self.current()
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
        """Close the private connection (SQLite defers closing its own descriptors while
        other connections hold locks) and forget the `-shm` descriptor, never closing it."""
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None
        self._shm, self._mark = None, b""
