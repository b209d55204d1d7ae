"""The public dataset whole: a Frictionless Data Package descriptor and its CSVs."""

from collections.abc import Iterator
from typing import Any, Literal, get_args

from fastapi import Request
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from app.api.representations import CSV
from app.api.routes.prefix import PrefixRouter
from app.api.state import state_of
from app.schemas.common import problem_responses
from app.services import package
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


@router.get(
    "/data/{table}.csv",
    summary="One table of the public dataset, whole, as CSV",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {
                "text/csv": {
                    "schema": {"type": "string"},
                }
            },
            "description": "CSV.",
        },
        **problem_responses(404, 422),
    },
)
def get_table_csv(request: Request, table: TableName) -> StreamingResponse:
    """Every row of the table in id order, streamed as it is read (flat memory, a
    million figures in one response); columns as in `datapackage.json`.
    `data/figures.csv` is every figure as it stands now."""
    resource = PUBLIC[table]
    session: Session = state_of(request.app).sessionmaker()
    try:
        chunks = package.csv_chunks(session, resource)
        first = next(chunks)  # the query runs here: a busy pool is a 503, not a cut-off body
    except BaseException:
        session.close()
        raise

    def stream() -> Iterator[str]:
        try:
            yield first
            yield from chunks
        finally:
            session.close()

    return StreamingResponse(
        stream(),
        media_type=CSV.media_type,
        headers={"Content-Disposition": f'attachment; filename="{resource.path}"'},
    )
