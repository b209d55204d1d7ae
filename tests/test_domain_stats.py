"""Properties of the comparison arithmetic: contributions to change, exact derived totals."""

import itertools
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.derive import Month, exact_parts, exact_total, window, window_months
from app.domain.periods import Figure, Period
from app.domain.stats import contributions, percent


@given(
    st.lists(
        st.tuples(st.integers(0, 10_000_000), st.integers(0, 10_000_000)), min_size=1, max_size=40
    )
)
def test_contributions_add_up_to_the_percent_change_within_rounding(
    pairs: list[tuple[int, int]],
) -> None:
    from_total = sum(f for f, _ in pairs)
    changes = [t - f for f, t in pairs]
    parts = contributions(changes, from_total)
    whole = percent(sum(changes), from_total)
    if from_total == 0:
        assert parts == [None] * len(pairs)
        assert whole is None
        return
    assert whole is not None
    assert all(p is not None for p in parts)
    # Each part and the whole are rounded to 0.1 on their own: 0.05 each at most.
    total = sum(Fraction(str(p)) for p in parts if p is not None)
    assert abs(total - Fraction(str(whole))) <= Fraction(5, 100) * (len(parts) + 1)
    exact = [Fraction(c * 100, from_total) for c in changes]
    for p, x in zip(parts, exact, strict=True):
        assert abs(Fraction(str(p)) - x) <= Fraction(5, 100)


# Exact totals derived from nested figures ---------------------------------------------

YEAR = 2018


@st.composite
def laminar_figures(draw: st.DrawFn) -> tuple[list[int], list[Figure]]:
    """True monthly counts and figures over a laminar family of periods (R2), each
    holding exactly the sum of its months: runs of months cut into smaller runs, each
    kept as a figure or not, down to three levels."""
    monthly = draw(st.lists(st.integers(0, 1000), min_size=12, max_size=12))
    periods: list[Period] = []

    def split(start: int, end: int, depth: int) -> None:
        if draw(st.booleans()):
            periods.append(Period(YEAR, start, end))
        if depth == 0 or start == end:
            return
        inner = sorted(draw(st.sets(st.integers(start, end - 1), max_size=3)))
        bounds = [start, *(c + 1 for c in inner), end + 1]
        for a, b in itertools.pairwise(bounds):
            split(a, b - 1, depth - 1)

    split(1, 12, 3)
    figures = [Figure(p, sum(monthly[m - 1] for m in p.months)) for p in set(periods)]
    return monthly, figures


@st.composite
def families_and_months(draw: st.DrawFn) -> tuple[list[int], list[Figure], frozenset[int]]:
    """A family of figures and months to total: any months, or (more often, since random
    months are rarely determined) a figure's months less those of other figures."""
    monthly, figures = draw(laminar_figures())
    any_months = st.frozensets(st.integers(1, 12), min_size=1)
    if figures and draw(st.booleans()):
        plus = draw(st.sampled_from(figures)).period.months
        minus = draw(st.lists(st.sampled_from(figures), max_size=3))
        months = plus - frozenset().union(*(f.period.months for f in minus))
        return monthly, figures, months or draw(any_months)
    return monthly, figures, draw(any_months)


def _span_contains(vectors: list[list[int]], target: list[int]) -> bool:
    """Whether `target` is a rational combination of `vectors` (Gaussian elimination)."""

    def rank(rows: list[list[int]]) -> int:
        m = [[Fraction(x) for x in r] for r in rows]
        r = 0
        for col in range(12):
            pivot = next((i for i in range(r, len(m)) if m[i][col] != 0), None)
            if pivot is None:
                continue
            m[r], m[pivot] = m[pivot], m[r]
            for i in range(len(m)):
                if i != r and m[i][col] != 0:
                    factor = m[i][col] / m[r][col]
                    m[i] = [a - factor * b for a, b in zip(m[i], m[r], strict=True)]
            r += 1
        return r

    return rank(vectors) == rank([*vectors, target])


def _indicator(months: frozenset[int]) -> list[int]:
    return [1 if m in months else 0 for m in range(1, 13)]


@settings(max_examples=400)
@given(families_and_months())
def test_derived_totals_are_exact_and_never_from_overlapping_or_missing_months(
    case: tuple[list[int], list[Figure], frozenset[int]],
) -> None:
    monthly, figures, months = case
    parts = exact_parts(YEAR, figures, months)
    if parts is None:
        # Nothing was made up: no signed sum of the figures covers exactly these months.
        vectors = [_indicator(f.period.months) for f in figures]
        assert not _span_contains(vectors, _indicator(months))
        return
    # The parts cover each wanted month once and nothing else ...
    seen: list[int] = [m for p in parts for m in p.months]
    assert sorted(seen) == sorted(months)
    # ... and so do their signed figures, month by month.
    coverage = [0] * 12
    for p in parts:
        for figure, sign in p.terms:
            for m in figure.period.months:
                coverage[m - 1] += sign
        # Each part, derived or not, is exactly the sum of its months.
        assert p.total == sum(monthly[m - 1] for m in p.months)
        assert p.derived == any(sign < 0 for _, sign in p.terms)
    assert coverage == _indicator(months)
    assert exact_total(YEAR, figures, months) == sum(monthly[m - 1] for m in months)


@settings(max_examples=300)
@given(laminar_figures(), laminar_figures(), st.integers(1, 12), st.integers(1, 24))
def test_a_rolling_window_is_the_exact_sum_of_its_months_or_unavailable(
    first: tuple[list[int], list[Figure]],
    second: tuple[list[int], list[Figure]],
    end_month: int,
    length: int,
) -> None:
    (early, early_figures), (late, late_figures) = first, second
    figures = {
        YEAR: early_figures,
        YEAR + 1: [Figure(Period(YEAR + 1, *f.period[1:]), f.completions) for f in late_figures],
    }
    result = window(figures, Month.of(YEAR + 1, end_month), length)
    wanted = window_months(Month.of(YEAR + 1, end_month), length)
    if result.total is None:
        assert result.reason is not None
        assert result.parts == []
        return
    truth = {YEAR: early, YEAR + 1: late}
    assert result.total == sum(truth[y][m - 1] for y, ms in wanted.items() for m in ms)
    assert {(p.year, m) for p in result.parts for m in p.months} == {
        (y, m) for y, ms in wanted.items() for m in ms
    }
