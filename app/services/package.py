"""The whole dataset as a Frictionless Data Package (https://specs.frictionlessdata.io/),
and back into an empty database.

A package is a folder: `datapackage.json` and one CSV per table (courses, sources,
figures, figure revisions and the audit log), each described by a Table Schema with
its primary and foreign keys. Columns are the tables' own, so a package restores
ids, timestamps to the microsecond and every revision; totals and their history
are derived again from the revisions, exactly as writes derive them. The public
dataset (`GET /api/v1/datapackage.json`) is the same minus the audit log.
"""

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import groupby, islice
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Date, Integer, Select, Table, func, insert, select, text, update
from sqlalchemy.orm import Session

from app import __version__
from app.db.base import UTCDateTime, table_of
from app.db.models import (
    AuditEntry,
    Course,
    CourseYearTotal,
    CourseYearTotalHistory,
    DataVersion,
    Figure,
    FigureRevision,
    Source,
)
from app.domain import periods
from app.domain.cells import neutralise, restore
from app.errors import Conflict, Invalid
from app.services.history import vintages

DESCRIPTOR = "datapackage.json"
BATCH = 5_000


@dataclass(frozen=True)
class Resource:
    """One table of the package."""

    name: str
    table: Table
    title: str
    public: bool
    foreign_keys: tuple[tuple[str, str], ...] = ()  # (column, resource it names by id)

    @property
    def path(self) -> str:
        return f"{self.name}.csv"

    @property
    def columns(self) -> list[str]:
        return [c.name for c in self.table.columns]


RESOURCES = (
    Resource("sources", table_of(Source), "Where figures came from", public=True),
    Resource("courses", table_of(Course), "Courses", public=True),
    Resource(
        "figures",
        table_of(Figure),
        "Completions of a course in a period, as they stand",
        public=True,
        foreign_keys=(("course_id", "courses"), ("source_id", "sources")),
    ),
    Resource(
        "figure_revisions",
        table_of(FigureRevision),
        "Every earlier value of each revised or deleted figure, by whom and when "
        "(a figure never revised has its one value in figures)",
        public=True,
        foreign_keys=(("course_id", "courses"), ("source_id", "sources")),
    ),
    Resource(
        "audit_log", table_of(AuditEntry), "Every write: who, when, before, after", public=False
    ),
)


def field_type(column: Any) -> str:
    """The Table Schema type of a column."""
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return "datetime"
    if isinstance(kind, Date):
        return "date"
    if isinstance(kind, Integer):
        return "integer"
    if isinstance(kind, JSON):
        return "object"
    return "string"


def descriptor(*, public: bool, base: str = "") -> dict[str, Any]:
    """`datapackage.json`: every resource with its schema; `base` prefixes CSV paths."""
    resources = []
    for r in RESOURCES:
        if public and not r.public:
            continue
        fields = []
        for column in r.table.columns:
            field: dict[str, Any] = {"name": column.name, "type": field_type(column)}
            if not column.nullable:
                field["constraints"] = {"required": True}
            fields.append(field)
        schema: dict[str, Any] = {"fields": fields, "primaryKey": ["id"]}
        if r.foreign_keys:
            schema["foreignKeys"] = [
                {"fields": column, "reference": {"resource": target, "fields": "id"}}
                for column, target in r.foreign_keys
            ]
        resources.append(
            {
                "name": r.name,
                "title": r.title,
                "path": f"{base}{r.path}",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": schema,
            }
        )
    return {
        "name": "enrollment-stats",
        "title": "Training enrollment statistics",
        "description": "Completions per course and period, with every revision"
        + ("." if public else ", and the audit log of every write."),
        "version": __version__,
        "resources": resources,
        **({} if public else {"created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}),
    }


# --- writing -----------------------------------------------------------------------


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return neutralise(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
    if isinstance(value, str):
        return neutralise(value)
    return value


def rows_query(resource: Resource) -> Select[Any]:
    """Every row of the resource's table in id order, streamed."""
    return select(resource.table).order_by(resource.table.c.id).execution_options(yield_per=BATCH)


def csv_chunks(session: Session, resource: Resource) -> Iterator[str]:
    """The resource as CSV text, a header and then a few thousand rows at a time."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(resource.columns)
    for n, row in enumerate(session.execute(rows_query(resource)), start=1):
        writer.writerow([_cell(v) for v in row])
        if n % BATCH == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def export(session: Session, folder: Path) -> dict[str, int]:
    """Write the whole dataset into `folder` (created if need be); rows per resource.

    All tables are read from one snapshot (SQLite's read transaction; PostgreSQL's
    REPEATABLE READ), so a write during the export is in every file or in none.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    folder.mkdir(parents=True, exist_ok=True)
    counts = {}
    for r in RESOURCES:
        with (folder / r.path).open("w", encoding="utf-8", newline="") as fh:
            for chunk in csv_chunks(session, r):
                fh.write(chunk)
        counts[r.name] = session.scalar(select(func.count()).select_from(r.table)) or 0
    (folder / DESCRIPTOR).write_text(
        json.dumps(descriptor(public=False), indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    return counts


# --- reading -----------------------------------------------------------------------


def _reader(column: Any) -> Any:
    kind = field_type(column)
    if kind == "datetime":
        return lambda v: datetime.fromisoformat(v).astimezone(UTC)
    if kind == "date":
        return date.fromisoformat
    if kind == "integer":
        return int
    if kind == "object":
        return lambda v: json.loads(restore(v))
    return restore


def _read(folder: Path, resource: Resource) -> Iterator[dict[str, Any]]:
    path = folder / resource.path
    if not path.is_file():
        raise Invalid(f"The package has no {resource.path}.")
    readers = {c.name: _reader(c) for c in resource.table.columns}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = csv.reader(fh)
        header = next(rows, [])
        # a column added since the package was written is empty (`audit_log.version`)
        missing = [c for c in readers if c not in header and not resource.table.c[c].nullable]
        if missing:
            raise Invalid(f"{resource.path} lacks the columns {', '.join(missing)}.")
        for line, record in enumerate(rows, start=2):
            try:
                yield {
                    k: readers[k](v) if v != "" else None
                    for k, v in zip(header, record, strict=True)
                    if k in readers
                }
            except (ValueError, TypeError) as exc:
                raise Invalid(f"{resource.path}, line {line}: {exc}.") from exc


def _batches(rows: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    it = iter(rows)
    while batch := list(islice(it, BATCH)):
        yield batch


def load(session: Session, folder: Path) -> dict[str, int]:
    """Restore a package written by `export` into a database with no data (keys may
    exist); rows per resource. Totals and their history are rebuilt from the
    revisions; the data version advances so every cached answer is dropped."""
    if not (folder / DESCRIPTOR).is_file():
        raise Invalid(f"{folder} holds no {DESCRIPTOR}.")
    for r in RESOURCES:
        if session.scalar(select(func.count()).select_from(r.table)):
            raise Conflict(
                f"The database already holds {r.name}: a package is restored into an empty "
                "database only (run `enrollment-stats migrate` on a new one, not `serve`, "
                "which seeds it)."
            )
    counts = {}
    for r in RESOURCES:
        n = 0
        for batch in _batches(_read(folder, r)):
            session.execute(insert(r.table), batch)
            n += len(batch)
        counts[r.name] = n
    _rebuild_totals(session)
    _advance_sequences(session)
    # Past the versions the audit log kept, so `/updates?since_version=` keeps its
    # meaning, and past the current one, so every cached answer is dropped.
    kept = session.scalar(select(func.max(AuditEntry.version))) or 0
    current = session.scalar(select(DataVersion.version)) or 0
    session.execute(update(DataVersion).values(version=max(kept, current) + 1))
    return counts


def _rebuild_totals(session: Session) -> None:
    """Course-year totals and their history, replaying the revisions in time order: a
    course-year's total after each moment one of its figures changed (R5), valid until
    the next such moment, as the write path records them."""
    v = vintages().subquery()
    rows = session.execute(
        select(
            v.c.course_id,
            v.c.year,
            v.c.recorded_at,
            v.c.figure_id,
            v.c.action,
            v.c.start_month,
            v.c.end_month,
            v.c.completions,
        )
        .order_by(v.c.course_id, v.c.year, v.c.recorded_at, v.c.figure_id, v.c.revision)
        .execution_options(yield_per=BATCH)
    )
    history: list[dict[str, Any]] = []
    current: list[dict[str, Any]] = []
    for (course_id, year), of_key in groupby(rows, key=lambda r: (r[0], r[1])):
        live: dict[int, periods.Figure] = {}
        last: dict[str, Any] | None = None
        for moment, at_moment in groupby(of_key, key=lambda r: r[2]):
            for _, _, _, figure_id, action, start, end, completions in at_moment:
                if action == "delete":
                    live.pop(figure_id, None)
                else:
                    live[figure_id] = periods.Figure(periods.Period(year, start, end), completions)
            if last is not None:
                last["valid_to"] = moment
            last = None
            if live:
                t = periods.year_total(live.values())
                last = {
                    "course_id": course_id,
                    "year": year,
                    "total": t.total,
                    "months_mask": periods.months_mask(t.months),
                    "valid_from": moment,
                    "valid_to": None,
                }
                history.append(last)
        if last is not None:
            current.append({k: last[k] for k in ("course_id", "year", "total", "months_mask")})
        if len(history) >= BATCH:
            _flush(session, history, current)
    _flush(session, history, current)


def _flush(session: Session, history: list[dict[str, Any]], current: list[dict[str, Any]]) -> None:
    # Rows still open (valid_to None) are final: a course-year's rows are complete once
    # the replay has moved past it, and only whole course-years reach here.
    if history:
        session.execute(insert(CourseYearTotalHistory), history)
        history.clear()
    if current:
        session.execute(insert(CourseYearTotal), current)
        current.clear()


def _advance_sequences(session: Session) -> None:
    """PostgreSQL's id sequences past the restored ids (SQLite takes max(id) + 1)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for r in RESOURCES:
        name = r.table.name
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)"
            )
        )
