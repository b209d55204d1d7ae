"""The formats an import is read from (CSV, JSON, XLSX) and written to (`export_rows`)."""

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from itertools import islice
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import (
    FIGURE_VALUES,
    Course,
    Figure,
)
from app.domain import periods
from app.domain.cells import neutralise
from app.errors import Invalid
from app.services.imports.rows import CHUNK, COLUMNS, XLSX, CsvChunk, SheetRow

# --- reading -------------------------------------------------------------------------


def _check_header(header: list[str], kind: str) -> None:
    unknown = [c for c in header if c not in (*COLUMNS, "year", "start_month", "end_month")]
    if unknown:
        raise Invalid(
            f"Unknown {kind} columns: {', '.join(unknown)}; expected {', '.join(COLUMNS)}.",
            errors=[{"row": 0, "field": c, "message": "unknown column"} for c in unknown],
        )


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
