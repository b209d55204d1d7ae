"""Bulk import of figures: every row checked against R1–R5 and the other rows first;
one bad row and nothing is stored. `upsert` revises figures whose period exists."""

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from app.db.base import utcnow
from app.db.models import Course, Figure, FigureRevision, Source
from app.db.session import lock_course
from app.domain import periods
from app.domain.rules import check_figure
from app.errors import Invalid
from app.schemas.writes import FigureIn
from app.services import audit, totals
from app.services.audit import Actor

Mode = Literal["create", "upsert"]
COLUMNS = ("course", "period", "completions", "status", "note", "source_id")
VALUE_FIELDS = ("completions", "status", "note", "source_id")


@dataclass
class ImportReport:
    """What an import stored."""

    rows: int = 0
    created: int = 0
    revised: int = 0
    unchanged: int = 0


@dataclass
class _Row:
    number: int
    course_id: int
    period: periods.Period
    values: dict[str, Any]


@dataclass
class _Group:
    """One course-year: its stored figures and what the file does to them."""

    course: Course
    stored: dict[periods.Period, Any] = field(default_factory=dict)
    figures: dict[periods.Period, periods.Figure] = field(default_factory=dict)
    creates: list[_Row] = field(default_factory=list)
    revises: list[tuple[Any, _Row]] = field(default_factory=list)


def parse_csv(text: str) -> Iterator[dict[str, Any]]:
    """CSV rows as dicts; empty cells are omitted, so they take their defaults."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = reader.fieldnames
        if header is None:
            return
        unknown = [c for c in header if c not in (*COLUMNS, "year", "start_month", "end_month")]
        if unknown:
            raise Invalid(
                f"Unknown CSV columns: {', '.join(unknown)}; expected {', '.join(COLUMNS)}.",
                errors=[{"row": 0, "field": c, "message": "unknown column"} for c in unknown],
            )
        for row in reader:
            yield {k: v for k, v in row.items() if k is not None and v not in ("", None)}
    except csv.Error as exc:
        raise Invalid(
            f"The CSV cannot be read near line {reader.line_num}: {exc}.",
            errors=[{"row": max(reader.line_num - 1, 0), "field": "row", "message": str(exc)}],
        ) from exc


def parse_json(text: str) -> list[Any]:
    """A JSON array of figure objects."""
    try:
        rows = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Invalid(f"The body is not valid JSON: {exc.msg} at line {exc.lineno}.") from exc
    if not isinstance(rows, list):
        raise Invalid("Send a JSON array of figures (or text/csv).")
    return rows


def _error(number: int, field_name: str, message: str) -> dict[str, Any]:
    return {"row": number, "field": field_name, "message": message}


def run(
    session: Session,
    rows: Iterable[Any],
    *,
    actor: Actor,
    mode: Mode = "create",
    max_rows: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Check every row, then store all of them, or none and a 422 listing each bad row."""
    report = ImportReport()
    errors: list[dict[str, Any]] = []
    parsed: list[tuple[int, FigureIn]] = []
    for number, raw in enumerate(rows, start=1):
        report.rows = number
        if max_rows is not None and number > max_rows:
            raise Invalid(f"An import holds at most {max_rows} rows.")
        if progress is not None:
            progress(number)
        if not isinstance(raw, dict):
            errors.append(_error(number, "row", "expected an object with the figure's fields"))
            continue
        try:
            parsed.append((number, FigureIn.model_validate(raw)))
        except ValidationError as exc:
            errors += [
                _error(number, ".".join(map(str, e["loc"])) or "row", e["msg"])
                for e in exc.errors()
            ]

    slugs = {fig.course for _, fig in parsed}
    courses = (
        {c.slug: c for c in session.scalars(select(Course).where(Course.slug.in_(slugs)))}
        if slugs
        else {}
    )
    for course_id in sorted(c.id for c in courses.values()):
        lock_course(session, course_id)
    source_ids = {fig.source_id for _, fig in parsed}
    known_sources = set(
        session.scalars(select(Source.id).where(Source.id.in_(source_ids))) if source_ids else ()
    )

    items: list[_Row] = []
    for number, fig in parsed:
        course = courses.get(fig.course)
        if course is None:
            errors.append(_error(number, "course", f"no course '{fig.course}'"))
            continue
        if fig.source_id not in known_sources:
            errors.append(_error(number, "source_id", f"no source {fig.source_id}"))
            continue
        values = {k: getattr(fig, k) for k in VALUE_FIELDS}
        items.append(_Row(number, course.id, fig.period_value(), values))
    del parsed

    by_id = {c.id: c for c in courses.values()}
    groups: dict[totals.Key, _Group] = {}
    for key in {(r.course_id, r.period.year) for r in items}:
        groups[key] = _Group(by_id[key[0]])
    for key, stored_rows in totals.stored(session, groups).items():
        g = groups[key]
        for row in stored_rows:
            p = periods.Period(row.year, row.start_month, row.end_month)
            g.stored[p] = row
            g.figures[p] = periods.Figure(p, row.completions, f"figure {row.id}")

    today = datetime.now(UTC).date()
    seen: dict[tuple[int, periods.Period], int] = {}
    for r in items:
        g = groups[r.course_id, r.period.year]
        first = seen.setdefault((r.course_id, r.period), r.number)
        if first != r.number:
            errors.append(_error(r.number, "period", f"R1: repeats row {first} ({r.period.label})"))
            continue
        existing = g.stored.get(r.period)
        if existing is not None and mode == "upsert":
            if all(getattr(existing, k) == v for k, v in r.values.items()):
                report.unchanged += 1
                continue
        elif existing is not None:
            errors.append(
                _error(
                    r.number,
                    "period",
                    f"R1: {g.course.slug} already has figure {existing.id} for {r.period.label}; "
                    "use ?mode=upsert to revise it",
                )
            )
            continue
        new = periods.Figure(r.period, r.values["completions"], f"row {r.number}")
        others = [f for p, f in g.figures.items() if p != r.period]
        problems = check_figure(
            new,
            others,
            course=g.course.slug,
            first_offered_year=g.course.first_offered_year,
            today=today,
        )
        if problems:
            errors += [_error(r.number, v.field, f"{v.rule}: {v.message}") for v in problems]
            continue
        g.figures[r.period] = new
        if existing is None:
            g.creates.append(r)
        else:
            g.revises.append((existing, r))

    if errors:
        raise Invalid(
            f"{len({e['row'] for e in errors})} of {report.rows} rows are invalid; "
            "nothing was stored.",
            errors=errors,
        )
    _store(session, groups, actor, report)
    return report


def _store(
    session: Session, groups: dict[totals.Key, _Group], actor: Actor, report: ImportReport
) -> None:
    """Write the checked rows: figures, revisions, totals and one audit entry."""
    now = utcnow()
    creates = [(cid, r) for (cid, _), g in groups.items() for r in g.creates]
    revises = [(old, r) for g in groups.values() for old, r in g.revises]
    revisions: list[dict[str, Any]] = []
    if creates:
        new_rows = [
            {
                "course_id": cid,
                "year": r.period.year,
                "start_month": r.period.start_month,
                "end_month": r.period.end_month,
                **r.values,
                "revision": 1,
                "recorded_at": now,
            }
            for cid, r in creates
        ]
        ids = session.scalars(
            insert(Figure).returning(Figure.id, sort_by_parameter_order=True), new_rows
        ).all()
        revisions += [
            {**row, "figure_id": fid, "action": "create", "recorded_by": actor.name}
            for fid, row in zip(ids, new_rows, strict=True)
        ]
    if revises:
        changed = [
            {"id": old.id, **r.values, "revision": old.revision + 1, "recorded_at": now}
            for old, r in revises
        ]
        session.execute(update(Figure), changed)
        revisions += [
            {
                "figure_id": old.id,
                "course_id": old.course_id,
                "year": old.year,
                "start_month": old.start_month,
                "end_month": old.end_month,
                **r.values,
                "revision": old.revision + 1,
                "recorded_at": now,
                "action": "update",
                "recorded_by": actor.name,
            }
            for old, r in revises
        ]
    if revisions:
        session.execute(insert(FigureRevision), revisions)
    touched = {k: list(g.figures.values()) for k, g in groups.items() if g.creates or g.revises}
    totals.replace(session, touched)
    report.created, report.revised = len(creates), len(revises)
    audit.record(
        session,
        actor,
        action="figure.import",
        resource="/api/v1/attendance/import",
        after={
            "rows": report.rows,
            "created": report.created,
            "revised": report.revised,
            "unchanged": report.unchanged,
        },
    )


def export_rows(session: Session) -> Iterator[dict[str, Any]]:
    """Every live figure in import columns, in the order they were first recorded."""
    f = Figure
    query = (
        select(
            Course.slug, f.year, f.start_month, f.end_month, *(getattr(f, k) for k in VALUE_FIELDS)
        )
        .join(Course, Course.id == f.course_id)
        .order_by(f.id)
        .execution_options(yield_per=5000)
    )
    for slug, year, start, end, completions, status, note, source_id in session.execute(query):
        yield {
            "course": slug,
            "period": periods.Period(year, start, end).iso,
            "completions": completions,
            "status": status,
            "note": note or "",
            "source_id": source_id,
        }
