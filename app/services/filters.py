"""The filters reads share (course, year, a range of years), each bound by its name so
that one statement serves every value: a statement is built once per set of filters."""

from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam
from sqlalchemy.orm import InstrumentedAttribute


def where_given(
    query: Select[Any],
    filters: frozenset[str],
    *,
    year: ColumnElement[int] | InstrumentedAttribute[int],
    course_id: ColumnElement[int] | InstrumentedAttribute[int] | None = None,
    course: ColumnElement[str] | InstrumentedAttribute[str] | None = None,
) -> Select[Any]:
    """`query` narrowed by each filter named in `filters`: `course_id`, `course` (a
    slug), `year`, `year_from`, `year_to`; the values are bound later by those names."""
    for name in sorted(filters):
        if name == "course_id" and course_id is not None:
            query = query.where(course_id == bindparam(name))
        elif name == "course" and course is not None:
            query = query.where(course == bindparam(name))
        elif name == "year":
            query = query.where(year == bindparam(name))
        elif name == "year_from":
            query = query.where(year >= bindparam(name))
        elif name == "year_to":
            query = query.where(year <= bindparam(name))
        else:
            raise ValueError(f"no filter {name!r} here")
    return query
