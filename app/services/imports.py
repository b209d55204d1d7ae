"""Bulk import of figures: every row checked against R1–R5 and the other rows first;
one bad row and nothing is stored. `upsert` revises figures whose period exists.

Built for a million rows, set-wise: CSV is read a chunk at a time and checked column
by column (each distinct course and period parsed once); the rows are kept as
columns, not objects; every course-year's R1–R3 and total come from one sorted
sweep over integer keys (`periods.sweep`). Only a course-year with stored figures,
a broken rule or a period R4 refuses is checked row by row (`_plan`), for its
revisions and for messages that name each bad row. New figures are written a few
hundred rows to a statement (`bulk_insert`); they keep their first vintage in
`figures` (no revision row until they are revised).
"""

import csv
import io
import json
import re
import sys
from array import array
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from itertools import islice
from operator import methodcaller
from typing import Any, Literal, NamedTuple

from pydantic import ValidationError
from sqlalchemy import Select, bindparam, insert, literal, select, update
from sqlalchemy.orm import Session

from app.db.base import table_of
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
CHUNK = 10_000  # CSV records checked column by column at once
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


class CsvChunk(NamedTuple):
    """Consecutive non-blank records of a CSV file, under its header."""

    header: list[str]
    records: list[list[str]]


def parse_csv(lines: Iterable[str]) -> Iterator[CsvChunk]:
    """CSV records a chunk at a time, so that a whole chunk can be checked column by
    column (`_plain_chunk`); blank lines are skipped."""
    reader = csv.reader(lines)
    try:
        header = next(reader, None)
        if header is None:
            return
        _check_header(header, "CSV")
        while block := list(islice(reader, CHUNK)):
            if records := [r for r in block if r]:
                yield CsvChunk(header, records)
    except csv.Error as exc:
        raise Invalid(
            f"The CSV cannot be read near line {reader.line_num}: {exc}.",
            errors=[{"row": max(reader.line_num - 1, 0), "field": "row", "message": str(exc)}],
        ) from exc


def _record(header: list[str], record: list[str]) -> dict[str, Any]:
    """A CSV record as the row checks read it: empty cells omitted (they take their
    defaults), neutralised formula cells restored."""
    return {k: restore(v) if v[0] == "'" else v for k, v in zip(header, record, strict=False) if v}


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


class Columns:
    """The file's valid rows, a column each: a million rows are seven lists and
    arrays (~60 MB), not a million objects."""

    def __init__(self) -> None:
        self.number = array("q")
        self.course: list[str] = []
        self.period: list[periods.Period] = []
        self.completions = array("q")
        self.status: list[str] = []
        self.note: list[str | None] = []
        self.source_id = array("q")

    def __len__(self) -> int:
        return len(self.number)

    def append(self, r: Row) -> None:
        """One row read by `parse_row`."""
        self.number.append(r.number)
        self.course.append(r.course)
        self.period.append(r.period)
        self.completions.append(r.completions)
        self.status.append(r.status)
        self.note.append(r.note)
        self.source_id.append(r.source_id)

    def extend(self, other: "Columns") -> None:
        """The rows of another chunk, after these."""
        self.number += other.number
        self.course += other.course
        self.period += other.period
        self.completions += other.completions
        self.status += other.status
        self.note += other.note
        self.source_id += other.source_id

    def row(self, i: int) -> Row:
        """Row `i` (0-based), for the row-by-row checks of one course-year."""
        return Row(
            self.number[i],
            self.course[i],
            self.period[i],
            self.completions[i],
            self.status[i],
            self.note[i],
            self.source_id[i],
        )


def _distinct(cells: Sequence[str], read: Callable[[str], Any]) -> list[Any] | None:
    """Each cell read by `read`, which runs once per distinct value; None if it
    refuses any (returns None)."""
    table = {v: read(v) for v in set(cells)}
    return None if None in table.values() else list(map(table.__getitem__, cells))


def _digits(cells: Sequence[str], low: int, high: int) -> "array[int] | None":
    """Whole numbers written in ASCII digits, as `_whole` takes them, or None."""
    if not all(map(str.isdigit, cells)) or not "".join(cells).isascii():
        return None
    if max(map(len, cells)) > 12:
        return None
    numbers = array("q", map(int, cells))
    return numbers if low <= min(numbers) and max(numbers) <= high else None


_STATUS_CELLS = {"": "final", **{s: s for s in _STATUSES}}  # empty: the default
_starts_quoted = methodcaller("startswith", "'")


def _plain_chunk(chunk: CsvChunk, first: int) -> Columns | None:
    """A chunk of CSV records checked column by column: its columns if every record
    is one `_fast` takes as it is (a test holds them equal); None sends the chunk
    through the row checks, which name each bad cell."""
    header, records = chunk
    width = len(header)
    if len(set(header)) != width or not _REQUIRED <= set(header) <= _FAST_KEYS:
        return None
    if set(map(len, records)) != {width}:
        return None
    cells = dict(zip(header, zip(*records, strict=True), strict=True))
    course = _distinct(cells["course"], _plain_slug)
    period = _distinct(cells["period"], _plain_period)
    completions = _digits(cells["completions"], 0, MAX_COMPLETIONS)
    source_id = _digits(cells["source_id"], 1, 2**31 - 1)
    status = _distinct(cells.get("status", ("",) * len(records)), _STATUS_CELLS.get)
    if (
        course is None
        or period is None
        or completions is None
        or source_id is None
        or status is None
    ):
        return None
    notes: list[str | None] = [None] * len(records)
    if "note" in cells:
        written = [v for v in cells["note"] if v]
        if written and (
            max(map(len, written)) > 2000
            or any(map(_starts_quoted, written))  # a neutralised formula, to restore
            or "\x00" in "".join(written)
            or not all(map(str.__eq__, written, map(str.strip, written)))
        ):
            return None
        notes = [v or None for v in cells["note"]]
    columns = Columns()
    columns.number = array("q", range(first, first + len(records)))
    columns.course, columns.period, columns.status, columns.note = course, period, status, notes
    columns.completions, columns.source_id = completions, source_id
    return columns


def _read(rows: Iterable[Any], max_rows: int | None) -> tuple[Columns, list[dict[str, Any]], int]:
    """The valid rows as columns, the errors of the others, and how many rows there were.

    `rows` are chunks of CSV records (`parse_csv`) or rows one by one: JSON objects,
    spreadsheet rows (`SheetRow` keeps its number in the sheet)."""
    columns = Columns()
    errors: list[dict[str, Any]] = []
    count = 0
    for item in rows:
        if isinstance(item, CsvChunk):
            plain = _plain_chunk(item, count + 1)
            if plain is not None:
                columns.extend(plain)
            else:
                for number, record in enumerate(item.records, start=count + 1):
                    _add(columns, errors, parse_row(number, _record(item.header, record)))
            count += len(item.records)
        else:
            count += 1
            number = item.row if isinstance(item, SheetRow) else count
            _add(columns, errors, parse_row(number, item))
        if max_rows is not None and count > max_rows:
            raise Invalid(f"An import holds at most {max_rows} rows.")
    return columns, errors, count


def _add(
    columns: Columns, errors: list[dict[str, Any]], result: Row | list[dict[str, Any]]
) -> None:
    if isinstance(result, Row):
        columns.append(result)
    else:
        errors += result


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
    return _run(
        session, rows, actor=actor, max_rows=max_rows, check=_Check(mode, dry_run, upsert_hint)
    )


def _run(
    session: Session,
    rows: Iterable[Any],
    *,
    actor: Actor,
    max_rows: int | None,
    check: _Check,
) -> ImportReport:
    report = ImportReport(dry_run=check.dry_run)
    columns, errors, report.rows = _read(rows, max_rows)
    if report.rows == 0:
        raise Invalid(
            "The import holds no rows; nothing was stored.",
            errors=[{"row": 0, "field": "body", "message": "no rows"}],
        )
    checked = _check(session, columns, errors, check)
    if errors:
        raise _refusal(errors, report.rows, dry_run=check.dry_run)
    report.unchanged = sum(p.unchanged for p in checked.plans.values())
    if check.dry_run:
        report.created = checked.creates
        report.revised = sum(len(p.revises) for p in checked.plans.values())
    else:
        _store(session, checked, actor, report)
    return report


_YEAR_BITS = 14  # a sweep group is course id << 14 | year (years end at 9999)
_COURSE_SHIFT = _YEAR_BITS + 8  # a row's sweep key: its group, then `periods.sweep_key`


def _key(group: int) -> totals.Key:
    return group >> _YEAR_BITS, group & (1 << _YEAR_BITS) - 1


@dataclass
class _Checked:
    """An import checked: each row's sweep key (course, year, period; -1 for a row
    refused), the new totals of the course-years it changes, and the course-years
    checked row by row (stored figures to compare with, or a rule broken)."""

    columns: Columns
    keys: list[int]
    new_totals: dict[totals.Key, periods.YearTotal]
    stale: list[totals.Key]
    plans: dict[int, _Plan]
    creates: int


def _check(
    session: Session, columns: Columns, errors: list[dict[str, Any]], check: _Check
) -> _Checked:
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
        -1 if cid is None or source not in known_sources else cid << _COURSE_SHIFT | ranks[p]
        for cid, p, source in zip(
            map(course_ids.get, columns.course), columns.period, columns.source_id, strict=True
        )
    ]
    if -1 in keys:
        for i in (i for i, k in enumerate(keys) if k < 0):
            r = columns.row(i)
            if r.course not in courses:
                errors.append(_error(r.number, "course", f"no course '{r.course}'"))
            else:
                errors.append(_error(r.number, "source_id", f"no source {r.source_id}"))

    pairs = sorted(zip(keys, columns.completions, strict=True))
    swept = periods.sweep(islice(pairs, bisect_left(pairs, (0,)), None))
    del pairs
    by_id = {c.id: c for c in courses.values()}
    stored = totals.stored(session, map(_key, swept))
    today = datetime.now(UTC).date()
    slow = {g for g, total in swept.items() if total is None or _key(g) in stored}
    for g in swept:
        course_id, year = _key(g)
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
        g: _plan(by_id[_key(g)[0]], stored.get(_key(g), []), group_rows, check, today)
        for g, group_rows in slow_rows.items()
    }
    for plan in plans.values():
        errors += plan.errors
    new_totals = {
        _key(g): total for g, total in swept.items() if g not in slow and total is not None
    }
    for g, plan in plans.items():
        if plan.total is not None and (plan.creates or plan.revises):
            new_totals[_key(g)] = plan.total
    fast_rows = len(keys) - keys.count(-1) - sum(map(len, slow_rows.values()))
    return _Checked(
        columns,
        keys,
        new_totals,
        stale=[k for k in new_totals if k in stored],
        plans=plans,
        creates=fast_rows + sum(len(p.creates) for p in plans.values()),
    )


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


def _new_figures(checked: _Checked, recorded_at: Any, actor: Actor) -> Iterator[tuple[Any, ...]]:
    """The figures an import creates, as `figures` rows in file order: every row of a
    course-year checked in the sweep, and the creates of those checked row by row."""
    c = checked.columns
    slow = checked.plans.keys()
    created = {r.number for p in checked.plans.values() for r in p.creates}
    for key, p, completions, status, note, source_id, number in zip(
        checked.keys, c.period, c.completions, c.status, c.note, c.source_id, c.number, strict=True
    ):
        if slow and key >> 8 in slow and number not in created:
            continue
        yield (
            key >> _COURSE_SHIFT,
            p.year,
            p.start_month,
            p.end_month,
            completions,
            status,
            note,
            source_id,
            1,
            recorded_at,
            actor.name,
        )


def _store(session: Session, checked: _Checked, actor: Actor, report: ImportReport) -> None:
    """Write the checked rows: figures, revisions, totals and one audit entry."""
    now = write_time(session)
    table = table_of(Figure)
    recorded_at = stored_value(table.c.recorded_at, now, session)
    for batch in _batches(_new_figures(checked, recorded_at, actor)):
        bulk_insert(session, table, NEW_FIGURE_COLUMNS, batch)
        report.created += len(batch)
    revises = (pair for p in checked.plans.values() for pair in p.revises)
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
    totals.put(session, checked.new_totals, stale=checked.stale)
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
