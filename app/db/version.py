"""Reading the data version cheaply on every request, in every worker process."""

import sqlite3

from anyio import to_thread
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from app.db.models import DataVersion
from app.db.session import is_embedded

QUERY = "SELECT version FROM data_version WHERE id = 1"


class VersionReader:
    """The current data version of the database behind `engine`.

    SQLite: a private read-only connection answers in microseconds, so it is read
    on the event loop itself. Other databases: one pooled query in a worker thread.
    A database without the table (not yet migrated) reads as version 0.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        database = engine.url.database
        file_backed = is_embedded(engine) and database not in (None, "", ":memory:")
        self._path = database if file_backed else None
        self._sqlite: sqlite3.Connection | None = None

    def _sqlite_read(self, path: str) -> int:
        try:
            if self._sqlite is None:
                self._sqlite = sqlite3.connect(
                    f"file:{path}?mode=ro", uri=True, check_same_thread=False, isolation_level=None
                )
            row = self._sqlite.execute(QUERY).fetchone()
        except sqlite3.Error:
            self.close()
            return 0
        return int(row[0]) if row else 0

    def _pooled_read(self) -> int:
        try:
            with self.engine.connect() as conn:
                return int(conn.scalar(select(DataVersion.version)) or 0)
        except SQLAlchemyError:
            return 0

    async def read(self) -> int:
        """The version now."""
        if self._path is not None:
            return self._sqlite_read(self._path)
        return await to_thread.run_sync(self._pooled_read)

    def close(self) -> None:
        """Drop the private connection (it is reopened on the next read)."""
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None
