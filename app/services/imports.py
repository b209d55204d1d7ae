"""Bulk import of figures: every row checked against R1–R5 and the other rows first;
one bad row and nothing is stored. `upsert` revises figures whose period exists.

Built for a million rows: rows become small tuples as they are read; each
course-year is checked in one sorted sweep (`periods.consistent`), and only a
course-year that fails it is checked row by row to say which rows are at fault;
figures are written in batches and their first revisions with one INSERT … SELECT.
"""

import csv
import gc
import io
import json
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from itertools import islice
from typing import Any, Literal, NamedTuple

from pydantic import ValidationError
from sqlalchemy import Select, Table, bindparam, insert, literal, select, update
from sqlalchemy.orm import Session

from app.db.models import (
    FIGURE_VALUES,
    MAX_COMPLETIONS,
    VINTAGE,
    Course,
    Figure,
    FigureRevision,
    Source,
)
from app.db.session import bulk_insert, lock_course, stored_value, write_time
from app.domain import periods
from app.domain.cells import neutralise, restore
from app.domain.rules import check_figure
from app.errors import Invalid
from app.schemas.writes import SLUG_PATTERN, FigureIn
from app.services import audit, totals
from app.services.audit import Actor
from app.services.history import vintage_columns

Mode = Literal["create", "upsert"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLUMNS = ("course", "period", "completions", "status", "note", "source_id")
BATCH = 10_000
MAX_ERRORS = 1_000  # an error report is bounded, however bad the file
NEW_FIGURE_COLUMNS = (*VINTAGE, "recorded_by")


@dataclass
class ImportReport:
    """What an import stored."""

    rows: int = 0
    created: int = 0
    revised: int = 0
    unchanged: int = 0
    dry_run: bool = False


class Row(NamedTuple):
    """One valid row of the file."""

    number: int
    course: str
    period: periods.Period
    completions: int
    status: str
    note: str | None
    source_id: int


# --- reading -------------------------------------------------------------------------


def _check_header(header: list[str], kind: str) -> None:
    unknown = [c for c in header if c not in (*COLUMNS, "year", "start_month", "end_month")]
    if unknown:
        raise Invalid(
            f"Unknown {kind} columns: {', '.join(unknown)}; expected {', '.join(COLUMNS)}.",
            errors=[{"row": 0, "field": c, "message": "unknown column"} for c in unknown],
        )


def parse_csv(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """CSV rows as dicts; empty cells are omitted, so they take their defaults."""
    reader = csv.reader(lines)
    try:
        header = next(reader, None)
        if header is None:
            return
        _check_header(header, "CSV")
        for record in reader:
            if record:
                yield {
                    k: restore(v) if v[0] == "'" else v  # the check inline: 6 M cells
                    for k, v in zip(header, record, strict=False)
                    if v
                }
    except csv.Error as exc:
        raise Invalid(
            f"The CSV cannot be read near line {reader.line_num}: {exc}.",
            errors=[{"row": max(reader.line_num - 1, 0), "field": "row", "message": str(exc)}],
        ) from exc


class SheetRow(dict[str, Any]):
    """A spreadsheet row's cells by column, and the row's number in its sheet."""

    def __init__(self, row: int, cells: dict[str, Any]) -> None:
        super().__init__(cells)
        self.row = row


_TEXT_COLUMNS = frozenset(("course", "period", "status", "note"))


def _sheet_cell(column: str, value: Any) -> Any:
    """A typed spreadsheet cell as the import reads it: whole numbers as integers, a
    date typed into `period` as its month (spreadsheets turn `2019-09` into a date),
    numbers typed into text columns as text."""
    if isinstance(value, datetime | date):
        return f"{value.year:04d}-{value.month:02d}" if column == "period" else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if column in _TEXT_COLUMNS and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def parse_xlsx(data: bytes) -> Iterator[SheetRow]:
    """The first sheet's rows (a header row first, as in CSV), read by openpyxl in
    read-only mode, so memory stays small however long the sheet; each row keeps
    its number in the sheet for error reports. Empty cells take their defaults."""
    import openpyxl  # on first use: it loads numpy when present, 17 MB a worker would carry

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zip, XML and key errors for a bad file
        raise Invalid(
            "The file is not an XLSX workbook (Excel 2007 or later; save it as .xlsx).",
            errors=[{"row": 0, "field": "body", "message": "not an XLSX workbook"}],
        ) from exc
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = [str(c).strip() if c is not None else "" for c in next(rows, ())]
        while header and not header[-1]:
            header.pop()
        if not header:
            return
        _check_header(header, "spreadsheet")
        for number, values in enumerate(rows, start=2):
            cells = {
                k: _sheet_cell(k, v)
                for k, v in zip(header, values, strict=False)
                if v is not None and v != ""
            }
            if cells:
                yield SheetRow(number, cells)
    finally:
        book.close()


def parse_json(text: str) -> list[Any]:
    """A JSON array of figure objects."""
    try:
        rows = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Invalid(
            f"The body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.",
            errors=[{"row": 0, "field": "body", "message": f"not valid JSON: {exc.msg}"}],
        ) from exc
    except RecursionError as exc:
        raise Invalid(
            "The body nests JSON arrays or objects too deeply.",
            errors=[{"row": 0, "field": "body", "message": "nested too deeply"}],
        ) from exc
    if not isinstance(rows, list):
        raise Invalid("Send a JSON array of figures (or text/csv).")
    return rows


def _count_csv_rows(text: str) -> int:
    """Data rows of a CSV text (blank lines and the header not counted); cheap next to
    checking them, so that the row limit is known before any row is checked."""
    try:
        return max(sum(1 for record in csv.reader(io.StringIO(text, newline="")) if record) - 1, 0)
    except csv.Error:
        return 0  # parse_csv names the line


def read_body(body: bytes, kind: str, *, max_rows: int | None) -> Iterable[Any]:
    """The rows of an import body: an XLSX workbook, or UTF-8 JSON or CSV text."""
    if kind == XLSX:
        if not body:
            return read_rows("", kind, max_rows=max_rows)  # the same 422 as an empty text
        return parse_xlsx(body)
    return read_rows(body.decode("utf-8", errors="replace"), kind, max_rows=max_rows)


def read_rows(text: str, kind: str, *, max_rows: int | None) -> Iterable[Any]:
    """The rows of an import body (`application/json` or `text/csv`, a UTF-8 BOM allowed),
    refused whole when empty or when it holds more than `max_rows` rows."""
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise Invalid(
            "The import is empty: send a JSON array of figures, or a CSV file with a header "
            "row and one row per figure.",
            errors=[{"row": 0, "field": "body", "message": "empty"}],
        )
    if kind == "text/csv":
        count = _count_csv_rows(text) if max_rows is not None else 0
        rows: Iterable[Any] = parse_csv(io.StringIO(text, newline=""))
    else:
        rows = parse_json(text)
        count = len(rows)
    if max_rows is not None and count > max_rows:
        raise Invalid(f"An import holds at most {max_rows} rows; this one has {count}.")
    return rows


_SLUG = re.compile(SLUG_PATTERN)
_FAST_KEYS = frozenset(COLUMNS)
_REQUIRED = frozenset(("course", "period", "completions", "source_id"))
_STATUSES = ("final", "provisional")


def _whole(value: Any, low: int, high: int) -> int | None:
    if type(value) is str and value.isascii() and value.isdigit() and len(value) <= 12:
        value = int(value)
    if type(value) is int and low <= value <= high:
        return value
    return None


@lru_cache(maxsize=65536)
def _plain_slug(course: str) -> str | None:
    """The slug, interned, if it is one `FigureIn` takes as it is."""
    return sys.intern(course) if len(course) <= 100 and _SLUG.fullmatch(course) else None


@lru_cache(maxsize=65536)
def _plain_period(text: str) -> periods.Period | None:
    if len(text) > 40 or text != text.strip():
        return None
    try:
        return periods.Period.parse(text)
    except periods.PeriodError:
        return None


def _fast(number: int, raw: dict[str, Any]) -> Row | None:
    """The plain cases `FigureIn` accepts, read without it (a test holds them equal);
    None sends the row through `FigureIn` for its verdict and messages."""
    if not (_REQUIRED <= raw.keys() <= _FAST_KEYS):
        return None
    course, text = raw["course"], raw["period"]
    status, note = raw.get("status", "final"), raw.get("note")
    if type(course) is not str or type(text) is not str or status not in _STATUSES:
        return None
    if note is not None and (
        type(note) is not str or len(note) > 2000 or note != note.strip() or "\x00" in note
    ):
        return None
    slug, period = _plain_slug(course), _plain_period(text)
    completions = _whole(raw["completions"], 0, MAX_COMPLETIONS)
    source_id = _whole(raw["source_id"], 1, 2**31 - 1)
    if slug is None or period is None or completions is None or source_id is None:
        return None
    return Row(number, slug, period, completions, status, note, source_id)


def parse_row(number: int, raw: Any) -> Row | list[dict[str, Any]]:
    """A valid row, or the errors that make it invalid."""
    if not isinstance(raw, dict):
        return [_error(number, "row", "expected an object with the figure's fields")]
    fast = _fast(number, raw)
    if fast is not None:
        return fast
    try:
        fig = FigureIn.model_validate(raw)
    except ValidationError as exc:
        return [
            _error(number, ".".join(map(str, e["loc"])) or "row", e["msg"]) for e in exc.errors()
        ]
    return Row(
        number, fig.course, fig.period_value(), fig.completions, fig.status, fig.note, fig.source_id
    )


def _error(number: int, field_name: str, message: str) -> dict[str, Any]:
    return {"row": number, "field": field_name, "message": message}


# --- checking ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Check:
    """How an import is checked: its mode, whether it is a dry run, how to ask for upsert."""

    mode: Mode
    dry_run: bool
    upsert_hint: str


@dataclass
class _Plan:
    """What the file does to one course-year."""

    stored: bool = False
    creates: list[Row] = field(default_factory=list)
    revises: list[tuple[Any, Row]] = field(default_factory=list)
    unchanged: int = 0
    figures: dict[periods.Period, periods.Figure] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    total: periods.YearTotal | None = None  # once checked, instead of `figures`

    def settle(self) -> "_Plan":
        """Checked and sound: keep the course-year's total, let go of its figures (a
        million rows' worth of them would otherwise stay until the import is stored)."""
        if not self.errors:
            self.total = periods.year_total(self.figures.values())
            self.figures = {}
        return self


def _values(r: Row) -> dict[str, Any]:
    return {k: getattr(r, k) for k in FIGURE_VALUES}


def _plan(course: Course, stored: list[Any], rows: list[Row], check: _Check, today: date) -> _Plan:
    """Creates and revisions for one course-year, or the errors of its bad rows."""
    plan = _Plan(stored=bool(stored))
    existing = {periods.Period(s.year, s.start_month, s.end_month): s for s in stored}
    for p, s in existing.items():
        plan.figures[p] = periods.Figure(p, s.completions, f"figure {s.id}")
    seen: dict[periods.Period, int] = {}
    for r in rows:
        first = seen.setdefault(r.period, r.number)
        if first != r.number:
            plan.errors.append(
                _error(r.number, "period", f"R1: repeats row {first} ({r.period.label})")
            )
            continue
        old = existing.get(r.period)
        if old is not None and check.mode == "create":
            plan.errors.append(
                _error(
                    r.number,
                    "period",
                    f"R1: {course.slug} already has figure {old.id} for {r.period.label}; "
                    f"use {check.upsert_hint} to revise it",
                )
            )
            continue
        if old is not None and all(getattr(old, k) == v for k, v in _values(r).items()):
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
        _error(r.number, v.field, f"{v.rule}: {v.message}")
        for v in check_figure(
            new,
            others,
            course=course.slug,
            first_offered_year=course.first_offered_year,
            today=today,
        )
    ]


def run(
    session: Session,
    rows: Iterable[Any],
    *,
    actor: Actor,
    mode: Mode = "create",
    max_rows: int | None = None,
    dry_run: bool = False,
    upsert_hint: str = "?mode=upsert",
) -> ImportReport:
    """Check every row, then store all of them, or none and a 422 listing each bad row.

    A dry run checks the same and reports what would be created, revised and left
    unchanged, storing nothing. `upsert_hint` is how the caller's user asks for upsert
    (the API's `?mode=upsert`, the command line's `--mode upsert`).
    """
    # A million small tuples and no reference cycles: the cyclic collector would only
    # rescan them over and over (measured: a third of the time of a large import).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _run(
            session,
            rows,
            actor=actor,
            max_rows=max_rows,
            check=_Check(mode, dry_run, upsert_hint),
        )
    finally:
        if collecting:
            gc.enable()


def _run(
    session: Session,
    rows: Iterable[Any],
    *,
    actor: Actor,
    max_rows: int | None,
    check: _Check,
) -> ImportReport:
    report = ImportReport(dry_run=check.dry_run)
    errors: list[dict[str, Any]] = []
    parsed: list[Row] = []
    for count, raw in enumerate(rows, start=1):
        if max_rows is not None and count > max_rows:
            raise Invalid(f"An import holds at most {max_rows} rows.")
        report.rows = count
        number = raw.row if isinstance(raw, SheetRow) else count
        result = parse_row(number, raw)
        if isinstance(result, Row):
            parsed.append(result)
        else:
            errors += result

    slugs = {r.course for r in parsed}
    courses = (
        {c.slug: c for c in session.scalars(select(Course).where(Course.slug.in_(slugs)))}
        if slugs
        else {}
    )
    for course_id in sorted(c.id for c in courses.values()):
        lock_course(session, course_id)
    source_ids = {r.source_id for r in parsed}
    known_sources = set(
        session.scalars(select(Source.id).where(Source.id.in_(source_ids))) if source_ids else ()
    )

    groups: dict[totals.Key, list[Row]] = defaultdict(list)
    for r in parsed:
        course = courses.get(r.course)
        if course is None:
            errors.append(_error(r.number, "course", f"no course '{r.course}'"))
        elif r.source_id not in known_sources:
            errors.append(_error(r.number, "source_id", f"no source {r.source_id}"))
        else:
            groups[course.id, r.period.year].append(r)
    del parsed

    by_id = {c.id: c for c in courses.values()}
    stored = totals.stored(session, groups)
    today = datetime.now(UTC).date()
    plans: dict[totals.Key, _Plan] = {}
    for key, group_rows in groups.items():
        plan = _plan(by_id[key[0]], stored.get(key, []), group_rows, check, today)
        errors += plan.errors
        report.unchanged += plan.unchanged
        plans[key] = plan
    if report.rows == 0:
        raise Invalid(
            "The import holds no rows; nothing was stored.",
            errors=[{"row": 0, "field": "body", "message": "no rows"}],
        )
    if errors:
        raise _refusal(errors, report.rows, dry_run=check.dry_run)
    if check.dry_run:
        report.created = sum(len(p.creates) for p in plans.values())
        report.revised = sum(len(p.revises) for p in plans.values())
    else:
        _store(session, plans, actor, report)
    return report


def _refusal(errors: list[dict[str, Any]], rows: int, *, dry_run: bool) -> Invalid:
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


# --- storing -------------------------------------------------------------------------


def _batches(items: Iterable[Any]) -> Iterator[list[Any]]:
    it = iter(items)
    while batch := list(islice(it, BATCH)):
        yield batch


def _store(
    session: Session, plans: dict[totals.Key, _Plan], actor: Actor, report: ImportReport
) -> None:
    """Write the checked rows: figures, revisions, totals and one audit entry."""
    now = write_time(session)
    table = Figure.__table__
    assert isinstance(table, Table)
    creates = ((cid, r) for (cid, _), p in plans.items() for r in p.creates)
    recorded_at = stored_value(table.c.recorded_at, now, session)
    for batch in _batches(creates):
        bulk_insert(
            session,
            table,
            NEW_FIGURE_COLUMNS,
            [
                (
                    cid,
                    r.period.year,
                    r.period.start_month,
                    r.period.end_month,
                    r.completions,
                    r.status,
                    r.note,
                    r.source_id,
                    1,
                    recorded_at,
                    actor.name,
                )
                for cid, r in batch
            ],
        )
        report.created += len(batch)
    revises = (pair for p in plans.values() for pair in p.revises)
    change = (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(
            completions=bindparam("b_completions"),
            status=bindparam("b_status"),
            note=bindparam("b_note"),
            source_id=bindparam("b_source_id"),
            revision=table.c.revision + 1,
            recorded_at=bindparam("b_recorded_at"),
            recorded_by=actor.name,
        )
    )
    for batch in _batches(revises):
        _keep_first_vintages(session, [old.id for old, _ in batch])
        session.execute(
            change,
            [
                {
                    "b_id": old.id,
                    **{f"b_{k}": v for k, v in _values(r).items()},
                    "b_recorded_at": now,
                }
                for old, r in batch
            ],
        )
        report.revised += len(batch)
    # Every figure this import revised carries `now`: one statement keeps the new
    # vintages. A created figure keeps its first vintage in `figures` alone.
    if report.revised:
        f = Figure
        session.execute(
            _copy_vintages(
                select(f.id, literal("update"), *vintage_columns(f), f.recorded_by).where(
                    f.recorded_at == now, f.revision > 1
                )
            )
        )
    touched = {k: p.total for k, p in plans.items() if p.creates or p.revises}
    totals.put(session, touched, stale=[k for k in touched if plans[k].stored])
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


def _copy_vintages(rows: Select[Any]) -> Any:
    """INSERT into the revisions of `rows` (figure id, action, the vintage's columns)."""
    rev = FigureRevision
    columns = [rev.figure_id, rev.action, *vintage_columns(rev), rev.recorded_by]
    return insert(rev).from_select(columns, rows)


def _keep_first_vintages(session: Session, figure_ids: list[int]) -> None:
    """Before revising these figures: copy the first vintage of those never revised."""
    f = Figure
    session.execute(
        _copy_vintages(
            select(f.id, literal("create"), *vintage_columns(f), f.recorded_by).where(
                f.id.in_(figure_ids), f.revision == 1
            )
        )
    )


def export_rows(session: Session) -> Iterator[dict[str, Any]]:
    """Every live figure in import columns, in the order they were first recorded."""
    f = Figure
    query = (
        select(
            Course.slug, f.year, f.start_month, f.end_month, *(getattr(f, k) for k in FIGURE_VALUES)
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
            "note": neutralise(note or ""),
            "source_id": source_id,
        }
