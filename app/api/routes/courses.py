"""Courses and their yearly series."""

from fastapi import APIRouter, Path

from app.api.deps import Cursor, Limit, SessionDep
from app.schemas.common import Page, problem_responses
from app.schemas.resources import CourseOut
from app.schemas.stats import Series
from app.services import catalog, stats

router = APIRouter(prefix="/courses", tags=["courses"])

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
def get_series(session: SessionDep, slug: str = Slug) -> Series:
    """The course's total for each year with figures (R5: nested periods never double count)."""
    return stats.series(session, slug=slug)
