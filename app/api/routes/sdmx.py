"""SDMX 2.1 REST: structure queries and data queries for the dataflow `COMPLETIONS`."""

from datetime import datetime
from typing import Annotated, Any, Literal

from anyio import to_thread
from fastapi import Path, Query, Request, Response
from fastapi.routing import APIRoute

from app.api.formats import negotiate
from app.api.params import AsOf, VintageDate
from app.api.reader import reader
from app.api.routes.prefix import PrefixRouter
from app.api.sdmx import model, text, xml
from app.api.state import state_of
from app.errors import NotFound
from app.schemas.common import problem_responses
from app.services import cubes, history
from app.services.filters import Filters
from app.urls import API

ML_DATA = "application/vnd.sdmx.structurespecificdata+xml;version=2.1"
JSON_DATA = "application/vnd.sdmx.data+json;version=1.0.0"
CSV_1 = "application/vnd.sdmx.data+csv;version=1.0.0"
CSV_2 = "application/vnd.sdmx.data+csv;version=2.0.0"
ML_STRUCTURE = "application/vnd.sdmx.structure+xml;version=2.1"
# What each answers in, the default first; the plain types are aliases of the SDMX ones.
DATA_MEDIA = (ML_DATA, JSON_DATA, CSV_1, CSV_2, "application/xml", "application/json", "text/csv")
STRUCTURE_MEDIA = (ML_STRUCTURE, "application/xml", "text/xml")
BODIES = {"application/xml": ML_DATA, "application/json": JSON_DATA, "text/csv": CSV_1}


class StructureRoute(APIRoute):
    """A structure query: SDMX-ML 2.1 structure messages."""

    media_types = STRUCTURE_MEDIA


class DataRoute(APIRoute):
    """A data query: structure-specific SDMX-ML, SDMX-JSON or SDMX-CSV, by `Accept`."""

    media_types = DATA_MEDIA


ML_EXAMPLE = (
    '<?xml version="1.0" encoding="utf-8"?>\n<mes:StructureSpecificData ...>\n'
    '  <mes:DataSet ss:structureRef="ENRSTATS_COMPLETIONS_1_0" ...>\n'
    '    <Series COURSE="basic-sro">\n'
    '      <Obs TIME_PERIOD="2018" OBS_VALUE="2273" OBS_STATUS="A" COVERAGE_MONTHS="12" '
    'UNIT_MEASURE="PS"/>\n'
    '      <Obs TIME_PERIOD="2019-01-01/P8M" OBS_VALUE="2516" OBS_STATUS="A" '
    'COVERAGE_MONTHS="8" UNIT_MEASURE="PS"/>\n'
    "    </Series> ...\n"
)
STRUCTURE_EXAMPLE = (
    '<?xml version="1.0" encoding="utf-8"?>\n<mes:Structure ...>\n  <mes:Structures>\n'
    '    <str:Dataflows><str:Dataflow id="COMPLETIONS" agencyID="ENRSTATS" version="1.0" ...>'
    " ...\n"
)
JSON_EXAMPLE = (
    '{"header": {"id": "data-1568592000", ...}, "dataSets": [{"action": "Information", '
    '"series": {"0": {"attributes": [], "observations": {"0": [2273, 0, 0, 0], '
    '"1": [2516, 0, 1, 0]}}, ...}}], "structure": {...}}'
)
CSV_EXAMPLE = (
    "DATAFLOW,COURSE,TIME_PERIOD,OBS_VALUE,OBS_STATUS,COVERAGE_MONTHS,UNIT_MEASURE\n"
    "ENRSTATS:COMPLETIONS(1.0),basic-sro,2018,2273,A,12,PS\n"
    "ENRSTATS:COMPLETIONS(1.0),basic-sro,2019-01-01/P8M,2516,A,8,PS\n"
)
CSV_2_EXAMPLE = (
    "STRUCTURE,STRUCTURE_ID,ACTION,COURSE,TIME_PERIOD,OBS_VALUE,OBS_STATUS,COVERAGE_MONTHS,"
    "UNIT_MEASURE\ndataflow,ENRSTATS:COMPLETIONS(1.0),I,basic-sro,2018,2273,A,12,PS\n"
)
EXAMPLES = {
    ML_DATA: ML_EXAMPLE,
    JSON_DATA: JSON_EXAMPLE,
    CSV_1: CSV_EXAMPLE,
    CSV_2: CSV_2_EXAMPLE,
    ML_STRUCTURE: STRUCTURE_EXAMPLE,
}


def _content(media: tuple[str, ...], description: str) -> dict[int | str, dict[str, Any]]:
    def example(m: str) -> str:  # the plain types show their SDMX type's example
        return EXAMPLES[ML_STRUCTURE if media[0] == ML_STRUCTURE else BODIES.get(m, m)]

    return {
        200: {
            "description": description,
            "content": {m: {"schema": {"type": "string"}, "example": example(m)} for m in media},
        },
        **problem_responses(404, 422),
    }


router = PrefixRouter(prefix=f"{API}/sdmx", tags=["sdmx"], route_class=StructureRoute)

Resource = Annotated[
    Literal["dataflow", "datastructure", "codelist", "conceptscheme"],
    Path(description="The kind of structure."),
]
AgencyId = Annotated[str, Path(max_length=50, description="An agency id, or `all`.")]
ResourceId = Annotated[str, Path(max_length=50, description="An artefact id, or `all`.")]
Version = Annotated[str, Path(max_length=20, description="`1.0`, `latest` or `all`.")]
References = Annotated[
    str,
    Query(
        max_length=20,
        description="Further structures: `none`, `children`, `parents`, a kind, or `all` "
        "(every one the artefact uses or is used by).",
    ),
]
Period = Annotated[
    str | None,
    Query(max_length=20, description="`2019`, `2019-03`, `2019-Q1` or `2019-S1`: inclusive."),
]


def _agency(request: Request) -> str:
    return state_of(request.app).settings.sdmx_agency


def _message_id(kind: str, updated: datetime) -> str:
    return f"{kind}-{int(updated.timestamp())}"


def _answer(body: bytes, media: str, name: str) -> Response:
    headers = {"Content-Disposition": f'inline; filename="{name}"'}
    return Response(body, media_type=media, headers=headers)


def _series(
    figures: cubes.Figures, courses: frozenset[str] | None, start: str | None, end: str | None
) -> list[model.Series]:
    found: dict[str, list[tuple[Any, int, str]]] = {}
    for cell in figures.cells:
        if courses is not None and cell.course not in courses:
            continue
        if model.in_window(cell.period, start, end):
            status = model.STATUS.get(cell.status, "A")
            found.setdefault(cell.course, []).append((cell.period, cell.completions, status))
    return [model.Series(c, figures.courses[c], obs) for c, obs in found.items()]


async def _data(
    request: Request,
    flow: str,
    key: str,
    start: str | None,
    end: str | None,
    as_of: str | None,
    vintage: str | None,
) -> Response:
    agency = _agency(request)
    model.flow(flow, agency)
    courses = model.series_key(key)
    first = None if start is None else model.period_bounds(start, name="startPeriod")[0]
    last = None if end is None else model.period_bounds(end, name="endPeriod")[1]
    at = history.parse_vintage(as_of, vintage)
    one = next(iter(courses)) if courses is not None and len(courses) == 1 else None
    filters = Filters(
        course=one,
        year_from=None if first is None else (first - 1) // 12,
        year_to=None if last is None else (last - 1) // 12,
    )
    figures = await reader(request)(lambda s: cubes.figures(s, filters=filters, at=at), at=at)
    asked = negotiate(request.headers.get("accept", ""), DATA_MEDIA) or ML_DATA

    def write() -> tuple[bytes, str]:  # in a worker thread: a million figures take seconds
        series = _series(figures, courses, start, end)
        if not series:
            raise NotFound(
                f"No observations of {model.FLOW} match the key {key!r} and the periods."
            )
        body_type = BODIES.get(asked, asked)
        given = {"agency": agency, "message_id": _message_id("data", figures.updated)}
        if body_type == ML_DATA:
            return xml.data(series, prepared=figures.updated, **given), "completions.xml"
        if body_type == JSON_DATA:
            return text.json_data(series, prepared=figures.updated, **given), "completions.json"
        version = "1.0" if body_type == CSV_1 else "2.0"
        return text.csv_data(series, agency=agency, version=version), "completions.csv"

    body, name = await to_thread.run_sync(write)
    return _answer(body, asked, name)


DATA_DOC = (
    "Observations of the dataflow (`COMPLETIONS` or `AGENCY,COMPLETIONS,1.0`): one series "
    "per course, `TIME_PERIOD` a year (`2018`), a month, a quarter (`2019-Q1`) or a time "
    "range (`2019-01-01/P8M` for Jan–Aug 2019), with `OBS_STATUS`, `COVERAGE_MONTHS` and "
    "`UNIT_MEASURE`. Structure-specific SDMX-ML 2.1 by default; SDMX-JSON 1.0 and SDMX-CSV "
    "1.0 (or 2.0) by `Accept`. `startPeriod`/`endPeriod` keep the observations sharing a "
    "month with them; `as_of` and `vintage` as everywhere. No match is a 404."
)


async def data_all(
    request: Request,
    flow: Annotated[str, Path(max_length=120, examples=["COMPLETIONS"])],
    start_period: Annotated[Period, Query(alias="startPeriod")] = None,
    end_period: Annotated[Period, Query(alias="endPeriod")] = None,
    as_of: AsOf = None,
    vintage: VintageDate = None,
) -> Response:
    return await _data(request, flow, "all", start_period, end_period, as_of, vintage)


async def data_key(
    request: Request,
    flow: Annotated[str, Path(max_length=120, examples=["COMPLETIONS"])],
    key: Annotated[
        str,
        Path(max_length=2000, description="Courses, `+` between them, or `all`.", examples=["all"]),
    ],
    start_period: Annotated[Period, Query(alias="startPeriod")] = None,
    end_period: Annotated[Period, Query(alias="endPeriod")] = None,
    as_of: AsOf = None,
    vintage: VintageDate = None,
) -> Response:
    return await _data(request, flow, key, start_period, end_period, as_of, vintage)


# First: `/data/...` would match the structure queries' `/{resource}/...` too.
for _path, _endpoint, _summary in (
    ("/data/{flow}", data_all, "SDMX data, every course"),
    ("/data/{flow}/{key}", data_key, "SDMX data for a key"),
):
    router.add_api_route(
        _path,
        _endpoint,
        methods=["GET"],
        summary=_summary,
        description=DATA_DOC,
        response_class=Response,
        responses=_content(DATA_MEDIA, "SDMX data"),
        route_class_override=DataRoute,
    )


async def _structure(
    request: Request, resource: str, agency_id: str, resource_id: str, version: str, refs: str
) -> Response:
    agency = _agency(request)
    if not model.matches(agency_id, resource_id, version, agency=agency, ids=model.IDS[resource]):
        raise NotFound(
            f"No {resource} {agency_id}/{resource_id}/{version}: this service maintains "
            f"{', '.join(model.IDS[resource])} (agency {agency}, version {model.VERSION})."
        )

    def read(session: Any) -> tuple[dict[str, str], datetime]:
        return cubes.courses(session), history.last_write_at(session, datetime.now().astimezone())

    courses, updated = await reader(request)(read, bounded=True)
    body = xml.structure(
        model.wanted(resource, resource_id, refs),
        courses=courses,
        agency=agency,
        message_id=_message_id("structure", updated),
        prepared=updated,
    )
    media = negotiate(request.headers.get("accept", ""), STRUCTURE_MEDIA) or ML_STRUCTURE
    return _answer(body, media, f"{resource}.xml")


STRUCTURE_DOC = (
    "An SDMX-ML 2.1 structure message: the dataflow `COMPLETIONS`, its data structure "
    "`DSD_COMPLETIONS` (dimensions `COURSE`, `TIME_PERIOD`; measure `OBS_VALUE`; "
    "attributes `OBS_STATUS`, `COVERAGE_MONTHS`, `UNIT_MEASURE`), the codelists and the "
    "concepts. `all` and `latest` work as the SDMX REST keywords; omitted trailing parts "
    "are `all`, `all`, `latest`."
)


@router.get(
    "/{resource}",
    summary="SDMX structures of a kind",
    response_class=Response,
    responses=_content(STRUCTURE_MEDIA, "SDMX-ML 2.1 structure"),
    description=STRUCTURE_DOC,
)
async def structure_all(
    request: Request, resource: Resource, references: References = "none"
) -> Response:
    return await _structure(request, resource, "all", "all", "latest", references)


@router.get(
    "/{resource}/{agency_id}",
    summary="SDMX structures of an agency",
    response_class=Response,
    responses=_content(STRUCTURE_MEDIA, "SDMX-ML 2.1 structure"),
    description=STRUCTURE_DOC,
)
async def structure_of_agency(
    request: Request, resource: Resource, agency_id: AgencyId, references: References = "none"
) -> Response:
    return await _structure(request, resource, agency_id, "all", "latest", references)


@router.get(
    "/{resource}/{agency_id}/{resource_id}",
    summary="An SDMX structure, latest version",
    response_class=Response,
    responses=_content(STRUCTURE_MEDIA, "SDMX-ML 2.1 structure"),
    description=STRUCTURE_DOC,
)
async def structure_latest(
    request: Request,
    resource: Resource,
    agency_id: AgencyId,
    resource_id: ResourceId,
    references: References = "none",
) -> Response:
    return await _structure(request, resource, agency_id, resource_id, "latest", references)


@router.get(
    "/{resource}/{agency_id}/{resource_id}/{version}",
    summary="An SDMX structure",
    response_class=Response,
    responses=_content(STRUCTURE_MEDIA, "SDMX-ML 2.1 structure"),
    description=STRUCTURE_DOC,
)
async def structure_version(
    request: Request,
    resource: Resource,
    agency_id: AgencyId,
    resource_id: ResourceId,
    version: Version,
    references: References = "none",
) -> Response:
    return await _structure(request, resource, agency_id, resource_id, version, references)
