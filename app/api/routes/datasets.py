"""JSON-stat 2.0 datasets: the figures in force and the year totals, as cubes."""

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from anyio import to_thread
from fastapi import Request, Response
from fastapi.responses import JSONResponse

from app.api import jsonstat
from app.api.params import AsOf, CourseFilter, OptionalYear, VintageDate
from app.api.reader import reader
from app.api.routes.prefix import PrefixRouter
from app.api.state import state_of
from app.schemas.common import problem_responses
from app.services import cubes, history
from app.services.filters import Filters
from app.urls import API

PREFIX = f"{API}/datasets"
router = PrefixRouter(prefix=PREFIX, tags=["datasets"])


def _href(request: Request) -> str:
    """The request's absolute address, at the service's public address (a setting, so
    that a cached answer is the same whatever `Host` asked for it)."""
    query = urlencode(request.query_params.multi_items())
    base = state_of(request.app).settings.base_url
    return f"{base}{request.url.path}" + (f"?{query}" if query else "")


async def _json(build: Callable[[], dict[str, Any]]) -> Response:
    """The dataset built and serialised in a worker thread: a cube of a million figures
    takes seconds, which the event loop must not spend."""

    def body() -> bytes:
        return json.dumps(build(), ensure_ascii=False, separators=(",", ":")).encode()

    return Response(await to_thread.run_sync(body), media_type="application/json")


def _about(request: Request) -> dict[str, Any]:
    return {
        "as_of": request.query_params.get("as_of"),
        "vintage": request.query_params.get("vintage"),
        "figures": f"{API}/attendance",
        "api": f"{API}/openapi.json",
    }


@router.get(
    "",
    summary="The JSON-stat collection of datasets",
    response_model=jsonstat.Collection,
    responses=problem_responses(422),
)
async def get_collection(request: Request) -> JSONResponse:
    """A JSON-stat 2.0 `collection` linking each dataset (`completions`, `year-totals`)."""
    updated = await reader(request)(
        lambda s: history.last_write_at(s, datetime.now(UTC)), bounded=True
    )
    base = state_of(request.app).settings.base_url + PREFIX
    body = jsonstat.collection(base=base, href=_href(request), updated=updated)
    return JSONResponse(body)


@router.get(
    "/completions",
    summary="Completions by course and period (JSON-stat)",
    response_model=jsonstat.Dataset,
    responses=problem_responses(404, 422),
)
async def get_completions(
    request: Request,
    course: CourseFilter = None,
    year: OptionalYear = None,
    year_from: OptionalYear = None,
    year_to: OptionalYear = None,
    as_of: AsOf = None,
    vintage: VintageDate = None,
) -> Response:
    """The figures in force as a JSON-stat 2.0 dataset, dimensions `course` and `period`
    (role time), with the filters and vintages of `/attendance`; provisional figures
    carry status `p`."""
    at = history.parse_vintage(as_of, vintage)
    filters = Filters(course, year, year_from, year_to)
    cube = await reader(request)(lambda s: cubes.figures(s, filters=filters, at=at), at=at)
    href, about = _href(request), _about(request)
    return await _json(lambda: jsonstat.completions(cube, href=href, about=about))


@router.get(
    "/year-totals",
    summary="Completions by course and year (JSON-stat)",
    response_model=jsonstat.Dataset,
    responses=problem_responses(404, 422),
)
async def get_year_totals(
    request: Request,
    course: CourseFilter = None,
    year: OptionalYear = None,
    year_from: OptionalYear = None,
    year_to: OptionalYear = None,
    as_of: AsOf = None,
    vintage: VintageDate = None,
) -> Response:
    """Each course's total for each year (R5: never double counting) as a JSON-stat 2.0
    dataset, dimensions `course` and `year` (role time); an incomplete year carries status
    `i` and its months in `extension.coverage`."""
    at = history.parse_vintage(as_of, vintage)
    filters = Filters(course, year, year_from, year_to)
    cube = await reader(request)(lambda s: cubes.year_totals(s, filters=filters, at=at), at=at)
    href, about = _href(request), _about(request)
    return await _json(lambda: jsonstat.year_totals(cube, href=href, about=about))
