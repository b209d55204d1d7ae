"""The change mark: a small file of ours beside a SQLite database, rewritten after every
write commits, so that each worker learns of a write with one `pread` per request.

It is a hint, not the version: the version stays the `data_version` row, read again
whenever the mark differs from the one seen last (`app.db.version`). Every write
writes 8 new random bytes, so two writes never leave the same mark, whichever order
their marks land in. A write that bypasses the app (the `sqlite3` shell), or a process
that dies between its commit and its mark, is caught by the readers' own read of the
version once a second. SQLite's own files (`-wal`, `-shm`) are never read: their
format is private to SQLite (docs/decisions.md, "The data version").
"""

import os
import random
from pathlib import Path

SUFFIX = ".changes"
SIZE = 8


def mark_path(database: str) -> Path:
    """The change mark of the SQLite file `database`."""
    return Path(f"{database}{SUFFIX}")


def open_mark(database: str) -> int:
    """A descriptor on the mark of `database`, made if missing (read with `os.pread`)."""
    return os.open(mark_path(database), os.O_RDWR | os.O_CREAT, 0o644)


def note_change(database: str) -> None:
    """Tell every worker that a write to `database` has committed."""
    fd = open_mark(database)
    try:
        os.pwrite(fd, random.getrandbits(64).to_bytes(SIZE, "little"), 0)
    finally:
        os.close(fd)
