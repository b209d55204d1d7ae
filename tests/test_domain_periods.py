"""Period rules and year totals, as pure functions, hammered with hypothesis."""

import itertools
import random
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.periods import (
    Figure,
    Period,
    PeriodError,
    YearTotal,
    combine,
    consistent,
    maximal,
    months_label,
    nesting_violations,
    partial_overlap,
    sweep,
    sweep_key,
    year_total,
)
from app.domain.stats import annualize, percent, round_half_away

YEAR = 2019


@pytest.mark.parametrize(
    ("period", "iso", "label"),
    [
        (Period(2018, 1, 12), "2018-01/2018-12", "2018"),
        (Period(2019, 1, 8), "2019-01/2019-08", "Jan–Aug 2019"),
        (Period(2019, 3, 3), "2019-03/2019-03", "Mar 2019"),
        (Period(2019, 9, 12), "2019-09/2019-12", "Sep–Dec 2019"),
    ],
)
def test_iso_interval_and_label(period: Period, iso: str, label: str) -> None:
    assert period.iso == iso
    assert period.label == label
    assert Period.parse(iso) == period


def test_parse_shorthands() -> None:
    assert Period.parse("2018") == Period(2018, 1, 12)
    assert Period.parse("2019-03") == Period(2019, 3, 3)


@pytest.mark.parametrize(
    "text", ["2019-08/2019-01", "2018-11/2019-02", "2019-13", "2019-00/2019-04", "19", "", "x"]
)
def test_impossible_periods_are_refused(text: str) -> None:
    with pytest.raises(PeriodError):
        Period.parse(text)


def test_months_label_runs() -> None:
    assert months_label(range(1, 9)) == "Jan–Aug"
    assert months_label({1, 2, 3, 6}) == "Jan–Mar, Jun"


def test_partial_overlap_is_r2() -> None:
    jan_aug = Figure(Period(YEAR, 1, 8), 10)
    assert partial_overlap(Period(YEAR, 6, 12), [jan_aug]) is jan_aug
    assert partial_overlap(Period(YEAR, 9, 12), [jan_aug]) is None  # disjoint
    assert partial_overlap(Period(YEAR, 2, 5), [jan_aug]) is None  # nested
    assert partial_overlap(Period(YEAR, 1, 12), [jan_aug]) is None  # contains
    assert partial_overlap(Period(YEAR - 1, 6, 12), [jan_aug]) is None  # another year


def test_nesting_violation_names_container_and_parts() -> None:
    whole = Figure(Period(YEAR, 1, 8), 100, "whole")
    a = Figure(Period(YEAR, 1, 4), 60, "a")
    b = Figure(Period(YEAR, 5, 8), 50, "b")
    assert nesting_violations([whole, a]) == []
    assert nesting_violations([whole, a, b]) == [(whole, [a, b])]


def test_future_periods() -> None:
    today = date(2019, 9, 16)
    assert not Period(2019, 1, 8).ends_after(today)
    assert not Period(2019, 9, 9).ends_after(today)
    assert Period(2019, 10, 10).ends_after(today)
    assert Period(2020, 1, 1).ends_after(today)


def test_release_year_totals() -> None:
    y2019 = year_total([Figure(Period(YEAR, 1, 8), 2516)])
    assert (y2019.total, y2019.months_covered, y2019.complete) == (2516, 8, False)
    completed = year_total([Figure(Period(YEAR, 1, 8), 2516), Figure(Period(YEAR, 9, 12), 600)])
    assert (completed.total, completed.months_covered, completed.complete) == (3116, 12, True)
    superseded = year_total([Figure(Period(YEAR, 1, 8), 2516), Figure(Period(YEAR, 1, 12), 3700)])
    assert (superseded.total, superseded.months_covered) == (3700, 12)


def test_combine_takes_smallest_coverage() -> None:
    full = YearTotal.over(10, frozenset(range(1, 13)))
    part = YearTotal.over(5, frozenset(range(1, 9)))
    both = combine([full, part])
    assert (both.total, both.months_covered, both.complete) == (15, 8, False)
    assert combine([full, full]).complete


# --- property-based --------------------------------------------------------------


@st.composite
def partition(draw: st.DrawFn, start: int = 1, end: int = 12) -> list[tuple[int, int]]:
    """Contiguous blocks covering start..end."""
    months = list(range(start + 1, end + 1))
    cuts = sorted(draw(st.sets(st.sampled_from(months), max_size=len(months))) if months else [])
    bounds = [start, *cuts, end + 1]
    return [(a, b - 1) for a, b in itertools.pairwise(bounds)]


@st.composite
def laminar_figures(draw: st.DrawFn, depth: int = 2) -> list[Figure]:
    """Figures obeying R2 (disjoint or nested) and R3 (parts never exceed the whole)."""

    def build(start: int, end: int, budget: int | None, level: int) -> list[Figure]:
        out: list[Figure] = []
        for a, b in draw(partition(start, end)):
            if not draw(st.booleans()):
                continue
            value = draw(st.integers(0, budget if budget is not None else 10_000))
            if budget is not None:
                budget -= value
            out.append(Figure(Period(YEAR, a, b), value))
            if level > 0 and b > a and draw(st.booleans()):
                inner = [f for f in build(a, b, value, level - 1) if f.period != Period(YEAR, a, b)]
                out += inner
        return out

    return build(1, 12, None, depth)


periods_any = st.builds(
    lambda y, a, b: Period(y, min(a, b), max(a, b)),
    st.sampled_from([YEAR - 1, YEAR]),
    st.integers(1, 12),
    st.integers(1, 12),
)


@given(st.lists(st.builds(Figure, periods_any, st.integers(0, 100)), max_size=30))
def test_maximal_matches_its_definition_on_any_set(figures: list[Figure]) -> None:
    expected = [
        f
        for f in figures
        if not any(g.period != f.period and g.period.contains(f.period) for g in figures)
    ]
    assert sorted(map(id, maximal(figures))) == sorted(map(id, expected))


@given(laminar_figures())
def test_generated_sets_obey_r2_and_r3(figures: list[Figure]) -> None:
    for f in figures:
        assert partial_overlap(f.period, figures) is None
    assert nesting_violations(figures) == []


@given(laminar_figures(), st.data())
def test_adding_a_nested_figure_never_changes_the_total(
    figures: list[Figure], data: st.DataObject
) -> None:
    containers = [f for f in figures if f.period.start_month < f.period.end_month]
    if not containers:
        return
    outer = data.draw(st.sampled_from(containers))
    start = data.draw(st.integers(outer.period.start_month, outer.period.end_month))
    end = data.draw(st.integers(start, outer.period.end_month))
    inner = Period(YEAR, start, end)
    if inner == outer.period or any(f.period == inner for f in figures):
        return
    if partial_overlap(inner, figures) is not None:
        return
    before = year_total(figures)
    after = year_total([*figures, Figure(inner, data.draw(st.integers(0, outer.completions)))])
    assert (after.total, after.months) == (before.total, before.months)


@given(partition(), st.lists(st.integers(0, 10_000), min_size=12, max_size=12))
def test_disjoint_figures_add_up(blocks: list[tuple[int, int]], values: list[int]) -> None:
    figures = [Figure(Period(YEAR, a, b), v) for (a, b), v in zip(blocks, values, strict=False)]
    total = year_total(figures)
    assert total.total == sum(f.completions for f in figures)
    assert total.months_covered == sum(b - a + 1 for a, b in blocks)
    assert total.complete


@given(laminar_figures())
def test_year_total_never_exceeds_the_sum_of_all_figures(figures: list[Figure]) -> None:
    assert year_total(figures).total <= sum(f.completions for f in figures)


@given(laminar_figures())
def test_complete_iff_maximal_periods_cover_twelve_months(figures: list[Figure]) -> None:
    covered = set().union(*(f.period.months for f in maximal(figures)))
    total = year_total(figures)
    assert total.complete == (covered == set(range(1, 13)))
    assert total.months_covered == len(covered)


@given(st.integers(-(10**9), 10**9), st.integers(1, 10**6))
def test_rounding_is_half_away_from_zero(numerator: int, denominator: int) -> None:
    value = Fraction(numerator, denominator)
    expected = (Decimal(numerator) / Decimal(denominator)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )
    # An independent oracle: halves in tenths are (2k+1)/20, exact in Decimal, and any
    # other quotient lies at least 1/(20·denominator) from a half, far above its error.
    assert round_half_away(value) == float(expected)
    assert round_half_away(-value) == -round_half_away(value)


@pytest.mark.parametrize(
    ("value", "rounded"),
    [
        (Fraction(5, 100), 0.1),
        (Fraction(-5, 100), -0.1),
        (Fraction(15, 100), 0.2),
        (Fraction(25, 100), 0.3),
        (Fraction(-25, 100), -0.3),
        (Fraction(249, 100), 2.5),
        (0, 0.0),
    ],
)
def test_rounding_halves(value: Fraction, rounded: float) -> None:
    assert round_half_away(value) == rounded


def test_percent_and_annualize() -> None:
    assert percent(243, 2273) == 10.7
    assert percent(2780, 3950) == 70.4
    assert percent(5, 0) is None
    assert annualize(2516, 8) == 3774.0
    assert annualize(2516, 12) is None
    assert annualize(0, 0) is None


one_year_figure = st.builds(
    lambda a, b, v: Figure(Period(YEAR, min(a, b), max(a, b)), v),
    st.integers(1, 12),
    st.integers(1, 12),
    st.integers(0, 50),
)
one_year_figures = st.lists(one_year_figure, max_size=12)


@given(one_year_figures | laminar_figures())
def test_consistent_agrees_with_the_rule_by_rule_checks(figures: list[Figure]) -> None:
    duplicates = len({f.period for f in figures}) < len(figures)
    overlaps = any(partial_overlap(f.period, figures) is not None for f in figures)
    expected = not duplicates and not overlaps and not nesting_violations(figures)
    assert consistent(figures) == expected


@given(
    st.lists(
        st.lists(one_year_figure, max_size=3) | one_year_figures | laminar_figures(), max_size=4
    ),
    st.randoms(),
)
def test_sweep_agrees_with_consistent_and_year_total(
    groups: list[list[Figure]], rng: random.Random
) -> None:
    """Many course-years swept at once, in any file order: each gets the total
    `year_total` gives, or None exactly when `consistent` refuses it."""
    rows = [(sweep_key(g, f.period), f.completions) for g, fs in enumerate(groups) for f in fs]
    rng.shuffle(rows)
    found = sweep(sorted(rows))
    assert found == {
        g: (year_total(fs) if consistent(fs) else None) for g, fs in enumerate(groups) if fs
    }
