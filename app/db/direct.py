"""Prebuilt SELECTs run on SQLite's own driver, for the bounded reads on the event loop.

SQLAlchemy's execution of a statement (its context, events, result metadata) costs
~130 µs where the sqlite3 driver needs ~15 for a small answer, and a bounded read
runs one or two such statements: most of its database time. A statement built once
(`lru_cache`d by the services) is compiled here once too, with its parameters'
order and the bind and result processors of its columns' types, and then runs on
the driver connection the `Reader` keeps (`DRIVER` in the session's `info`). Rows
come back as named tuples, read by position or by column name as SQLAlchemy rows
are. Anywhere else (threads, PostgreSQL, statements with expanding parameters) the
same statement runs through SQLAlchemy, with the same rows.
"""

import sqlite3
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeAlias

from sqlalchemy import Dialect, Select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

DRIVER = "sqlite_driver"  # session.info: (sqlite3 connection, its dialect) reads may use
Processor = Callable[[Any], Any] | None
AnySelect: TypeAlias = Select[*tuple[Any, ...]]


@dataclass(frozen=True)
class _Prepared:
    """A statement compiled once: its SQL, how to order and convert its parameters,
    how to convert its columns and the row type that names them."""

    sql: str
    names: tuple[str, ...]
    defaults: dict[str, Any]
    binds: tuple[Processor, ...]
    results: tuple[tuple[int, Callable[[Any], Any]], ...]  # the columns to convert, and how
    row: type[tuple[Any, ...]]

    def values(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        """The statement's parameters in order, as the driver takes them."""
        return tuple(
            value if process is None else process(value)
            for value, process in zip(
                (params[n] if n in params else self.defaults[n] for n in self.names),
                self.binds,
                strict=True,
            )
        )

    def rows(self, fetched: list[Any]) -> list[Any]:
        """The driver's rows, converted as SQLAlchemy would and named."""
        make = self.row._make  # type: ignore[attr-defined]
        if not self.results:
            return list(map(make, fetched))
        named = []
        for raw in fetched:
            values = list(raw)
            for i, process in self.results:
                values[i] = process(values[i])
            named.append(make(values))
        return named


@lru_cache(maxsize=512)
def _prepare(statement: AnySelect, dialect: Dialect) -> _Prepared | None:
    """The statement compiled for SQLite, or None if it needs SQLAlchemy at run time
    (expanding IN lists, values computed by callables)."""
    compiled = statement.compile(dialect=dialect)
    binds = compiled.binds
    if any(b.expanding or b.callable is not None for b in binds.values()):
        return None
    names = tuple(compiled.positiontup or ())
    columns = list(statement.selected_columns)
    processors = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns]
    return _Prepared(
        sql=compiled.string,
        names=names,
        defaults={n: binds[n].value for n in names},
        binds=tuple(binds[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names),
        results=tuple((i, p) for i, p in enumerate(processors) if p is not None),
        row=namedtuple("Row", [str(c.key) for c in columns], rename=True),
    )


def fetch(
    session: Session, statement: AnySelect, params: Mapping[str, Any] | None = None
) -> Sequence[Any]:
    """Every row of a prebuilt SELECT: on the driver when the session has one,
    otherwise through SQLAlchemy (on the session's connection, no ORM)."""
    params = params or {}
    direct: tuple[sqlite3.Connection, Dialect] | None = session.info.get(DRIVER)
    prepared = None if direct is None else _prepare(statement, direct[1])
    if direct is None or prepared is None:
        return list(session.connection().execute(statement, params).all())
    driver = direct[0]
    values = prepared.values(params)
    try:
        fetched = driver.execute(prepared.sql, values).fetchall()
    except sqlite3.Error as exc:  # as SQLAlchemy raises it: a locked database is a 503
        raise DBAPIError.instance(prepared.sql, values, exc, sqlite3.Error) from exc
    return prepared.rows(fetched)
