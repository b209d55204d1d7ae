"""Courses and their yearly series."""

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import JSONResponse

from app.api.csv_route import CSVRoute, format_param
from app.api.deps import (
    AsOf,
    Cursor,
    IdempotencyKey,
    Limit,
    SessionDep,
    WriteKey,
    WriteSessionDep,
)
from app.api.writes import created
from app.schemas.common import Page, problem_responses
from app.schemas.resources import CourseOut
from app.schemas.stats import Series
from app.schemas.writes import CourseIn, CourseUpdate
from app.services import catalog, history, stats

router = APIRouter(
    prefix="/courses",
    tags=["courses"],
    route_class=CSVRoute,
    dependencies=[Depends(format_param)],
)

Slug = Path(description="The course's slug.", max_length=100, examples=["basic-sro"])


@router.get("", summary="List courses", responses=problem_responses(422))
def list_courses(session: SessionDep, limit: Limit = 100, cursor: Cursor = None) -> Page[CourseOut]:
    """Every course, in the order it was added."""
    page = catalog.list_courses(session, limit=limit, cursor=cursor)
    return Page(
        items=[CourseOut.model_validate(c) for c in page.items],
        total=page.total,
        next_cursor=page.next_cursor,
    )


@router.get("/{slug}", summary="Get a course", responses=problem_responses(404, 422))
def get_course(session: SessionDep, slug: str = Slug) -> CourseOut:
    """One course by its slug."""
    return CourseOut.model_validate(catalog.get_course(session, slug=slug))


@router.get(
    "/{slug}/series", summary="A course's yearly totals", responses=problem_responses(404, 422)
)
def get_series(session: SessionDep, slug: str = Slug, as_of: AsOf = None) -> Series:
    """The course's total for each year with figures (R5: nested periods never double count)."""
    return stats.series(session, slug=slug, as_of=history.parse_as_of(as_of))


@router.post(
    "",
    summary="Add a course",
    status_code=201,
    response_model=CourseOut,
    responses=problem_responses(401, 403, 409, 422),
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
        return CourseOut.model_validate(course), f"/api/v1/courses/{course.slug}", {}

    return created(request, session, who, idempotency_key, data.model_dump_json(), make)


@router.patch("/{slug}", summary="Change a course", responses=problem_responses(401, 403, 404, 422))
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
    responses=problem_responses(401, 403, 404, 409, 422),
)
def delete_course(session: WriteSessionDep, who: WriteKey, slug: str = Slug) -> Response:
    """Delete a course; 409 while it has figures (or figure history)."""
    catalog.delete_course(session, slug=slug, actor=who.actor)
    return Response(status_code=204)
