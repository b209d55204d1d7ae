"""Rules R1–R4 for a figure about to be stored, as a pure check."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from app.domain.periods import MONTHS, Figure, nesting_violations, partial_overlap


@dataclass(frozen=True)
class Violation:
    """One broken rule: which, whether it clashes with stored data, the field and why."""

    rule: str
    conflict: bool
    field: str
    message: str


def _name(f: Figure) -> str:
    return f"{f.ref or 'the figure'} ({f.period.label}: {f.completions})"


def check_figure(
    new: Figure,
    others: Sequence[Figure],
    *,
    course: str,
    first_offered_year: int | None,
    today: date,
) -> list[Violation]:
    """What stops `new` joining `others` (the course's other live figures of that year).

    R1 and R2 are clashes with stored data; R3 and R4 are invalid values.
    """
    found: list[Violation] = []
    p = new.period
    if p.ends_after(today):
        found.append(
            Violation(
                "R4",
                False,
                "period",
                f"{p.label} ends after the current month ({MONTHS[today.month - 1]} "
                f"{today.year}); figures are for periods that have ended or are under way.",
            )
        )
    if first_offered_year is not None and p.year < first_offered_year:
        found.append(
            Violation(
                "R4",
                False,
                "year",
                f"{course} was first offered in {first_offered_year}; "
                f"it has no figures for {p.year}.",
            )
        )
    same = next((f for f in others if f.period == p), None)
    if same is not None:
        found.append(
            Violation(
                "R1",
                True,
                "period",
                f"{course} already has a figure for {p.label}: {_name(same)}; "
                "revise it with PUT or PATCH.",
            )
        )
        return found
    clash = partial_overlap(p, others)
    if clash is not None:
        found.append(
            Violation(
                "R2",
                True,
                "period",
                f"{p.label} partly overlaps {_name(clash)} of {course}; periods of one "
                "course and year must be disjoint or nested.",
            )
        )
        return found
    for container, parts in nesting_violations([*others, new]):
        if container is new or any(part is new for part in parts):
            inside = " + ".join(_name(part) for part in parts)
            found.append(
                Violation(
                    "R3",
                    False,
                    "completions",
                    f"Figures inside {_name(container)} of {course} add up to more than it: "
                    f"{inside} = {sum(part.completions for part in parts)}.",
                )
            )
    return found
