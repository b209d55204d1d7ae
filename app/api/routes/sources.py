"""Sources of figures."""

from fastapi import APIRouter, Path

from app.api.deps import Cursor, Limit, SessionDep
from app.schemas.common import Page, problem_responses
from app.schemas.resources import SourceOut
from app.services import catalog

router = APIRouter(prefix="/sources", tags=["sources"])


@router.get("", summary="List sources", responses=problem_responses(422))
def list_sources(session: SessionDep, limit: Limit = 100, cursor: Cursor = None) -> Page[SourceOut]:
    """Every source, in the order it was added."""
    page = catalog.list_sources(session, limit=limit, cursor=cursor)
    return Page(
        items=[SourceOut.model_validate(s) for s in page.items],
        total=page.total,
        next_cursor=page.next_cursor,
    )


@router.get("/{source_id}", summary="Get a source", responses=problem_responses(404, 422))
def get_source(
    session: SessionDep, source_id: int = Path(ge=1, le=2**31 - 1, examples=[1])
) -> SourceOut:
    """One source by id."""
    return SourceOut.model_validate(catalog.get_source(session, source_id=source_id))
