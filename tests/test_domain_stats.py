"""Properties of the comparison arithmetic: contributions to change."""

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

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
