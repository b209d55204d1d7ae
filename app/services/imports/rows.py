"""One row of an import: its columns, the fast readers of plain rows and of CSV
chunks column by column, and the errors that name a row."""

import re
import sys
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from operator import methodcaller
from typing import Any, Literal, NamedTuple

from pydantic import ValidationError

from app.db.models import FIGURE_VALUES, MAX_COMPLETIONS, VINTAGE
from app.domain import periods
from app.domain.cells import restore
from app.errors import Invalid
from app.schemas.writes import SLUG_PATTERN, FigureIn

Mode = Literal["create", "upsert"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLUMNS = ("course", "period", *FIGURE_VALUES)  # a file's, in order
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


class CsvChunk(NamedTuple):
    """Consecutive non-blank records of a CSV file, under its header."""

    header: list[str]
    records: list[list[str]]


class SheetRow(dict[str, Any]):
    """A spreadsheet row's cells by column, and the row's number in its sheet."""

    def __init__(self, row: int, cells: dict[str, Any]) -> None:
        super().__init__(cells)
        self.row = row


def record_of(header: list[str], record: list[str]) -> dict[str, Any]:
    """A CSV record as the row checks read it: empty cells omitted (they take their
    defaults), neutralised formula cells restored."""
    return {k: restore(v) if v[0] == "'" else v for k, v in zip(header, record, strict=False) if v}


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
        return [row_error(number, "row", "expected an object with the figure's fields")]
    fast = _fast(number, raw)
    if fast is not None:
        return fast
    try:
        fig = FigureIn.model_validate(raw)
    except ValidationError as exc:
        return [
            row_error(number, ".".join(map(str, e["loc"])) or "row", e["msg"]) for e in exc.errors()
        ]
    return Row(
        number, fig.course, fig.period_value(), fig.completions, fig.status, fig.note, fig.source_id
    )


def row_error(number: int, field_name: str, message: str) -> dict[str, Any]:
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


def read_columns(
    rows: Iterable[Any], max_rows: int | None
) -> tuple[Columns, list[dict[str, Any]], int]:
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
                    _add(columns, errors, parse_row(number, record_of(item.header, record)))
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
