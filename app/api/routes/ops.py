"""Operational endpoints: liveness, readiness and metrics."""

from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from app.api.problems import problem
from app.api.state import state_of
from app.db import migrate
from app.db.models import DataVersion, Figure
from app.schemas.common import Problem

router = APIRouter(tags=["operations"])


@router.get(
    "/health",
    summary="Process is up",
    responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}},
)
def health() -> dict[str, str]:
    """Answers as long as the process serves HTTP; touches no database."""
    return {"status": "ok"}


@router.get(
    "/ready",
    summary="Database reachable and migrated",
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {"status": "ready", "migration": "2026_11_28_initial"}
                }
            }
        },
        503: {
            "model": Problem,
            "description": "Database unreachable or migrations behind",
        },
    },
)
def ready(request: Request) -> JSONResponse:
    """200 when the database answers and its schema is at the newest migration, else 503."""
    head = migrate.head_revision()
    try:
        current = migrate.current_revision(state_of(request.app).engine)
    except SQLAlchemyError:
        return problem(503, "The database is unreachable.", instance=request.url.path)
    if current != head:
        return problem(
            503,
            f"The database is at migration {current}, the code needs {head}: "
            "run `enrollment-stats migrate`.",
            instance=request.url.path,
        )
    return JSONResponse({"status": "ready", "migration": current})


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {"example": "http_requests_total{...} 12\n"}}}},
)
async def metrics(request: Request) -> Response:
    """Requests and latency by route and status (summed over every worker process),
    figures stored and the data version, in the Prometheus text format."""
    state = state_of(request.app)
    state.metrics.flush()  # on the event loop, which counts requests: every one so far
    body = await run_in_threadpool(state.metrics.render, DatabaseGauges(state.engine))
    return Response(body, media_type=CONTENT_TYPE_LATEST)


class DatabaseGauges(Collector):
    """Gauges read from the database at scrape time (the same in every worker)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        """Figures stored and the data version, or that the database did not answer."""
        try:
            with self.engine.connect() as conn:
                figures = conn.scalar(select(func.count()).select_from(Figure)) or 0
                version = conn.scalar(select(DataVersion.version)) or 0
        except SQLAlchemyError:
            yield GaugeMetricFamily("enrollment_database_up", "Whether the database answered.", 0)
            return
        yield GaugeMetricFamily("enrollment_figures", "Live figures stored.", figures)
        yield GaugeMetricFamily(
            "enrollment_data_version", "Writes so far (the ETag version).", version
        )
