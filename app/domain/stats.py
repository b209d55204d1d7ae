"""Comparisons between years, shares of a year's total and records, as plain arithmetic."""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from fractions import Fraction

from app.domain.periods import YearTotal, months_label, year_months_label

ESTIMATE_METHOD = "linear"


def round_half_away(value: Fraction | int, places: int = 1) -> float:
    """Round exactly, halves away from zero: 0.05 -> 0.1, -0.05 -> -0.1."""
    exact = Fraction(value)
    scale: int = 10**places
    # floor(|n/d| × scale + 1/2) in integers: Fraction arithmetic is slow in bulk.
    rounded = (2 * abs(exact.numerator) * scale + exact.denominator) // (2 * exact.denominator)
    return (-rounded if exact < 0 else rounded) / scale


def percent(part: int, whole: int) -> float | None:
    """`part / whole × 100` to one decimal; `None` when `whole` is 0."""
    if whole == 0:
        return None
    return round_half_away(Fraction(part * 100, whole))


def annualize(total: int, months_covered: int) -> float | None:
    """Linear projection to twelve months; `None` for a complete or empty year."""
    if months_covered in (0, 12):
        return None
    return round_half_away(Fraction(total * 12, months_covered))


def percent_change(from_total: int, to_value: Fraction | None) -> float | None:
    """`(to − from) / from × 100` to one decimal, for an exact (possibly projected) `to`;
    `None` without a value or when `from_total` is 0."""
    if to_value is None or from_total == 0:
        return None
    return round_half_away((to_value - from_total) * 100 / from_total)


def is_record(total: int, earlier_totals: Sequence[int]) -> bool | None:
    """Beats every earlier year's total; `None` when there is no earlier year."""
    if not earlier_totals:
        return None
    return total > max(earlier_totals)


@dataclass(frozen=True)
class Change:
    """One row of a comparison between two years."""

    from_total: int
    to_total: int
    from_months: int
    to_months: int
    change: int
    change_pct: float | None
    comparable: bool
    from_same_months_total: int | None
    change_same_months: int | None
    change_same_months_pct: float | None
    comparable_note: str | None
    to_annualized: float | None
    estimate_method: str
    record: bool | None


def _note(
    from_year: int, to_year: int, frm: YearTotal, to: YearTotal, same: int | None
) -> str | None:
    """Why a row is not like for like, or how it was made so."""
    if not to.months:
        return f"{to_year} has no figures"
    if not frm.months:
        return f"{from_year} has no figures"
    span = months_label(to.months)
    if same is not None:
        return f"{to_year} covers {span}; compared like for like with {span} {from_year}"
    return f"{to_year} covers {span}; {from_year} has no {span} figure"


def change_row(
    *,
    from_year: int,
    to_year: int,
    frm: YearTotal,
    to: YearTotal,
    same_months: int | None,
    earlier_totals: Sequence[int],
    comparable: bool | None = None,
) -> Change:
    """Compare two year totals; `same_months` is the `from` total over `to`'s months.

    `comparable` defaults to "both cover the same months"; the all-course row
    passes whether every course row is comparable.
    """
    change = to.total - frm.total
    if comparable is None:
        comparable = bool(to.months) and frm.months == to.months
    return Change(
        from_total=frm.total,
        to_total=to.total,
        from_months=frm.months_covered,
        to_months=to.months_covered,
        change=change,
        change_pct=percent(change, frm.total),
        comparable=comparable,
        from_same_months_total=same_months,
        change_same_months=None if same_months is None else to.total - same_months,
        change_same_months_pct=(
            None if same_months is None else percent(to.total - same_months, same_months)
        ),
        comparable_note=None if comparable else _note(from_year, to_year, frm, to, same_months),
        to_annualized=annualize(to.total, to.months_covered),
        estimate_method=ESTIMATE_METHOD,
        record=is_record(to.total, earlier_totals),
    )


def contributions(changes: Sequence[int], from_total: int) -> list[float | None]:
    """Each part's contribution to the whole's percent change, in percentage points:
    change / the whole's `from` total x 100, each rounded on its own (one decimal,
    halves away from zero), so they add up to the whole's `change_pct` within 0.05
    per part; `None` when the whole started from 0."""
    return [percent(change, from_total) for change in changes]


def _count(n: int) -> str:
    return f"{n:,}"


def _signed_pct(value: float) -> str:
    return f"+{value:.1f}%" if value >= 0 else f"−{-value:.1f}%"


def coverage_label(year: int, months: Collection[frozenset[int]]) -> str:
    """The months of `year` that totals over several courses cover, for people: `2018`,
    `Jan–Aug 2019`; when the courses cover different months, what every course covers
    and that some cover more (`2019 so far (Jan–Aug for every course, more for some)`),
    so that no total is labelled with months it goes beyond."""
    kinds = set(months)
    if len(kinds) <= 1:
        return year_months_label(year, next(iter(kinds), frozenset()))
    common = frozenset.intersection(*kinds)
    if not common:
        return f"{year} so far (the courses cover different months)"
    return f"{year} so far ({months_label(common)} for every course, more for some)"


def headline(
    *,
    from_label: str,
    to_label: str,
    to_year: int,
    row: Change,
    change_projected_pct: float | None,
    to_projected: float | None,
    projection_method: str | None,
    even: bool = True,
    subject: str = "",
) -> str:
    """One plain sentence of a comparison, for a dashboard to print as is: both periods
    with their months, both totals, the change as reported and, for a partial `to` year,
    the change to its projection with the method, then like for like when there is one.
    `even`: every course covers the same months in each year, so the month counts can
    be said; `subject` leads it (which courses, when not all)."""
    lead = f"{subject}: " if subject else ""
    text = (
        f"{lead}{_count(row.to_total)} completions in {to_label} against "
        f"{_count(row.from_total)} in {from_label}"
    )
    months = f" ({row.to_months} months against {row.from_months})" if even else ""
    if row.change_pct is None:
        text += " (no percent change from zero)."
    elif to_projected is None or change_projected_pct is None:
        text += f": {_signed_pct(row.change_pct)}."
    else:
        text += (
            f"{months}: {_signed_pct(row.change_pct)} as reported; projected to a full year "
            f"({projection_method}), {to_year} would be "
            f"{_count(int(round_half_away(Fraction(str(to_projected)), 0)))}, "
            f"{_signed_pct(change_projected_pct)}."
        )
    if row.change_same_months_pct is not None and not row.comparable:
        text += f" Like for like: {_signed_pct(row.change_same_months_pct)} on the same months."
    return text


def sum_known(values: Sequence[int | None]) -> int | None:
    """The sum when every value is known, else `None` (a partial sum would mislead)."""
    if not values or any(v is None for v in values):
        return None
    return sum(v for v in values if v is not None)


@dataclass(frozen=True)
class Share:
    """One part's share of a whole."""

    key: str
    total: int
    share_pct: float | None


def shares(totals: Sequence[tuple[str, int]]) -> list[Share]:
    """Each part's share of the sum, one decimal, largest first (ties by key)."""
    whole = sum(t for _, t in totals)
    ordered = sorted(totals, key=lambda kv: (-kv[1], kv[0]))
    return [Share(key, total, percent(total, whole)) for key, total in ordered]


@dataclass(frozen=True)
class Record:
    """A year whose total beat every earlier year's total."""

    year: int
    total: int
    previous_best: int
    previous_best_year: int


def records(series: Sequence[tuple[int, int]]) -> list[Record]:
    """Record years in a `(year, total)` series (years in any order)."""
    found = []
    best: tuple[int, int] | None = None  # (total, year)
    for year, total in sorted(series):
        if best is not None and total > best[0]:
            found.append(Record(year, total, best[0], best[1]))
        if best is None or total > best[0]:
            best = (total, year)
    return found
