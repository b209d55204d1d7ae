"""Each answer as a table: the rows of a model's JSON-shaped answer, declared once per
model here, beside the renderers that write tables (CSV now; any format of rows).

A row carries what the answer says of all its items (`year` on a year's rows, `from`
and `to` on a comparison's); aggregate rows are labelled (course `(all courses)`),
never given a slug. A model without rows of its own is one row, its answer itself.
"""

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from app.schemas.common import Page
from app.schemas.resources import Revisions
from app.schemas.stats import (
    Changes,
    Records,
    Rolling,
    Series,
    Shares,
    Totals,
    YearDetail,
    YearList,
)

Data = dict[str, Any]
Rows = list[Data]
RowsOf = Callable[[Data], Rows]

ALL_COURSES = "(all courses)"  # the course cell of aggregate rows: never a slug
WHOLE = {"course": ALL_COURSES, "name": "All courses"}
_ROWS: dict[type[BaseModel], RowsOf] = {}
F = TypeVar("F", bound=RowsOf)


def rows_of(*models: type[BaseModel]) -> Callable[[F], F]:
    """Declare the table of these models' answers."""

    def register(function: F) -> F:
        for model in models:
            _ROWS[model] = function
        return function

    return register


def table(model: type[BaseModel], data: Data) -> Rows:
    """The rows of an answer of `model` (a generic `Page[...]` is a `Page`)."""
    for kind in model.__mro__:
        found = _ROWS.get(kind)
        if found is not None:
            return found(data)
    return [data]


def item_rows(data: Data, **envelope: Any) -> Rows:
    """An answer's `items`, each led by what the answer says of them all."""
    return [{**envelope, **item} for item in data.get("items") or []]


def _listed(row: Data) -> Data:
    """Lists of years or slugs written out with spaces: one cell each."""
    return {k: " ".join(map(str, v)) if isinstance(v, list) else v for k, v in row.items()}


@rows_of(Page, YearList, Revisions)
def _items(data: Data) -> Rows:
    """One row per item."""
    return item_rows(data)


@rows_of(YearDetail)
def _year(data: Data) -> Rows:
    """One row per course, then the all-course row, each with the year."""
    year = data.get("year")
    whole = {k: v for k, v in data.items() if k not in ("year", "courses")}
    rows = [{"year": year, **c} for c in data.get("courses") or []]
    return [*rows, {"year": year, **WHOLE, **whole}]


@rows_of(Series)
def _series(data: Data) -> Rows:
    """One row per year, each with the course."""
    return item_rows(data, course=data.get("course"), name=data.get("name"))


@rows_of(Changes)
def _changes(data: Data) -> Rows:
    """One row per course, then (without a course filter) the all-course row and the
    all-course row without new courses; each with `from` and `to`."""
    years = {"from": data.get("from"), "to": data.get("to")}
    rows = [{**years, **item} for item in data.get("items") or []]
    if data.get("all_courses"):
        rows.append({**years, **WHOLE, **data["all_courses"]})
    if data.get("excluding_new_courses"):
        label = f"All courses first offered before {data.get('from')}"
        established = {"course": "(established courses)", "name": label}
        rows.append({**years, **established, **data["excluding_new_courses"]})
    return [_listed(row) for row in rows]


@rows_of(Shares)
def _shares(data: Data) -> Rows:
    """One row per course, then the all-course row (100%), each with the year and the
    months it covers."""
    envelope = {k: data.get(k) for k in ("year", "months_covered", "complete", "months_label")}
    whole = {**WHOLE, "total": data.get("year_total"), "share_pct": 100.0}
    return [*item_rows(data, **envelope), {**envelope, **whole}]


@rows_of(Records)
def _records(data: Data) -> Rows:
    """One row per course record, then the all-course records, labelled."""
    return [*item_rows(data), *({**WHOLE, **r} for r in data.get("all_courses") or [])]


@rows_of(Totals)
def _totals(data: Data) -> Rows:
    """One row per total; totals of all courses (`by=year` without a course) labelled."""
    rows = item_rows(data)
    if data.get("by") == "year":
        rows = [{**r, **WHOLE} if r.get("course") is None else r for r in rows]
    return rows


@rows_of(Rolling)
def _rolling(data: Data) -> Rows:
    """One row per course, then (without a course filter) the all-course row; each with
    the window, and its parts written out (`Sep–Dec 2018 = 773 (2018 − Jan–Aug 2018)`)."""
    window = {k: data.get(k) for k in ("start", "end", "months")}
    rows = []
    for item in data.get("items") or []:
        row = {**window, **item}
        for key in ("parts", "previous_parts"):
            if isinstance(row.get(key), list):
                row[key] = "; ".join(_part_text(p) for p in row[key])
        rows.append(row)
    if data.get("all_courses"):
        rows.append({**window, **WHOLE, **data["all_courses"]})
    return rows


def _part_text(part: Data) -> str:
    text = f"{part.get('label')} = {part.get('total')}"
    return f"{text} ({part['derivation']})" if part.get("derivation") else text
