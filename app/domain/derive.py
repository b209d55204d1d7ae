"""Exact totals over any months from nested figures: never estimated.

A course-year's figures are disjoint or nested (R2), so they form a forest: each
figure's children are the largest figures inside it. The total over a set of months
is determined by the figures, whatever their monthly make-up, exactly when it is a
signed sum of figures. Inside one figure that is either a sum of its children's
exact totals over those months (adding, preferred: figures as given), or the figure
minus its children's exact total over its other months (subtracting: Sep–Dec 2018 =
2018 − Jan–Aug 2018). Trying both at every level finds every total that is
determined: if a set is a signed sum of a figure and what lies inside it, the
figure's coefficient is 0 or 1 on its months no child covers, and 1 leaves the
figure's other months to its children.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from app.domain.periods import ALL_MONTHS, MONTHS, Figure, months_label, year_months_label
from app.domain.stats import round_half_away

Term = tuple[Figure, int]  # a figure and its sign, +1 or -1


@dataclass(frozen=True)
class Part:
    """Some months of one year whose total the figures give: a figure as stored, or a
    figure less what lies inside it (`derived`)."""

    year: int
    months: frozenset[int]
    total: int
    terms: tuple[Term, ...]
    first_offered: int | None = None  # set on a zero before the course was first offered

    @classmethod
    def before_first_offered(cls, year: int, months: frozenset[int], first: int) -> "Part":
        """Months before the course existed: zero completions, exactly, by definition."""
        return cls(year, months, 0, (), first)

    @property
    def derived(self) -> bool:
        """Obtained by subtraction rather than stored."""
        return any(sign < 0 for _, sign in self.terms)

    @property
    def label(self) -> str:
        """For people: `Sep–Dec 2018`, `2018` for a whole year."""
        return year_months_label(self.year, self.months)

    @property
    def period(self) -> str | None:
        """The ISO 8601 interval when the months are contiguous."""
        first, last = min(self.months), max(self.months)
        if last - first + 1 != len(self.months):
            return None
        return f"{self.year}-{first:02d}/{self.year}-{last:02d}"

    @property
    def derivation(self) -> str | None:
        """How a derived part was obtained: `2018 − Jan–Aug 2018`; why a part before the
        course existed is zero."""
        if self.first_offered is not None:
            return f"zero: the course was first offered in {self.first_offered}"
        if not self.derived:
            return None
        text = ""
        for figure, sign in self.terms:
            label = figure.period.label
            text += label if not text else f" {'+' if sign > 0 else '−'} {label}"
        return text


@dataclass
class _Node:
    figure: Figure
    children: list["_Node"] = field(default_factory=list)


def _forest(figures: Iterable[Figure]) -> list[_Node]:
    """Figures of one year (disjoint or nested) as trees, outermost first."""
    roots: list[_Node] = []
    open_: list[_Node] = []
    for f in sorted(figures, key=lambda f: (f.period.start_month, -f.period.end_month)):
        node = _Node(f)
        while open_ and open_[-1].figure.period.end_month < f.period.start_month:
            open_.pop()
        (open_[-1].children if open_ else roots).append(node)
        open_.append(node)
    return roots


def _solve(year: int, months: frozenset[int], nodes: list[_Node]) -> list[Part] | None:
    """Parts giving the exact total over `months` (all inside these trees), or `None`."""
    parts: list[Part] = []
    covered: set[int] = set()
    for node in nodes:
        own = node.figure.period.months
        covered |= own
        want = months & own
        if not want:
            continue
        if want == own:
            parts.append(Part(year, own, node.figure.completions, ((node.figure, 1),)))
            continue
        inner = _solve(year, want, node.children)
        if inner is not None:
            parts.extend(inner)
            continue
        rest = _solve(year, own - want, node.children)
        if rest is None:
            return None
        terms = ((node.figure, 1), *((f, -sign) for p in rest for f, sign in p.terms))
        total = node.figure.completions - sum(p.total for p in rest)
        parts.append(Part(year, want, total, terms))
    return parts if months <= covered else None


def exact_parts(year: int, figures: Iterable[Figure], months: frozenset[int]) -> list[Part] | None:
    """The parts whose totals add up to exactly `months` of `year`, or `None` when the
    figures do not determine that total. No months: no parts."""
    if not months:
        return []
    return _solve(year, months, _forest(figures))


def exact_total(year: int, figures: Iterable[Figure], months: frozenset[int]) -> int | None:
    """The total over exactly `months` of `year`, when the figures determine it."""
    parts = exact_parts(year, figures, months)
    return None if parts is None or not months else sum(p.total for p in parts)


# Rolling windows ----------------------------------------------------------------------


@dataclass(frozen=True)
class Month:
    """A calendar month, counted from year 0 so windows can step across years."""

    index: int

    @classmethod
    def of(cls, year: int, month: int) -> "Month":
        return cls(year * 12 + month - 1)

    @property
    def year(self) -> int:
        return self.index // 12

    @property
    def month(self) -> int:
        return self.index % 12 + 1

    @property
    def iso(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        return f"{MONTHS[self.month - 1]} {self.year}"

    def back(self, months: int) -> "Month":
        return Month(self.index - months)


def window_months(end: Month, months: int) -> dict[int, frozenset[int]]:
    """The months of each year in the `months` months ending with `end`."""
    by_year: dict[int, set[int]] = {}
    for i in range(end.index - months + 1, end.index + 1):
        m = Month(i)
        by_year.setdefault(m.year, set()).add(m.month)
    return {y: frozenset(ms) for y, ms in sorted(by_year.items())}


@dataclass(frozen=True)
class Window:
    """A window's exact total, or why the figures do not give one."""

    total: int | None
    parts: list[Part]
    reason: str | None

    @property
    def available(self) -> bool:
        return self.total is not None


def window(
    figures: Mapping[int, Sequence[Figure]],
    end: Month,
    months: int,
    first_offered: int | None = None,
) -> Window:
    """The total of the `months` months ending with `end`, from a course's figures by
    year, when they determine it exactly: each year's share by `exact_parts`, and zero
    for the years before the course was first offered."""
    parts: list[Part] = []
    missing: list[str] = []
    for year, wanted in window_months(end, months).items():
        if first_offered is not None and year < first_offered:
            parts.append(Part.before_first_offered(year, wanted, first_offered))
            continue
        found = exact_parts(year, figures.get(year, ()), wanted)
        if found is None:
            span = "the whole year" if wanted == ALL_MONTHS else months_label(wanted)
            missing.append(f"{year} has no figure for {span} and none can be derived")
        else:
            parts.extend(found)
    if missing:
        return Window(None, [], "; ".join(missing))
    return Window(sum(p.total for p in parts), parts, None)


# Projections ----------------------------------------------------------------------------

LINEAR, SEASONAL, MIXED = "linear", "seasonal", "mixed"


@dataclass(frozen=True)
class Projection:
    """A partial year projected to twelve months, with how; `exact` unrounded."""

    exact: Fraction | None
    method: str | None
    basis: list[int]

    @property
    def value(self) -> float | None:
        """One decimal, halves away from zero."""
        return None if self.exact is None else round_half_away(self.exact)


NO_PROJECTION = Projection(None, None, [])


def project(
    to_total: int,
    to_months: frozenset[int],
    earlier: Mapping[int, tuple[int, Sequence[Figure]]],
) -> Projection:
    """Project a partial year's total to the full year.

    `earlier` maps complete earlier years to (their R5 total, their figures). Where
    some of them determine the total over exactly `to_months` (given or derived), the
    projection is seasonal: to_total × Σ full-year totals / Σ same-months totals over
    those years; otherwise linear (to_total × 12 / months). None for a complete or
    empty year.
    """
    if not to_months or to_months == ALL_MONTHS:
        return NO_PROJECTION
    basis, full, same = [], 0, 0
    for year in sorted(earlier):
        year_total, figures = earlier[year]
        part = exact_total(year, figures, to_months)
        if part is not None:
            basis.append(year)
            full += year_total
            same += part
    if basis and same > 0:
        return Projection(Fraction(to_total * full, same), SEASONAL, basis)
    return Projection(Fraction(to_total * 12, len(to_months)), LINEAR, [])


def combined(parts: Sequence[tuple[int, Projection]]) -> Projection:
    """The projection of several courses together from each one's (to_total, projection):
    the sum of their projections, a complete course counting its total. None when no
    part is projected (every one complete, or none has figures). The method is the
    parts' one, or `mixed` when some are seasonal and some linear."""
    projected = [p for _, p in parts if p.exact is not None]
    if not projected:
        return NO_PROJECTION
    exact = sum((p.exact if p.exact is not None else Fraction(t) for t, p in parts), Fraction(0))
    methods = {p.method for p in projected}
    method = methods.pop() if len(methods) == 1 else MIXED
    return Projection(exact, method, sorted({y for p in projected for y in p.basis}))
