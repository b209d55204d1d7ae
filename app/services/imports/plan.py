"""Checking an import: R1–R5 for every course-year in one sorted sweep, row by row
only where stored figures or a broken rule ask for it."""

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import islice
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import (
    FIGURE_VALUES,
    Course,
    Source,
)
from app.db.session import lock_course
from app.domain import periods
from app.domain.rules import check_figure
from app.errors import Invalid
from app.services import totals
from app.services.imports.rows import MAX_ERRORS, Columns, Mode, Row, row_error

# --- checking ------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckOptions:
    """How an import is checked: its mode, whether it is a dry run, how to ask for upsert."""

    mode: Mode
    dry_run: bool
    upsert_hint: str


@dataclass
class Plan:
    """What the file does to one course-year."""

    stored: bool = False
    creates: list[Row] = field(default_factory=list)
    revises: list[tuple[Any, Row]] = field(default_factory=list)
    unchanged: int = 0
    figures: dict[periods.Period, periods.Figure] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    total: periods.YearTotal | None = None  # once checked, instead of `figures`

    def settle(self) -> "Plan":
        """Checked and sound: keep the course-year's total, let go of its figures (a
        million rows' worth of them would otherwise stay until the import is stored)."""
        if not self.errors:
            self.total = periods.year_total(self.figures.values())
            self.figures = {}
        return self


def row_values(r: Row) -> dict[str, Any]:
    return {k: getattr(r, k) for k in FIGURE_VALUES}


def _plan(
    course: Course, stored: list[Any], rows: list[Row], check: CheckOptions, today: date
) -> Plan:
    """Creates and revisions for one course-year, or the errors of its bad rows."""
    plan = Plan(stored=bool(stored))
    existing = {periods.Period.of(s): s for s in stored}
    for p, s in existing.items():
        plan.figures[p] = periods.Figure(p, s.completions, f"figure {s.id}")
    seen: dict[periods.Period, int] = {}
    for r in rows:
        first = seen.setdefault(r.period, r.number)
        if first != r.number:
            plan.errors.append(
                row_error(r.number, "period", f"R1: repeats row {first} ({r.period.label})")
            )
            continue
        old = existing.get(r.period)
        if old is not None and check.mode == "create":
            plan.errors.append(
                row_error(
                    r.number,
                    "period",
                    f"R1: {course.slug} already has figure {old.id} for {r.period.label}; "
                    f"use {check.upsert_hint} to revise it",
                )
            )
            continue
        if old is not None and all(getattr(old, k) == v for k, v in row_values(r).items()):
            plan.unchanged += 1
            continue
        first_year = course.first_offered_year
        if r.period.ends_after(today) or (first_year is not None and r.period.year < first_year):
            plan.errors += _row_checks(course, plan.figures, r, today)
            continue
        plan.figures[r.period] = periods.Figure(r.period, r.completions, f"row {r.number}")
        if old is None:
            plan.creates.append(r)
        else:
            plan.revises.append((old, r))
    if plan.errors:
        return plan
    if periods.consistent(plan.figures.values()):
        return plan.settle()
    # Some row breaks R2 or R3: replay the rows one by one to name the culprits.
    plan.figures = {p: f for p, f in plan.figures.items() if p in existing}
    for r in plan.creates + [r for _, r in plan.revises]:
        problems = _row_checks(course, plan.figures, r, today)
        if problems:
            plan.errors += problems
        else:
            plan.figures[r.period] = periods.Figure(r.period, r.completions, f"row {r.number}")
    return plan.settle()


def _row_checks(
    course: Course,
    figures: dict[periods.Period, periods.Figure],
    r: Row,
    today: date,
) -> list[dict[str, Any]]:
    others = [f for p, f in figures.items() if p != r.period]
    new = periods.Figure(r.period, r.completions, f"row {r.number}")
    return [
        row_error(r.number, v.field, f"{v.rule}: {v.message}")
        for v in check_figure(
            new,
            others,
            course=course.slug,
            first_offered_year=course.first_offered_year,
            today=today,
        )
    ]


YEAR_BITS = 14  # a sweep group is course id << 14 | year (years end at 9999)
COURSE_SHIFT = YEAR_BITS + 8  # a row's sweep key: its group, then `periods.sweep_key`


def key_of(group: int) -> totals.Key:
    return group >> YEAR_BITS, group & (1 << YEAR_BITS) - 1


@dataclass
class Checked:
    """An import checked: each row's sweep key (course, year, period; -1 for a row
    refused), the new totals of the course-years it changes, and the course-years
    checked row by row (stored figures to compare with, or a rule broken)."""

    columns: Columns
    keys: list[int]
    new_totals: dict[totals.Key, periods.YearTotal]
    stale: list[totals.Key]
    plans: dict[int, Plan]
    creates: int


def check_all(
    session: Session, columns: Columns, errors: list[dict[str, Any]], check: CheckOptions
) -> Checked:
    """Every rule over the whole file at once: courses and sources looked up once each,
    R1–R3 and the totals in one sorted sweep (`periods.sweep`); only a course-year
    with stored figures, a rule broken or a period R4 refuses goes row by row
    (`_plan`), for the revisions and the messages that name each bad row."""
    slugs = set(columns.course)
    courses = (
        {c.slug: c for c in session.scalars(select(Course).where(Course.slug.in_(slugs)))}
        if slugs
        else {}
    )
    for course_id in sorted(c.id for c in courses.values()):
        lock_course(session, course_id)
    source_ids = set(columns.source_id)
    known_sources = set(
        session.scalars(select(Source.id).where(Source.id.in_(source_ids))) if source_ids else ()
    )

    course_ids = {slug: c.id for slug, c in courses.items()}
    # sweep_key with the year as group, then the course above the year's bits
    ranks = {p: periods.sweep_key(p.year, p) for p in set(columns.period)}
    keys = [
        -1 if cid is None or source not in known_sources else cid << COURSE_SHIFT | ranks[p]
        for cid, p, source in zip(
            map(course_ids.get, columns.course), columns.period, columns.source_id, strict=True
        )
    ]
    if -1 in keys:
        for i in (i for i, k in enumerate(keys) if k < 0):
            r = columns.row(i)
            if r.course not in courses:
                errors.append(row_error(r.number, "course", f"no course '{r.course}'"))
            else:
                errors.append(row_error(r.number, "source_id", f"no source {r.source_id}"))

    pairs = sorted(zip(keys, columns.completions, strict=True))
    swept = periods.sweep(islice(pairs, bisect_left(pairs, (0,)), None))
    del pairs
    by_id = {c.id: c for c in courses.values()}
    stored = totals.stored(session, map(key_of, swept))
    today = datetime.now(UTC).date()
    slow = {g for g, total in swept.items() if total is None or key_of(g) in stored}
    for g in swept:
        course_id, year = key_of(g)
        first_year = by_id[course_id].first_offered_year
        if first_year is not None and year < first_year:
            slow.add(g)
    if late := {p for p in ranks if p.ends_after(today)}:
        slow |= {k >> 8 for k, p in zip(keys, columns.period, strict=True) if k >= 0 and p in late}

    slow_rows: dict[int, list[Row]] = defaultdict(list)
    if slow:
        for i, k in enumerate(keys):
            if k >= 0 and k >> 8 in slow:
                slow_rows[k >> 8].append(columns.row(i))
    plans = {
        g: _plan(by_id[key_of(g)[0]], stored.get(key_of(g), []), group_rows, check, today)
        for g, group_rows in slow_rows.items()
    }
    for plan in plans.values():
        errors += plan.errors
    new_totals = {
        key_of(g): total for g, total in swept.items() if g not in slow and total is not None
    }
    for g, plan in plans.items():
        if plan.total is not None and (plan.creates or plan.revises):
            new_totals[key_of(g)] = plan.total
    fast_rows = len(keys) - keys.count(-1) - sum(map(len, slow_rows.values()))
    return Checked(
        columns,
        keys,
        new_totals,
        stale=[k for k in new_totals if k in stored],
        plans=plans,
        creates=fast_rows + sum(len(p.creates) for p in plans.values()),
    )


def refusal(errors: list[dict[str, Any]], rows: int, *, dry_run: bool) -> Invalid:
    """The 422 for an import with bad rows: the first `MAX_ERRORS` errors and the count."""
    errors.sort(key=lambda e: e["row"])
    bad = len({e["row"] for e in errors})
    shown = errors[:MAX_ERRORS]
    more = (
        f" The first {MAX_ERRORS:,} of {len(errors):,} errors are listed."
        if len(errors) > MAX_ERRORS
        else ""
    )
    return Invalid(
        f"{bad} of {rows} rows are invalid; nothing was stored.{more}",
        errors=shown,
        error_count=len(errors),
        extra={"dry_run": True} if dry_run else None,
    )
