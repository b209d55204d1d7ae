"""Which revision of a figure an answer reads, on two time axes (docs/decisions.md).

- `as_of` (a moment): what the service had recorded then. A revision counts from the
  moment it was recorded.
- `vintage` (a date): what had been published by then, like ALFRED's real-time
  periods. A revision counts from its source's publication date; one whose source has
  no date, and a deletion (which cites no publication), from the day it was recorded.

Given both, a revision must pass both. The revision in force is the latest (highest
number) that passes; a figure whose revision in force is its deletion is absent.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta


@dataclass(frozen=True)
class Vintage:
    """The revisions an answer reads: recorded by `as_of`, published by `published_by`;
    neither given, the figures as they stand now."""

    as_of: datetime | None = None
    published_by: date | None = None

    @property
    def current(self) -> bool:
        """No time axis asked for: the live figures."""
        return self.as_of is None and self.published_by is None

    @property
    def published_by_end(self) -> datetime | None:
        """The first moment after the `published_by` day (UTC): a revision counted by the
        day it was recorded passes when recorded before it."""
        if self.published_by is None:
            return None
        return datetime.combine(self.published_by + timedelta(days=1), time.min, tzinfo=UTC)

    @property
    def axes(self) -> tuple[bool, bool]:
        """Which time axes it reads on: (`as_of`, `published_by`), a view's shape."""
        return self.as_of is not None, self.published_by is not None

    def describe(self) -> str:
        """For messages: ` as of 2019-09-16T…Z, vintage 2019-09-16`."""
        text = "" if self.as_of is None else f" as of {self.as_of.isoformat()}"
        return text if self.published_by is None else f"{text} (vintage {self.published_by})"


CURRENT = Vintage()


@dataclass(frozen=True)
class Revision:
    """What choosing a revision needs to know of it."""

    revision: int
    recorded_at: datetime
    published_on: date | None  # its source's publication date
    deleted: bool = False


def counts_from(published_on: date | None, recorded_at: datetime, deleted: bool) -> date:
    """The first vintage date a revision appears in: its source's publication date, or
    (no date, or a deletion) the UTC day it was recorded."""
    if published_on is not None and not deleted:
        return published_on
    return recorded_at.astimezone(UTC).date()


def passes(r: Revision, at: Vintage) -> bool:
    """Whether `r` is known on both axes of `at`."""
    if at.as_of is not None and r.recorded_at > at.as_of:
        return False
    return at.published_by is None or (
        counts_from(r.published_on, r.recorded_at, r.deleted) <= at.published_by
    )


def in_force(revisions: Iterable[Revision], at: Vintage) -> Revision | None:
    """A figure's revision in force for `at`: the latest that passes, unless that one is
    its deletion; None when none passes."""
    latest = max((r for r in revisions if passes(r, at)), key=lambda r: r.revision, default=None)
    return None if latest is None or latest.deleted else latest
