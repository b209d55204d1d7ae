"""The public dataset whole: a Frictionless Data Package descriptor and its CSVs."""

from collections.abc import Iterator
from typing import Any, Literal, get_args

from fastapi import Request
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from app.api.formats import CSV, PARQUET
from app.api.routes.prefix import PrefixRouter
from app.api.state import state_of
from app.schemas.common import problem_responses
from app.services import package, package_parquet
from app.urls import API

router = PrefixRouter(prefix=API, tags=["data"])

PUBLIC = {r.name: r for r in package.RESOURCES if r.public}
TableName = Literal["sources", "courses", "figures", "figure_revisions"]
assert set(get_args(TableName)) == set(PUBLIC)


DESCRIPTOR_EXAMPLE = {
    "name": "enrollment-stats",
    "title": "Training enrollment statistics",
    "resources": [
        {
            "name": "figures",
            "path": "data/figures.csv",
            "format": "csv",
            "schema": {
                "fields": [
                    {"name": "id", "type": "integer", "constraints": {"required": True}},
                    {"name": "course_id", "type": "integer", "constraints": {"required": True}},
                    {"name": "completions", "type": "integer", "constraints": {"required": True}},
                ],
                "primaryKey": ["id"],
                "foreignKeys": [
                    {"fields": "course_id", "reference": {"resource": "courses", "fields": "id"}}
                ],
            },
        }
    ],
}


@router.get(
    "/datapackage.json",
    summary="The public dataset as a Frictionless Data Package",
    responses={200: {"content": {"application/json": {"example": DESCRIPTOR_EXAMPLE}}}},
)
async def get_datapackage() -> dict[str, Any]:
    """The descriptor of the public dataset (courses, sources, figures and every
    revision): each table's CSV (`data/{table}.csv`, relative to this URL) with its
    Table Schema, primary and foreign keys. `frictionless`, pandas or R load the
    whole dataset from this one URL."""
    return package.descriptor(public=True, base="data/")


def _streamed(
    request: Request, table: str, chunks_of: Any, media_type: str, suffix: str
) -> StreamingResponse:
    resource = PUBLIC[table]
    session: Session = state_of(request.app).sessionmaker()
    try:
        chunks = chunks_of(session, resource)
        first = next(chunks)  # the query runs here: a busy pool is a 503, not a cut-off body
    except BaseException:
        session.close()
        raise

    def stream() -> Iterator[Any]:
        try:
            yield first
            yield from chunks
        finally:
            session.close()

    name = f"{resource.name}{suffix}"
    return StreamingResponse(
        stream(),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/data/{table}.csv",
    summary="One table of the public dataset, whole, as CSV",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "CSV."},
        **problem_responses(404, 422),
    },
)
def get_table_csv(request: Request, table: TableName) -> StreamingResponse:
    """Every row of the table in id order, streamed as it is read (flat memory, a
    million figures in one response); columns as in `datapackage.json`.
    `data/figures.csv` is every figure as it stands now."""
    return _streamed(request, table, package.csv_chunks, CSV.media_type, ".csv")


@router.get(
    "/data/{table}.parquet",
    summary="One table of the public dataset, whole, as Parquet",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {PARQUET.media_type: {"schema": {"type": "string", "format": "binary"}}},
            "description": "Parquet.",
        },
        **problem_responses(404, 422),
    },
)
def get_table_parquet(request: Request, table: TableName) -> StreamingResponse:
    """The table of `data/{table}.csv` as one Parquet file, typed as `datapackage.json`
    says (integers int64, timestamps in UTC to the microsecond, objects as JSON text),
    written a row group of 5,000 rows at a time as it is read (flat memory)."""
    return _streamed(request, table, package_parquet.parquet_chunks, PARQUET.media_type, ".parquet")
