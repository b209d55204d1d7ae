"""The CSV's rows as typed files: Parquet (pyarrow) and XLSX (openpyxl, write-only).

Both take the rows `app.api.tables` gives the CSV, in the CSV's column order, and type
each column from the answer's model: int64 counts, float64 percentages and estimates,
bool flags, timestamps in UTC, text; a value a column's type cannot hold (a model that
says `float` where every value is whole is still float64) is never coerced: the column
falls back to what its values are. Lists and objects are JSON text, as in the CSV.

What the CSV cannot carry travels beside the rows: the request, `as_of` and `vintage`,
the answer's envelope (everything it says of all its rows), the sources and what each
column means. Parquet keeps them in the file's key-value metadata (one JSON value per
key), XLSX in a sheet `about`.

pyarrow and openpyxl are imported on first use: a worker that never serves these
formats never loads them.
"""

import io
import json
import types
from datetime import UTC, date, datetime
from enum import Enum
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from app.schemas.glossary import GLOSSARY

if TYPE_CHECKING:
    import pyarrow as pa

Data = dict[str, Any]
Kind = Literal["int", "float", "bool", "text", "datetime", "date"]
PARQUET_MEDIA = "application/vnd.apache.parquet"
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _kind(annotation: Any) -> Kind | None:
    """The column kind of a field's annotation; None for nested models and lists."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _kind(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        kinds = {_kind(a) for a in get_args(annotation) if a is not type(None)}
        return kinds.pop() if len(kinds) == 1 else None
    if origin is Literal:
        return _kind(type(get_args(annotation)[0]))
    if origin is not None or not isinstance(annotation, type):
        return None
    if issubclass(annotation, bool):
        return "bool"
    if issubclass(annotation, int) and not issubclass(annotation, Enum):
        return "int"
    if issubclass(annotation, float):
        return "float"
    if issubclass(annotation, datetime):
        return "datetime"
    if issubclass(annotation, date):
        return "date"
    if issubclass(annotation, str | Enum):
        return "text"
    return None


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for a in get_args(annotation) for m in _models_in(a)]


@cache
def column_kinds(model: type[BaseModel]) -> dict[str, Kind]:
    """The kind of every field of `model` and of the models inside it, by the name the
    JSON gives it; the outer model's word wins where two disagree."""
    kinds: dict[str, Kind] = {}
    for name, field in model.model_fields.items():
        kind = _kind(field.annotation)
        if kind is not None:
            kinds.setdefault(field.alias or name, kind)
    for field in model.model_fields.values():
        for inner in _models_in(field.annotation):
            if inner is not model:
                for name, kind in column_kinds(inner).items():
                    kinds.setdefault(name, kind)
    return kinds


def columns(rows: list[Data]) -> list[str]:
    """Every column, in the order it first appears (the CSV's order)."""
    found: dict[str, None] = {}
    for row in rows:
        found.update(dict.fromkeys(row))
    return list(found)


def _plain(value: Any) -> Any:
    """A value as a typed cell takes it: lists and objects as JSON text."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def _when(value: Any, kind: Kind) -> Any:
    if isinstance(value, str) and kind == "datetime":
        return datetime.fromisoformat(value).astimezone(UTC)
    if isinstance(value, str) and kind == "date":
        return date.fromisoformat(value)
    return value


def described(names: list[str]) -> dict[str, str]:
    """What each column means, from the glossary the OpenAPI document uses."""
    return {name: GLOSSARY[name] for name in names if name in GLOSSARY}


# --- Parquet -------------------------------------------------------------------------


def _arrow_type(kind: Kind | None) -> "pa.DataType | None":
    import pyarrow as pa

    return {
        "int": pa.int64(),
        "float": pa.float64(),
        "bool": pa.bool_(),
        "text": pa.string(),
        "datetime": pa.timestamp("us", tz="UTC"),
        "date": pa.date32(),
        None: None,
    }[kind]


def _array(values: list[Any], kind: Kind | None) -> "pa.Array":
    import pyarrow as pa

    wanted = _arrow_type(kind)
    if wanted is not None:
        try:
            return pa.array([_when(v, kind) if kind else v for v in values], type=wanted)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
            pass  # the model's word does not fit these values: type them as they are
    if all(v is None for v in values):
        return pa.array(values, type=pa.string())
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else str(v) for v in values], type=pa.string())


def metadata(about: Data) -> dict[bytes, bytes]:
    """Parquet key-value metadata: each item of `about` as JSON under its own key."""
    return {
        k.encode(): json.dumps(v, ensure_ascii=False, default=str).encode()
        for k, v in about.items()
    }


def parquet(model: type[BaseModel], rows: list[Data], about: Data) -> bytes:
    """The rows as one Parquet file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = columns(rows)
    kinds = column_kinds(model)
    arrays = [_array([_plain(r.get(n)) for r in rows], kinds.get(n)) for n in names]
    table = pa.table(dict(zip(names, arrays, strict=True)))
    about = {**about, "columns": described(names)}
    table = table.replace_schema_metadata(metadata(about))
    out = io.BytesIO()
    pq.write_table(table, out, compression="zstd")
    return out.getvalue()


# --- XLSX ----------------------------------------------------------------------------


def _xlsx_value(value: Any, kind: Kind | None) -> Any:
    value = _plain(value)
    if kind in ("datetime", "date") and isinstance(value, str):
        try:
            value = _when(value, kind)
        except ValueError:
            return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)  # Excel has no zones: UTC
    return value


def _text_cell(sheet: Any, value: Any) -> Any:
    """A cell; text is always text (a leading `=` is not a formula to evaluate)."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def xlsx(model: type[BaseModel], rows: list[Data], about: Data, *, title: str) -> bytes:
    """The rows as a workbook: a sheet of the rows (header as in the CSV), then `about`."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    names = columns(rows)
    kinds = column_kinds(model)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31] or "data")
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for name in names:
        cell = _text_cell(sheet, name)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([_text_cell(sheet, _xlsx_value(row.get(n), kinds.get(n))) for n in names])
    notes = book.create_sheet("about")
    for key, value in about.items():
        notes.append([_text_cell(notes, key), _text_cell(notes, _about_text(value))])
    notes.append([])
    notes.append([_text_cell(notes, "column"), _text_cell(notes, "meaning")])
    for name, meaning in described(names).items():
        notes.append([_text_cell(notes, name), _text_cell(notes, meaning)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _about_text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value
