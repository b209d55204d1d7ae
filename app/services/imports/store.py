"""Storing a checked import: new figures in bulk, revisions with their first vintages,
the course-year totals and the audit entry."""

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from sqlalchemy import Select, bindparam, insert, literal, select, update
from sqlalchemy.orm import Session

from app import urls
from app.db.base import table_of
from app.db.models import (
    Figure,
    FigureRevision,
)
from app.db.session import bulk_insert, stored_value, write_time
from app.services import audit, totals
from app.services.audit import Actor
from app.services.history import vintage_columns
from app.services.imports.plan import COURSE_SHIFT, Checked, row_values
from app.services.imports.rows import BATCH, NEW_FIGURE_COLUMNS, ImportReport

# --- storing -------------------------------------------------------------------------


def _batches(items: Iterable[Any]) -> Iterator[list[Any]]:
    it = iter(items)
    while batch := list(islice(it, BATCH)):
        yield batch


def _new_figures(checked: Checked, recorded_at: Any, actor: Actor) -> Iterator[tuple[Any, ...]]:
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
            key >> COURSE_SHIFT,
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


def store_checked(session: Session, checked: Checked, actor: Actor, report: ImportReport) -> None:
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
                    **{f"b_{k}": v for k, v in row_values(r).items()},
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
        "figure.import",
        urls.IMPORT,
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
