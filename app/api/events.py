"""Data versions pushed to subscribers (`/api/v1/updates/stream`): one watcher per worker
and any number of waiting subscribers, none holding a thread or a connection.

The watcher asks the version reader (`app.db.version`) every `TICK` while anyone
listens: on SQLite a `pread` of the change mark that every write rewrites after it
commits (whatever process or node of the same file made it); on PostgreSQL the
version the NOTIFY listener heard, read from memory (a query only while the listener
is down). When the version moves it wakes every subscriber at once.
"""

import asyncio
from contextlib import suppress

from app.db.version import VersionReader
from app.errors import Busy

TICK = 0.25  # seconds between looks at the version: a commit is heard within this


class VersionEvents:
    """Subscribers waiting for the next data version, at most `limit` per worker."""

    def __init__(self, reader: VersionReader, limit: int) -> None:
        self.reader = reader
        self.limit = limit
        self.subscribers = 0
        self.version: int | None = None
        self._moved = asyncio.Event()
        self._watcher: asyncio.Task[None] | None = None

    async def join(self) -> int:
        """A place among the subscribers (`leave` gives it back), with the version now;
        `Busy` (503) beyond the bound, or while the version cannot be read."""
        if self.subscribers >= self.limit:
            raise Busy(
                f"This worker already streams to {self.limit} subscribers; retry shortly.",
                retry_after=5,
            )
        version = await self.reader.read()
        self.subscribers += 1
        if self._watcher is None or self._watcher.done():
            self.version = version
            self._watcher = asyncio.get_running_loop().create_task(self._watch())
        return version

    def leave(self) -> None:
        """A subscriber went away."""
        self.subscribers -= 1

    async def after(self, seen: int) -> int:
        """The first version after `seen`, when it comes."""
        while True:
            moved = self._moved
            if self.version is not None and self.version > seen:
                return self.version
            await moved.wait()

    async def _watch(self) -> None:
        """Look at the version every `TICK` while anyone listens; then stop."""
        while self.subscribers:
            await asyncio.sleep(TICK)
            try:
                version = self.reader.known()
                if version is None:  # PostgreSQL, the listener down: one read for all
                    version = await self.reader.read()
            except Busy:
                continue  # unreadable for now: the subscribers hear when it is back
            if self.version is None or version > self.version:
                self.version = version
                moved, self._moved = self._moved, asyncio.Event()
                moved.set()

    async def close(self) -> None:
        """Stop the watcher (the app is stopping)."""
        if self._watcher is not None:
            self._watcher.cancel()
            with suppress(asyncio.CancelledError):
                await self._watcher
