"""Totals by year."""

from fastapi import Path, Request

from app.api.params import AsOf, VintageDate
from app.api.reader import reader
from app.api.representations import RenderedRoute
from app.api.routes.prefix import PrefixRouter
from app.schemas.common import problem_responses
from app.schemas.stats import YearDetail, YearList
from app.services import history, stats
from app.urls import API

router = PrefixRouter(
    prefix=f"{API}/years",
    tags=["years"],
    route_class=RenderedRoute,
)


@router.get("", summary="List years with totals", responses=problem_responses(422))
async def list_years(request: Request, as_of: AsOf = None, vintage: VintageDate = None) -> YearList:
    """Every year with figures: all-course total, months covered (the smallest across
    courses) and whether every course covers the whole year (R6)."""
    read = reader(request)
    at = history.parse_vintage(as_of, vintage)
    items = await read(lambda s: stats.year_summaries(s, at=at))
    return YearList(items=items, total=len(items))


@router.get(
    "/{year:int}", summary="A year's totals by course", responses=problem_responses(404, 422)
)
async def get_year(
    request: Request,
    year: int = Path(ge=1900, le=9999, examples=[2019]),
    as_of: AsOf = None,
    vintage: VintageDate = None,
) -> YearDetail:
    """The year's all-course total and each course's total (R5, R6); 404 without figures."""
    read = reader(request)
    at = history.parse_vintage(as_of, vintage)
    return await read(lambda s: stats.year_detail(s, year=year, at=at), bounded=True, at=at)
