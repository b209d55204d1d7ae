"""Sources of figures."""

from fastapi import Path, Request
from fastapi.responses import JSONResponse

from app import urls
from app.api.auth import WriteKey
from app.api.deps import WriteSessionDep
from app.api.params import Cursor, IdempotencyKey, Limit
from app.api.reader import reader
from app.api.representations import RenderedRoute
from app.api.routes.prefix import PrefixRouter
from app.api.writes import created
from app.schemas.common import Page, problem_responses
from app.schemas.resources import SourceOut
from app.schemas.writes import SourceIn
from app.services import catalog
from app.urls import API

router = PrefixRouter(
    prefix=f"{API}/sources",
    tags=["sources"],
    route_class=RenderedRoute,
)


@router.get("", summary="List sources", responses=problem_responses(422))
async def list_sources(
    request: Request, limit: Limit = 100, cursor: Cursor = None
) -> Page[SourceOut]:
    """Every source, in the order it was added."""
    read = reader(request)
    return await read(
        lambda s: Page[SourceOut].of(
            catalog.list_sources(s, limit=limit, cursor=cursor), SourceOut.model_validate
        ),
        bounded=True,
    )


@router.get("/{source_id:int}", summary="Get a source", responses=problem_responses(404, 422))
async def get_source(
    request: Request, source_id: int = Path(ge=1, le=2**31 - 1, examples=[1])
) -> SourceOut:
    """One source by id."""
    read = reader(request)
    return await read(
        lambda s: SourceOut.model_validate(catalog.get_source(s, source_id=source_id)),
        bounded=True,
    )


@router.post(
    "",
    summary="Add a source",
    status_code=201,
    response_model=SourceOut,
    responses=problem_responses(401, 403, 409, 413, 422, 429),
)
def create_source(
    request: Request,
    session: WriteSessionDep,
    who: WriteKey,
    data: SourceIn,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """A new source of figures; 409 if one with the same title, publisher and date exists."""

    def make() -> tuple[SourceOut, str, dict[str, str]]:
        source = catalog.create_source(session, data=data, actor=who.actor)
        return SourceOut.model_validate(source), urls.source(source.id), {}

    return created(request, session, who, idempotency_key, data.model_dump_json(), make)
