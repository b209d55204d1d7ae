"""Courses and their yearly series."""

from fastapi import Path, Request, Response
from fastapi.responses import JSONResponse

from app import urls
from app.api.auth import WriteKey
from app.api.deps import WriteSessionDep
from app.api.params import AsOf, Cursor, IdempotencyKey, Limit, VintageDate
from app.api.reader import reader
from app.api.representations import RenderedRoute
from app.api.routes.prefix import PrefixRouter
from app.api.writes import created
from app.schemas.common import Page, problem_responses
from app.schemas.resources import CourseOut
from app.schemas.stats import Series
from app.schemas.writes import CourseIn, CourseUpdate
from app.services import catalog, history, stats
from app.urls import API

router = PrefixRouter(
    prefix=f"{API}/courses",
    tags=["courses"],
    route_class=RenderedRoute,
)

Slug = Path(description="The course's slug.", max_length=100, examples=["basic-sro"])


@router.get("", summary="List courses", responses=problem_responses(422))
async def list_courses(
    request: Request, limit: Limit = 100, cursor: Cursor = None
) -> Page[CourseOut]:
    """Every course, in the order it was added."""
    read = reader(request)
    return await read(
        lambda s: Page[CourseOut].of(
            catalog.list_courses(s, limit=limit, cursor=cursor), CourseOut.model_validate
        ),
        bounded=True,
    )


@router.get("/{slug}", summary="Get a course", responses=problem_responses(404, 422))
async def get_course(request: Request, slug: str = Slug) -> CourseOut:
    """One course by its slug."""
    read = reader(request)
    return await read(
        lambda s: CourseOut.model_validate(catalog.get_course(s, slug=slug)), bounded=True
    )


@router.get(
    "/{slug}/series", summary="A course's yearly totals", responses=problem_responses(404, 422)
)
async def get_series(
    request: Request, slug: str = Slug, as_of: AsOf = None, vintage: VintageDate = None
) -> Series:
    """The course's total for each year with figures (R5: nested periods never double count)."""
    read = reader(request)
    at = history.parse_vintage(as_of, vintage)
    return await read(lambda s: stats.series(s, slug=slug, at=at), bounded=True, at=at)


@router.post(
    "",
    summary="Add a course",
    status_code=201,
    response_model=CourseOut,
    responses=problem_responses(401, 403, 409, 413, 422, 429),
)
def create_course(
    request: Request,
    session: WriteSessionDep,
    who: WriteKey,
    data: CourseIn,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """A new course; 409 if the slug is taken."""

    def make() -> tuple[CourseOut, str, dict[str, str]]:
        course = catalog.create_course(session, data=data, actor=who.actor)
        return CourseOut.model_validate(course), urls.course(course.slug), {}

    return created(request, session, who, idempotency_key, data.model_dump_json(), make)


@router.patch(
    "/{slug}", summary="Change a course", responses=problem_responses(401, 403, 404, 413, 422, 429)
)
def update_course(
    session: WriteSessionDep, who: WriteKey, data: CourseUpdate, slug: str = Slug
) -> CourseOut:
    """Change the fields given; the slug stays."""
    course = catalog.update_course(session, slug=slug, data=data, actor=who.actor)
    return CourseOut.model_validate(course)


@router.delete(
    "/{slug}",
    summary="Delete a course",
    status_code=204,
    responses=problem_responses(401, 403, 404, 409, 413, 422, 429),
)
def delete_course(session: WriteSessionDep, who: WriteKey, slug: str = Slug) -> Response:
    """Delete a course; 409 while it has figures (or figure history)."""
    catalog.delete_course(session, slug=slug, actor=who.actor)
    return Response(status_code=204)
