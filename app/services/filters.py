"""The filters reads share (course, year, a range of years), each bound by its name so
that one statement serves every value: a statement is built once per set of filters."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam
from sqlalchemy.orm import InstrumentedAttribute

from app.errors import Invalid


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


@dataclass(frozen=True)
class Filters:
    """What `/attendance` filters by, besides the vintage."""

    course: str | None = None
    year: int | None = None
    year_from: int | None = None
    year_to: int | None = None

    def given(self) -> dict[str, Any]:
        """The filters given, by name (`app.services.filters.where_given`'s names)."""
        if (
            self.year_from is not None
            and self.year_to is not None
            and self.year_from > self.year_to
        ):
            raise Invalid(
                f"year_from ({self.year_from}) is after year_to ({self.year_to}).",
                errors=[{"field": "year_from", "message": "must not be after year_to"}],
            )
        return {k: v for k, v in vars(self).items() if v is not None}

    def years(self) -> tuple[int | None, int | None]:
        """The first and last year asked for (`year` is both)."""
        if self.year is not None:
            return max(self.year, self.year_from or self.year), min(
                self.year, self.year_to or self.year
            )
        return self.year_from, self.year_to
