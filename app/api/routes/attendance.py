"""Figures: completions of one course in one period; reads, writes, revisions, import."""

from typing import Annotated, Any, Literal

from fastapi import Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from app import urls
from app.api.auth import WriteKey
from app.api.deps import WriteSessionDep
from app.api.params import (
    AsOf,
    CourseFilter,
    Cursor,
    IdempotencyKey,
    IfMatch,
    Limit,
    OptionalYear,
    VintageDate,
)
from app.api.reader import reader
from app.api.representations import RenderedRoute
from app.api.routes.prefix import PrefixRouter
from app.api.state import state_of
from app.api.writes import created
from app.errors import Invalid
from app.schemas.common import Page, problem_responses
from app.schemas.resources import (
    AttendanceOut,
    ImportReportOut,
    Revisions,
    attendance_out,
    revision_out,
)
from app.schemas.writes import FigureIn, FigurePatch
from app.services import attendance, history, imports
from app.urls import API

router = PrefixRouter(
    prefix=f"{API}/attendance",
    tags=["attendance"],
    route_class=RenderedRoute,
)

FigureId = Annotated[int, Path(ge=1, le=2**31 - 1, examples=[2])]
WRITE_ERRORS = problem_responses(401, 403, 404, 409, 412, 413, 422, 429)


@router.get("", summary="List figures", responses=problem_responses(404, 422))
async def list_attendance(
    request: Request,
    course: CourseFilter = None,
    year: OptionalYear = None,
    year_from: OptionalYear = None,
    year_to: OptionalYear = None,
    as_of: AsOf = None,
    vintage: VintageDate = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Page[AttendanceOut]:
    """Figures matching every filter, oldest first (as they stood at `as_of`, if given);
    an unknown course is a 404."""
    read = reader(request)
    at = history.parse_vintage(as_of, vintage)
    return await read(
        lambda s: Page[AttendanceOut].of(
            attendance.list_figures(
                s,
                course=course,
                year=year,
                year_from=year_from,
                year_to=year_to,
                at=at,
                limit=limit,
                cursor=cursor,
            ),
            attendance_out,
        ),
        bounded=True,
        at=at,
    )


@router.get("/{figure_id:int}", summary="Get a figure", responses=problem_responses(404, 422))
async def get_attendance(
    request: Request,
    response: Response,
    figure_id: FigureId,
    as_of: AsOf = None,
    vintage: VintageDate = None,
) -> AttendanceOut:
    """One figure by id, with its version as the `ETag` (for `If-Match` on writes)."""
    read = reader(request)
    at = history.parse_vintage(as_of, vintage)
    row = await read(
        lambda s: attendance.get_figure_row(s, figure_id=figure_id, at=at), bounded=True, at=at
    )
    response.headers["ETag"] = attendance.etag(row)
    return attendance_out(row)


@router.get(
    "/{figure_id:int}/revisions",
    summary="A figure's revisions",
    responses=problem_responses(404, 422),
)
async def get_revisions(request: Request, figure_id: FigureId) -> Revisions:
    """Every value the figure has had, oldest first: when, by which key, from which source;
    a deleted figure's revisions stay, ending with the `delete`."""
    read = reader(request)
    items = await read(
        lambda s: [revision_out(r) for r in history.revisions(s, figure_id=figure_id)],
        bounded=True,
    )
    return Revisions(figure_id=figure_id, items=items, total=len(items))


def _written(session: Any, figure_id: int) -> tuple[AttendanceOut, str]:
    row = attendance.get_figure_row(session, figure_id=figure_id)
    return attendance_out(row), attendance.etag(row)


@router.post(
    "",
    summary="Add a figure",
    status_code=201,
    response_model=AttendanceOut,
    responses=problem_responses(401, 403, 409, 413, 422, 429),
)
def create_attendance(
    request: Request,
    session: WriteSessionDep,
    who: WriteKey,
    data: FigureIn,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Store a new figure after checking R1–R4 (409 for a clash with a stored figure, 422
    for a bad value); `Location` names it. A repeat with the same `Idempotency-Key`
    replays the first answer."""

    def make() -> tuple[AttendanceOut, str, dict[str, str]]:
        figure = attendance.create(session, data=data, actor=who.actor)
        body, tag = _written(session, figure.id)
        return body, urls.figure(figure.id), {"ETag": tag}

    return created(request, session, who, idempotency_key, data.model_dump_json(), make)


@router.put("/{figure_id:int}", summary="Replace a figure", responses=WRITE_ERRORS)
def replace_attendance(
    session: WriteSessionDep,
    who: WriteKey,
    response: Response,
    figure_id: FigureId,
    data: FigureIn,
    if_match: IfMatch = None,
) -> AttendanceOut:
    """Revise every field of a figure (R1–R4 checked); the old values stay as a revision.
    With `If-Match`, 412 if the figure changed since that ETag."""
    attendance.revise(session, figure_id=figure_id, data=data, actor=who.actor, if_match=if_match)
    body, response.headers["ETag"] = _written(session, figure_id)
    return body


@router.patch("/{figure_id:int}", summary="Revise a figure", responses=WRITE_ERRORS)
def patch_attendance(
    session: WriteSessionDep,
    who: WriteKey,
    response: Response,
    figure_id: FigureId,
    data: FigurePatch,
    if_match: IfMatch = None,
) -> AttendanceOut:
    """Revise the fields given (omitted ones keep their value; `note: null` clears the
    note). With `If-Match`, 412 if the figure changed since that ETag."""
    attendance.revise(session, figure_id=figure_id, data=data, actor=who.actor, if_match=if_match)
    body, response.headers["ETag"] = _written(session, figure_id)
    return body


@router.delete(
    "/{figure_id:int}", summary="Delete a figure", status_code=204, responses=WRITE_ERRORS
)
def delete_attendance(
    session: WriteSessionDep, who: WriteKey, figure_id: FigureId, if_match: IfMatch = None
) -> Response:
    """Remove a figure from current answers; its revisions and earlier `as_of` answers
    keep it."""
    attendance.delete(session, figure_id=figure_id, actor=who.actor, if_match=if_match)
    return Response(status_code=204)


IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"type": "array", "items": {"$ref": "#/components/schemas/FigureIn"}},
                "example": [
                    {
                        "course": "basic-sro",
                        "period": "2019-09/2019-12",
                        "completions": 600,
                        "source_id": 1,
                    }
                ],
            },
            "text/csv": {
                "schema": {"type": "string"},
                "example": "course,period,completions,status,note,source_id\n"
                "basic-sro,2019-09/2019-12,600,final,,1\n",
            },
            imports.XLSX: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


@router.post(
    "/import",
    summary="Import figures (all or nothing)",
    response_model=ImportReportOut,
    responses=problem_responses(401, 403, 413, 422, 429),
    openapi_extra=IMPORT_BODY,
)
async def import_attendance(
    request: Request,
    session: WriteSessionDep,
    who: WriteKey,
    mode: Annotated[
        Literal["create", "upsert"],
        Query(description="`upsert` revises figures whose period exists; `create` refuses them."),
    ] = "create",
    dry_run: Annotated[
        bool,
        Query(description="Check and report what the import would do; store nothing."),
    ] = False,
) -> ImportReportOut:
    """A JSON array of figures, a `text/csv` file with the same columns, or an XLSX
    workbook (its first sheet, a header row as in CSV). Every row is checked against
    R1–R5 and the other rows first; one bad row and nothing is stored, and the 422
    lists each bad row (CSV and JSON: 1-based, the header not counted; XLSX: the
    sheet's own row numbers). `dry_run=true` answers the same, with `"dry_run": true`,
    and stores nothing."""
    body = await request.body()
    kind = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if kind not in ("text/csv", "application/json", imports.XLSX, ""):
        raise Invalid(f"Send application/json, text/csv or {imports.XLSX}, not {kind}.")
    max_rows = state_of(request.app).settings.import_max_rows

    def work() -> imports.ImportReport:  # parsing a 64 MiB body is no work for the event loop
        rows = imports.read_body(body, kind, max_rows=max_rows)
        return imports.run(
            session, rows, actor=who.actor, mode=mode, max_rows=max_rows, dry_run=dry_run
        )

    report = await run_in_threadpool(work)
    return ImportReportOut(**vars(report))
