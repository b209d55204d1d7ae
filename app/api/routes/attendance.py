"""Figures: completions of one course in one period."""

from fastapi import APIRouter, Path

from app.api.deps import CourseFilter, Cursor, Limit, OptionalYear, SessionDep
from app.schemas.common import Page, problem_responses
from app.schemas.resources import AttendanceOut, attendance_out
from app.services import attendance

router = APIRouter(prefix="/attendance", tags=["attendance"])


@router.get("", summary="List figures", responses=problem_responses(404, 422))
def list_attendance(
    session: SessionDep,
    course: CourseFilter = None,
    year: OptionalYear = None,
    year_from: OptionalYear = None,
    year_to: OptionalYear = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Page[AttendanceOut]:
    """Figures matching every filter, oldest first; an unknown course is a 404."""
    page = attendance.list_figures(
        session,
        course=course,
        year=year,
        year_from=year_from,
        year_to=year_to,
        limit=limit,
        cursor=cursor,
    )
    return Page(
        items=[attendance_out(f) for f in page.items],
        total=page.total,
        next_cursor=page.next_cursor,
    )


@router.get("/{figure_id}", summary="Get a figure", responses=problem_responses(404, 422))
def get_attendance(
    session: SessionDep, figure_id: int = Path(ge=1, le=2**31 - 1, examples=[2])
) -> AttendanceOut:
    """One figure by id."""
    return attendance_out(attendance.get_figure(session, figure_id=figure_id))
