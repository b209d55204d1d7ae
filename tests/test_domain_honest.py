"""Properties of the third round's pure rules: the projected change, zeros before a
course existed, and which revision a vintage reads (and that the database reads the same)."""

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.db.models import Figure as FigureModel
from app.db.models import FigureRevision, Source
from app.db.session import make_sessionmaker
from app.domain.derive import (
    LINEAR,
    MIXED,
    NO_PROJECTION,
    SEASONAL,
    Month,
    Projection,
    combined,
    project,
    window,
)
from app.domain.periods import Figure, Period, months_label, year_months_label
from app.domain.stats import coverage_label, percent, percent_change
from app.domain.vintages import Revision, Vintage, counts_from, in_force, passes
from app.services import history

# --- projected change ----------------------------------------------------------------


@given(st.integers(0, 10_000_000), st.integers(0, 10_000_000), st.integers(1, 11))
def test_a_linear_projection_is_the_pace_of_the_months_covered(
    from_total: int, to_total: int, months: int
) -> None:
    p = project(to_total, frozenset(range(1, months + 1)), {})
    assert (p.exact, p.method, p.basis) == (Fraction(to_total * 12, months), LINEAR, [])
    pct = percent_change(from_total, p.exact)
    if from_total == 0:
        assert pct is None
    else:
        assert pct is not None
        exact = (Fraction(to_total * 12, months) - from_total) * 100 / from_total
        assert abs(Fraction(str(pct)) - exact) <= Fraction(5, 100)


@given(st.integers(0, 10_000_000), st.integers(1, 10_000_000))
def test_without_a_projection_the_change_is_the_plain_one(to_total: int, from_total: int) -> None:
    assert percent_change(from_total, Fraction(to_total)) == percent(
        to_total - from_total, from_total
    )
    assert percent_change(from_total, None) is None
    assert project(to_total, frozenset(range(1, 13)), {}) == NO_PROJECTION


@given(st.integers(1, 1000), st.integers(1, 1000), st.integers(0, 5000))
def test_a_seasonal_projection_scales_by_the_earlier_years_season(
    same: int, rest: int, to_total: int
) -> None:
    jan_aug = Figure(Period(2018, 1, 8), same)
    year = Figure(Period(2018, 1, 12), same + rest)
    p = project(to_total, frozenset(range(1, 9)), {2018: (same + rest, [year, jan_aug])})
    assert (p.exact, p.method, p.basis) == (
        Fraction(to_total * (same + rest), same),
        SEASONAL,
        [2018],
    )


projections = st.one_of(
    st.just(NO_PROJECTION),
    st.builds(
        Projection,
        st.fractions(min_value=0, max_value=10**7),
        st.sampled_from([LINEAR, SEASONAL]),
        st.lists(st.integers(2000, 2020), max_size=3),
    ),
)


@given(st.lists(st.tuples(st.integers(0, 10**6), projections), min_size=1, max_size=20))
def test_projections_combine_as_their_sum_with_the_method_said(
    parts: list[tuple[int, Projection]],
) -> None:
    together = combined(parts)
    projected = [p for _, p in parts if p.exact is not None]
    if not projected:
        assert together == NO_PROJECTION
        return
    # A course with no projection (a complete year) counts as its observed total.
    assert together.exact == sum(p.exact if p.exact is not None else t for t, p in parts)
    methods = {p.method for p in projected}
    assert together.method == (methods.pop() if len(methods) == 1 else MIXED)
    assert together.basis == sorted({y for p in projected for y in p.basis})


# --- zeros before a course existed ------------------------------------------------------


@given(
    st.integers(1995, 2030),
    st.integers(1, 6),
    st.integers(2000, 2020),
    st.lists(st.integers(0, 1000), min_size=0, max_size=4),
)
def test_years_before_a_course_existed_add_zero_and_are_never_a_gap(
    end_year: int, years: int, first: int, totals: list[int]
) -> None:
    """Whole years ending in December: the window's total is the whole-year figures
    from `first` on, and zero before; unavailable only for a year from `first` on
    without a figure, and the reason names only such years."""
    figures = {first + i: [Figure(Period.whole_year(first + i), t)] for i, t in enumerate(totals)}
    found = window(figures, Month.of(end_year, 12), 12 * years, first)
    covered = range(end_year - years + 1, end_year + 1)
    gaps = [y for y in covered if y >= first and y not in figures]
    assert found.available == (not gaps)
    if gaps:
        assert found.reason is not None
        assert all(f"{y} has no" in found.reason for y in gaps)
        assert not any(f"{y} has no" in found.reason for y in covered if y < first)
        return
    assert found.total == sum(figures[y][0].completions for y in covered if y >= first)
    for part in found.parts:
        if part.year < first:
            assert (part.total, part.derived) == (0, False)
            assert part.derivation == f"zero: the course was first offered in {first}"


def test_a_window_wholly_before_the_course_is_zero() -> None:
    found = window({}, Month.of(2017, 8), 12, 2018)
    assert (found.total, found.reason) == (0, None)
    assert [p.label for p in found.parts] == ["Sep–Dec 2016", "Jan–Aug 2017"]


# --- vintage selection --------------------------------------------------------------------

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@st.composite
def histories(draw: st.DrawFn) -> list[Revision]:
    """A figure's revisions in order: each recorded after the last, citing a source
    published on some day (or no day); maybe ending with a deletion."""
    count = draw(st.integers(1, 6))
    moment, found = T0, []
    for number in range(1, count + 1):
        moment += timedelta(minutes=draw(st.integers(1, 60 * 24 * 40)))
        published = draw(st.one_of(st.none(), st.dates(date(2018, 1, 1), date(2026, 12, 31))))
        found.append(Revision(number, moment, published))
    if draw(st.booleans()):
        moment += timedelta(minutes=draw(st.integers(1, 60 * 24 * 40)))
        found.append(Revision(count + 1, moment, None, deleted=True))
    return found


moments = st.datetimes(datetime(2025, 12, 1), datetime(2027, 6, 1), timezones=st.just(UTC))
days = st.dates(date(2018, 1, 1), date(2027, 6, 1))


@given(histories(), st.one_of(st.none(), moments), st.one_of(st.none(), days))
def test_the_revision_in_force_is_the_latest_known_on_both_axes(
    revisions: list[Revision], as_of: datetime | None, published_by: date | None
) -> None:
    at = Vintage(as_of, published_by)
    chosen = in_force(revisions, at)
    known = [r for r in revisions if passes(r, at)]
    latest = max(known, key=lambda r: r.revision, default=None)
    assert chosen == (None if latest is None or latest.deleted else latest)
    if chosen is not None and as_of is not None:
        assert chosen.recorded_at <= as_of
    if chosen is not None and published_by is not None:
        assert counts_from(chosen.published_on, chosen.recorded_at, False) <= published_by


@given(histories())
def test_neither_axis_reads_the_figure_as_it_stands(revisions: list[Revision]) -> None:
    last = revisions[-1]
    assert in_force(revisions, Vintage()) == (None if last.deleted else last)


@given(histories(), days, days)
def test_a_later_vintage_never_forgets_a_publication(
    revisions: list[Revision], a: date, b: date
) -> None:
    early, late = sorted((a, b))
    seen_early = {r.revision for r in revisions if passes(r, Vintage(published_by=early))}
    seen_late = {r.revision for r in revisions if passes(r, Vintage(published_by=late))}
    assert seen_early <= seen_late


def test_a_deletion_and_an_undated_source_count_from_the_day_recorded() -> None:
    recorded = datetime(2026, 12, 4, 23, 30, tzinfo=UTC)
    assert counts_from(date(2019, 9, 16), recorded, deleted=False) == date(2019, 9, 16)
    assert counts_from(None, recorded, deleted=False) == date(2026, 12, 4)
    assert counts_from(date(2019, 9, 16), recorded, deleted=True) == date(2026, 12, 4)


# The SQL of `app.services.history.figure_view` against the rule, on a real database:
# a figure's history stored as the write path stores it (revision rows once revised,
# the figure's row while it lives), then read on both axes.


def _store(session: Session, revisions: list[Revision]) -> int:
    figure_id = 900_000
    sources = []
    for r in revisions:
        source = Source(title=f"s{r.revision}", publisher="p", published_on=r.published_on)
        session.add(source)
        sources.append(source)
    session.flush()
    place = {"course_id": 1, "year": 2017, "start_month": 1, "end_month": 1, "status": "final"}
    last, last_source = revisions[-1], sources[-1]
    if len(revisions) > 1 or last.deleted:
        for r, source in zip(revisions, sources, strict=True):
            action = "delete" if r.deleted else ("create" if r.revision == 1 else "update")
            completions = (r.revision - 1 if r.deleted else r.revision) * 10
            session.add(
                FigureRevision(
                    figure_id=figure_id,
                    revision=r.revision,
                    action=action,
                    completions=completions,
                    source_id=source.id,
                    recorded_at=r.recorded_at,
                    **place,
                )
            )
    if not last.deleted:
        session.add(
            FigureModel(
                id=figure_id,
                completions=last.revision * 10,
                source_id=last_source.id,
                revision=last.revision,
                recorded_at=last.recorded_at,
                **place,
            )
        )
    session.flush()
    return figure_id


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(histories(), st.one_of(st.none(), moments), st.one_of(st.none(), days))
def test_the_database_reads_the_revision_the_rule_chooses(
    engine: Engine,
    revisions: list[Revision],
    as_of: datetime | None,
    published_by: date | None,
) -> None:
    at = Vintage(as_of, published_by)
    with make_sessionmaker(engine, write=True)() as session:
        figure_id = _store(session, revisions)
        view = history.figure_view(at.as_of is not None, at.published_by is not None)
        query = select(view.c.revision, view.c.completions).where(view.c.id == figure_id)
        found = session.execute(query, history.params(at)).all()
        session.rollback()
    chosen = in_force(revisions, at)
    assert found == ([] if chosen is None else [(chosen.revision, chosen.revision * 10)])


@given(st.lists(st.frozensets(st.integers(1, 12), min_size=1), min_size=1, max_size=6))
def test_a_coverage_label_names_only_months_every_course_covers(
    months: list[frozenset[int]],
) -> None:
    label = coverage_label(2019, months)
    if len(set(months)) == 1:
        assert label == year_months_label(2019, months[0])
        return
    assert label.startswith("2019 so far (")  # never a span some course goes beyond
    common = frozenset.intersection(*months)
    if common:
        assert label == f"2019 so far ({months_label(common)} for every course, more for some)"
