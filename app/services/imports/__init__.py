"""Bulk import of figures: every row checked against R1–R5 and the other rows first;
one bad row and nothing is stored. `upsert` revises figures whose period exists.

Built for a million rows, set-wise: CSV is read a chunk at a time and checked column
by column (each distinct course and period parsed once); the rows are kept as
columns, not objects; every course-year's R1–R3 and total come from one sorted
sweep over integer keys (`periods.sweep`). Only a course-year with stored figures,
a broken rule or a period R4 refuses is checked row by row (`plan.py`), for its
revisions and for messages that name each bad row. New figures are written a few
hundred rows to a statement (`bulk_insert`); they keep their first vintage in
`figures` (no revision row until they are revised).

Its rooms: `formats` (CSV, JSON, XLSX in; the import columns out), `rows` (a row and
the fast column-wise readers), `plan` (the checks), `store` (the writes); `run`,
below, takes a file through them.
"""

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from app.errors import Invalid
from app.services.audit import Actor
from app.services.imports.formats import (
    export_rows,
    parse_csv,
    parse_json,
    parse_xlsx,
    read_body,
    read_rows,
)
from app.services.imports.plan import CheckOptions, check_all, refusal
from app.services.imports.rows import (
    COLUMNS,
    XLSX,
    CsvChunk,
    ImportReport,
    Mode,
    Row,
    parse_row,
    read_columns,
)
from app.services.imports.store import store_checked

__all__ = [
    "COLUMNS",
    "XLSX",
    "CsvChunk",
    "ImportReport",
    "Mode",
    "Row",
    "export_rows",
    "parse_csv",
    "parse_json",
    "parse_row",
    "parse_xlsx",
    "read_body",
    "read_rows",
    "run",
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
        session,
        rows,
        actor=actor,
        max_rows=max_rows,
        check=CheckOptions(mode, dry_run, upsert_hint),
    )


def _run(
    session: Session,
    rows: Iterable[Any],
    *,
    actor: Actor,
    max_rows: int | None,
    check: CheckOptions,
) -> ImportReport:
    report = ImportReport(dry_run=check.dry_run)
    columns, errors, report.rows = read_columns(rows, max_rows)
    if report.rows == 0:
        raise Invalid(
            "The import holds no rows; nothing was stored.",
            errors=[{"row": 0, "field": "body", "message": "no rows"}],
        )
    checked = check_all(session, columns, errors, check)
    if errors:
        raise refusal(errors, report.rows, dry_run=check.dry_run)
    report.unchanged = sum(p.unchanged for p in checked.plans.values())
    if check.dry_run:
        report.created = checked.creates
        report.revised = sum(len(p.revises) for p in checked.plans.values())
    else:
        store_checked(session, checked, actor, report)
    return report
