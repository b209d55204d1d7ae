"""Statistics: totals, changes between years, shares and records."""

from typing import Annotated

from fastapi import Query, Request

from app.api.params import AsOf, CourseFilter, OptionalYear, VintageDate
from app.api.reader import reader
from app.api.representations import RenderedRoute
from app.api.routes.prefix import PrefixRouter
from app.schemas.common import problem_responses
from app.schemas.stats import Changes, Records, Rolling, Shares, Totals, TotalsBy
from app.services import history, stats
from app.urls import API

router = PrefixRouter(
    prefix=f"{API}/stats",
    tags=["stats"],
    route_class=RenderedRoute,
)


@router.get(
    "/totals", summary="Totals by year, course, or both", responses=problem_responses(404, 422)
)
async def get_totals(
    request: Request,
    by: Annotated[TotalsBy, Query(description="Grouping.")] = "year",
    course: CourseFilter = None,
    year_from: OptionalYear = None,
    year_to: OptionalYear = None,
    as_of: AsOf = None,
    vintage: VintageDate = None,
) -> Totals:
    """Totals grouped `by` year (R6), course (summed over years) or `course_year` (R5)."""
    read = reader(request)
    at = history.parse_vintage(as_of, vintage)
    return await read(
        lambda s: stats.totals(
            s, by=by, course=course, year_from=year_from, year_to=year_to, at=at
        ),
        bounded=course is not None,
        at=at,
    )


@router.get("/changes", summary="Change between two years", responses=problem_responses(404, 422))
async def get_changes(
    request: Request,
    from_year: Annotated[int, Query(alias="from", ge=1900, le=9999, examples=[2018])],
    to_year: Annotated[int, Query(alias="to", ge=1900, le=9999, examples=[2019])],
    course: CourseFilter = None,
    as_of: AsOf = None,
    vintage: VintageDate = None,
) -> Changes:
    """Per course and for all courses: totals, change, percent change, whether the years
    cover the same months, a like-for-like comparison when the data has one, each
    course's contribution to the all-course change in percentage points, the comparison
    without courses first offered in or after `from`, projections of a partial `to` year
    (linear, and seasonal when earlier years allow; labelled, never observations) and
    whether `to` is a record."""
    read = reader(request)
    at = history.parse_vintage(as_of, vintage)
    return await read(
        lambda s: stats.changes(s, from_year=from_year, to_year=to_year, course=course, at=at),
        bounded=False,  # every course's `from` total, for each row's contribution
    )


@router.get(
    "/shares", summary="Each course's share of a year", responses=problem_responses(404, 422)
)
async def get_shares(
    request: Request,
    year: OptionalYear = None,
    as_of: AsOf = None,
    vintage: VintageDate = None,
) -> Shares:
    """Each course's share of the year's total (by default the latest year with figures),
    one decimal, largest first, with the months the year covers."""
    read = reader(request)
    at = history.parse_vintage(as_of, vintage)
    return await read(lambda s: stats.shares(s, year=year, at=at), bounded=True, at=at)


@router.get("/records", summary="Record years", responses=problem_responses(404, 422))
async def get_records(
    request: Request,
    year: OptionalYear = None,
    course: CourseFilter = None,
    as_of: AsOf = None,
    vintage: VintageDate = None,
) -> Records:
    """Years whose total beat every earlier year's, per course (`items`) and for all
    courses together (`all_courses`); a partial year that already beats them counts."""
    read = reader(request)
    at = history.parse_vintage(as_of, vintage)
    return await read(
        lambda s: stats.records(s, year=year, course=course, at=at),
        bounded=course is not None,
        at=at,
    )


@router.get(
    "/rolling", summary="Rolling totals (e.g. twelve months)", responses=problem_responses(404, 422)
)
async def get_rolling(
    request: Request,
    end: Annotated[
        str | None,
        Query(
            pattern=r"^(19|[2-9]\d)\d{2}-(0[1-9]|1[0-2])$",
            description="Last month of the window, `YYYY-MM`; by default the latest month "
            "that ends a figure.",
            examples=["2019-08"],
        ),
    ] = None,
    months: Annotated[int, Query(ge=1, le=120, description="Length of the window.")] = 12,
    course: CourseFilter = None,
    as_of: AsOf = None,
    vintage: VintageDate = None,
) -> Rolling:
    """The total of the `months` months ending with `end`, per course and (without
    `course`) for all courses, and of the same months a year earlier, only when the
    figures determine it exactly: by adding disjoint figures and subtracting nested ones
    from their container (`derived` parts); months before a course was first offered
    are zero. Never estimated; when unavailable, `reason` names the months."""
    read = reader(request)
    at = history.parse_vintage(as_of, vintage)
    return await read(
        lambda s: stats.rolling(s, end=end, months=months, course=course, at=at),
        bounded=course is not None,
        at=at,
    )
