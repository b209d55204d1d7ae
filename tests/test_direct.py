"""Bounded SQLite reads on the driver itself (`app.db.direct`) give SQLAlchemy's rows."""

import asyncio
import sqlite3
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import column, select, table
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.api.reader import Reader
from app.db.direct import fetch
from app.db.session import is_busy, make_engine, make_sessionmaker
from app.services import attendance, stats
from tests.conftest import on_postgres

pytestmark = pytest.mark.skipif(on_postgres(), reason="the driver path is SQLite's")


def both(database_url: str, work: Callable[[Session], Any], **engine: Any) -> tuple[Any, Any]:
    """`work` as a bounded read on the event loop (the driver) and in a thread
    (SQLAlchemy), on one database."""
    bind = make_engine(database_url, **engine)
    reader = Reader(make_sessionmaker(bind), local=True, threads=1, wait=5)
    reader.open()
    try:
        direct = asyncio.run(reader(work, bounded=True))
        through = asyncio.run(reader(work))
    finally:
        reader.close()
        bind.dispose()
    return direct, through


def named(rows: Any) -> list[tuple[tuple[str, ...], tuple[Any, ...]]]:
    return [(tuple(r._fields), tuple(r)) for r in rows]


def test_pages_figures_and_totals_equal_sqlalchemys(database_url: str) -> None:
    def pages(s: Session) -> list[Any]:
        first = attendance.list_figures(s, limit=5, cursor=None)
        second = attendance.list_figures(s, limit=5, cursor=first.next_cursor)
        one = attendance.list_figures(s, course="basic-sro", year=2019, limit=5, cursor=None)
        return [(p.total, p.next_cursor, named(p.items)) for p in (first, second, one)]

    direct, through = both(database_url, pages)
    assert direct == through
    (total, cursor, items), _, (one_total, _, one_items) = direct
    assert total == 12
    assert cursor is not None
    assert [i[1][0] for i in items] == [1, 2, 3, 4, 5]  # ids, oldest first
    fields, values = one_items[0]
    row = dict(zip(fields, values, strict=True))
    assert (one_total, row["course"], row["completions"]) == (1, "basic-sro", 2516)
    assert row["recorded_at"].tzinfo is not None  # converted as the column type does

    def figure(s: Session) -> Any:
        return named([attendance.get_figure_row(s, figure_id=2)])

    assert both(database_url, figure)[0] == both(database_url, figure)[1]

    def totals(s: Session) -> Any:
        return stats.load(s, year_from=2018, year_to=2019)

    direct_totals, through_totals = both(database_url, totals)
    assert direct_totals == through_totals
    assert sum(c.total(2019).total for c in direct_totals) == 6730


def test_driver_errors_are_sqlalchemys(database_url: str) -> None:
    """A driver error surfaces as SQLAlchemy raises it, wrapping the driver's own, which
    is what the problem handlers and `is_busy` read (a locked database is a 503)."""
    missing = select(column("x")).select_from(table("nowhere"))
    with pytest.raises(OperationalError, match="no such table") as raised:
        both(database_url, lambda s: fetch(s, missing))
    assert isinstance(raised.value.orig, sqlite3.OperationalError)
    assert "FROM nowhere" in str(raised.value.statement)
    assert not is_busy(raised.value)
