"""Periods (contiguous months of one year), rules R2–R5 and year totals (R5, R6)."""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any, NamedTuple

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
ALL_MONTHS = frozenset(range(1, 13))
MIN_YEAR, MAX_YEAR = 1900, 9999

_ISO_MONTH = r"(\d{4})-(\d{2})"
_INTERVAL = re.compile(rf"^{_ISO_MONTH}/{_ISO_MONTH}$")
_MONTH = re.compile(rf"^{_ISO_MONTH}$")
_YEAR = re.compile(r"^(\d{4})$")


class PeriodError(ValueError):
    """A period that cannot exist (month out of range, start after end, two years)."""


class _Months(NamedTuple):
    year: int
    start_month: int
    end_month: int


class Period(_Months):
    """A contiguous run of months inside one calendar year.

    A tuple underneath, so hashing, equality and ordering (year, start, end) run
    at C speed: imports key dictionaries by periods a million times.
    """

    __slots__ = ()

    def __new__(cls, year: int, start_month: int, end_month: int) -> "Period":
        """Refuse periods that cannot exist."""
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise PeriodError(f"year must be between {MIN_YEAR} and {MAX_YEAR}")
        if not (1 <= start_month <= 12 and 1 <= end_month <= 12):
            raise PeriodError("months must be between 1 and 12")
        if start_month > end_month:
            raise PeriodError("start_month must not be after end_month")
        return super().__new__(cls, year, start_month, end_month)

    @classmethod
    def of(cls, row: Any) -> "Period":
        """The period of anything with `year`, `start_month` and `end_month` (a row)."""
        return cls(row.year, row.start_month, row.end_month)

    def __composite_values__(self) -> tuple[int, int, int]:
        """Its columns, for the `period` of a stored figure (a SQLAlchemy composite)."""
        return (self.year, self.start_month, self.end_month)

    @classmethod
    def whole_year(cls, year: int) -> "Period":
        """January to December of `year`."""
        return cls(year, 1, 12)

    @classmethod
    def parse(cls, text: str) -> "Period":
        """Read `2019-01/2019-08`, `2019-03` (one month) or `2019` (whole year)."""
        return _parse(text)

    @classmethod
    def _parse(cls, text: str) -> "Period":
        text = text.strip()
        if m := _INTERVAL.match(text):
            y1, m1, y2, m2 = (int(g) for g in m.groups())
            if y1 != y2:
                raise PeriodError("a period must lie inside one calendar year")
            return cls(y1, m1, m2)
        if m := _MONTH.match(text):
            return cls(int(m[1]), int(m[2]), int(m[2]))
        if m := _YEAR.match(text):
            return cls.whole_year(int(m[1]))
        raise PeriodError("expected YYYY, YYYY-MM or YYYY-MM/YYYY-MM")

    @property
    def months(self) -> frozenset[int]:
        """The months (1–12) the period covers."""
        return frozenset(range(self.start_month, self.end_month + 1))

    @property
    def iso(self) -> str:
        """ISO 8601 interval, e.g. `2019-01/2019-08`."""
        return f"{self.year}-{self.start_month:02d}/{self.year}-{self.end_month:02d}"

    @property
    def label(self) -> str:
        """For people: `2018`, `Jan–Aug 2019`, `Mar 2019`."""
        return year_months_label(self.year, self.months)

    def contains(self, other: "Period") -> bool:
        """True when `other` lies within this period (equal periods contain each other)."""
        return (
            self.year == other.year
            and self.start_month <= other.start_month
            and other.end_month <= self.end_month
        )

    def overlaps(self, other: "Period") -> bool:
        """True when the two periods share at least one month."""
        return (
            self.year == other.year
            and self.start_month <= other.end_month
            and other.start_month <= self.end_month
        )

    def partially_overlaps(self, other: "Period") -> bool:
        """R2: sharing months without one containing the other."""
        return self.overlaps(other) and not (self.contains(other) or other.contains(self))

    def ends_after(self, today: date) -> bool:
        """R4: the period ends after the month `today` falls in."""
        return (self.year, self.end_month) > (today.year, today.month)


@lru_cache(maxsize=4096)
def _parse(text: str) -> Period:
    """Parsing is pure and imports repeat the same few hundred periods: remember them."""
    return Period._parse(text)


def year_months_label(year: int, months: frozenset[int]) -> str:
    """Some months of a year for people: `2018` for all of it, `Jan–Aug 2019`,
    `Jan–Mar, Jun 2019`."""
    return str(year) if months == ALL_MONTHS else f"{months_label(months)} {year}"


def months_label(months: Iterable[int]) -> str:
    """`{1..8}` -> `Jan–Aug`; `{3}` -> `Mar`; gaps give runs: `Jan–Mar, Jun`."""
    return _months_label(frozenset(months))


@lru_cache(maxsize=4096)
def _months_label(months: frozenset[int]) -> str:
    runs: list[list[int]] = []
    for m in sorted(months):
        if runs and runs[-1][-1] == m - 1:
            runs[-1].append(m)
        else:
            runs.append([m])
    return ", ".join(
        MONTHS[r[0] - 1] if len(r) == 1 else f"{MONTHS[r[0] - 1]}–{MONTHS[r[-1] - 1]}" for r in runs
    )


def months_mask(months: Iterable[int]) -> int:
    """A set of months as a 12-bit mask: bit m-1 for month m (whole year: 4095)."""
    return sum(1 << (m - 1) for m in set(months))


@lru_cache(maxsize=4096)
def mask_months(mask: int) -> frozenset[int]:
    """The months a 12-bit mask holds (4,096 possible masks: each is made once)."""
    return frozenset(m for m in range(1, 13) if mask >> (m - 1) & 1)


@dataclass(frozen=True, slots=True)  # a million of them in a large import
class Figure:
    """A period's completions, as the rules see it; `ref` names it in messages."""

    period: Period
    completions: int
    ref: str = ""


class YearTotal(NamedTuple):
    """A year's total (R5/R6) and the months it covers.

    `months` are the months covered by every part of the total; `months_covered`
    is their count for one course and, by R6, the smallest count across courses.
    A named tuple: a statistic over every course makes thousands, and a frozen
    dataclass is four times slower to make.
    """

    total: int
    months: frozenset[int]
    months_covered: int
    complete: bool

    @classmethod
    def over(cls, total: int, months: frozenset[int]) -> "YearTotal":
        """A single course's total covering `months`."""
        return cls(total, months, len(months), months == ALL_MONTHS)


def maximal(figures: Iterable[Figure]) -> list[Figure]:
    """Figures whose period lies inside no other, different period (R5).

    One sorted sweep: ordered by start and then longest first, a period is inside
    an earlier, different one exactly when an earlier one reaches its end month.
    """
    items = sorted(
        figures, key=lambda f: (f.period.year, f.period.start_month, -f.period.end_month)
    )
    found: list[Figure] = []
    reach = 0
    prev: Period | None = None
    for f in items:
        p = f.period
        if prev is None or p.year != prev.year:
            reach = 0
        elif p != prev:
            reach = max(reach, prev.end_month)
        if reach < p.end_month:
            found.append(f)
        prev = p
    return found


def year_total(figures: Iterable[Figure]) -> YearTotal:
    """R5: one course's total for one year, summing maximal periods only."""
    top = maximal(figures)
    months: frozenset[int] = frozenset().union(*(f.period.months for f in top))
    return YearTotal.over(sum(f.completions for f in top), months)


def combine(totals: Sequence[YearTotal]) -> YearTotal:
    """R6: the all-course total: sums, the smallest coverage, complete only if all are."""
    if not totals:
        return YearTotal.over(0, frozenset())
    return YearTotal(
        total=sum(t.total for t in totals),
        months=frozenset.intersection(*(t.months for t in totals)),
        months_covered=min(t.months_covered for t in totals),
        complete=all(t.complete for t in totals),
    )


def partial_overlap(new: Period, existing: Iterable[Figure]) -> Figure | None:
    """R2: the first stored figure whose period partially overlaps `new`, if any."""
    return next((f for f in existing if f.period.partially_overlaps(new)), None)


def nesting_violations(figures: Sequence[Figure]) -> list[tuple[Figure, list[Figure]]]:
    """R3: containers whose nested figures add up to more than the container.

    Nested parts are the maximal figures strictly inside the container, so a part
    nested in another part is not counted twice.
    """
    found = []
    for container in figures:
        inside = [
            f
            for f in figures
            if f is not container
            and container.period.contains(f.period)
            and f.period != container.period
        ]
        parts = maximal(inside)
        if parts and sum(p.completions for p in parts) > container.completions:
            found.append((container, parts))
    return found


def consistent(figures: Iterable[Figure]) -> bool:
    """R1–R3 for a whole course-year at once, in one sorted sweep: no two figures share
    a period, periods are disjoint or nested, and no figure holds more than itself.

    `partial_overlap` and `nesting_violations` say which figure is at fault; this only
    says whether any is, fast enough to check a million imported figures.
    """
    items = sorted(figures, key=lambda f: (f.period.start_month, -f.period.end_month))
    stack: list[list[int]] = []  # [end_month, completions, sum of direct parts]
    previous: Period | None = None
    for f in items:
        p = f.period
        if p == previous:
            return False
        previous = p
        while stack and stack[-1][0] < p.start_month:
            _, value, parts = stack.pop()
            if parts > value:
                return False
        if stack:
            if stack[-1][0] < p.end_month:
                return False
            stack[-1][2] += f.completions
        stack.append([p.end_month, f.completions, 0])
    return all(parts <= value for _, value, parts in stack)


def sweep_key(group: int, period: Period) -> int:
    """A figure's place in `sweep`: its course-year `group` (any int ≥ 0), then start
    month, longest first; the year is the caller's to put into `group`."""
    return group << 8 | period.start_month << 4 | 15 - period.end_month


def sweep(figures: Iterable[tuple[int, int]]) -> dict[int, YearTotal | None]:
    """R1–R3 and the R5 total of many course-years at once: `figures` are
    (`sweep_key`, completions) pairs in key order. Each group gets its total, or None
    when `consistent` would refuse it (the same stack walk, on integers, so that a
    million figures are checked without a Figure apiece)."""
    found: dict[int, YearTotal | None] = {}
    group = -1
    stack: list[list[int]] = []  # [end_month, completions, sum of direct parts]
    total = mask = previous = 0
    sound = True
    for key, value in figures:
        if key >> 8 != group:
            if group >= 0:
                found[group] = _closed(stack, total, mask) if sound else None
            group, stack, total, mask, previous, sound = key >> 8, [], 0, 0, -1, True
        elif key == previous or not sound:
            sound = False  # R1: a period twice (or already refused: skip to the next group)
            continue
        previous = key
        start, end = key >> 4 & 15, 15 - (key & 15)
        while stack and stack[-1][0] < start:
            _, whole, parts = stack.pop()
            if parts > whole:
                sound = False
        if stack:
            if stack[-1][0] < end:
                sound = False  # R2: starts inside the open figure and ends after it
            stack[-1][2] += value
        else:  # inside no other figure: one of the maximal periods the total sums
            total += value
            mask |= (1 << end) - (1 << (start - 1))
        stack.append([end, value, 0])
    if group >= 0:
        found[group] = _closed(stack, total, mask) if sound else None
    return found


def _closed(stack: list[list[int]], total: int, mask: int) -> YearTotal | None:
    if any(parts > whole for _, whole, parts in stack):
        return None  # R3: parts add up to more than their whole
    return YearTotal.over(total, mask_months(mask))
