"""The application factory: routers, middleware and error handlers."""

import logging
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from app import __version__
from app.api.acceptable import Acceptable
from app.api.cors import CorsPolicy
from app.api.docs_pages import add_documentation
from app.api.edge import Edge
from app.api.events import VersionEvents
from app.api.http_cache import HttpCacheMiddleware
from app.api.limits import BodyLimit
from app.api.observability import Metrics
from app.api.openapi import openapi_document
from app.api.parameters import KnownParameters
from app.api.problems import RefuseNul, install_handlers
from app.api.reader import Reader
from app.api.request_target import RequestTarget
from app.api.response_cache import ResponseCache
from app.api.route_table import RouteTable
from app.api.routes import (
    attendance,
    audit,
    courses,
    data,
    datasets,
    ops,
    sdmx,
    sources,
    stats,
    updates,
    years,
)
from app.api.state import AppState, state_of
from app.db.session import is_embedded, make_engine, make_sessionmaker
from app.db.version import VersionReader
from app.services import history
from app.settings import Settings, get_settings

STATIC = Path(__file__).parent / "static"
DESCRIPTION = """
Completions of training courses per period, with totals that never double count
nested periods, comparisons that say when two years are not alike, and sources
for every figure. Seeded with NASRO's press release of 16 September 2019.

Errors are `application/problem+json` (RFC 9457). Lists page with `limit` and an
opaque `cursor`.
"""


def _log_to_stdout() -> None:
    """Our loggers write plain lines (the access log's are JSON) to standard output."""
    logger = logging.getLogger("enrollment_stats")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


class Service(FastAPI):
    """FastAPI behind the layers every request passes first (`front`), which answer a
    cache hit without FastAPI's and Starlette's own entry (its telemetry and error
    layers, a third of a hit's time); everything else goes on through `enter`."""

    front: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.front is None:
            await super().__call__(scope, receive, send)
        else:
            await self.front(scope, receive, send)

    async def enter(self, scope: Scope, receive: Receive, send: Send) -> None:
        """FastAPI's own entry."""
        await super().__call__(scope, receive, send)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Listen for data versions while serving; let go of connections after."""
    state = state_of(app)
    state.version_reader.start()
    state.reader.open()
    try:
        yield
    finally:
        await state.events.close()
        state.version_reader.close()
        state.reader.close()


def create_app(settings: Settings | None = None) -> Service:
    """Build the app for `settings` (the environment's by default)."""
    settings = settings or get_settings()
    app = Service(
        title="enrollment-stats",
        docs_url=None,  # `add_documentation`: without a CDN
        redoc_url=None,
        lifespan=lifespan,
        redirect_slashes=False,  # app.api.problems redirects, by a relative Location
        generate_unique_id_function=lambda route: route.name,
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=[
            {"name": "courses", "description": "Courses and their yearly series."},
            {"name": "years", "description": "Totals by year and by course."},
            {"name": "attendance", "description": "Figures: completions per course and period."},
            {"name": "stats", "description": "Totals, changes, shares and records."},
            {"name": "updates", "description": "What changed in the figures, and when."},
            {"name": "sources", "description": "Where figures came from."},
            {"name": "datasets", "description": "The figures as JSON-stat 2.0 cubes."},
            {"name": "sdmx", "description": "The figures as the SDMX 2.1 dataflow COMPLETIONS."},
            {"name": "audit", "description": "Who changed what, when (admin key)."},
            {"name": "operations", "description": "Health and readiness."},
        ],
        telemetry=None
        if settings.opentelemetry
        else {"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    add_documentation(app)
    # The constructor's routes: the OpenAPI document, Swagger UI, ReDoc and their files.
    documentation = list(app.router.routes)
    # SQLite: one connection more, held by the event loop's own reads (`Reader`).
    loop_reads = 1 if settings.database_url.startswith("sqlite") else 0
    engine = make_engine(
        settings.database_url,
        sqlite_synchronous=settings.sqlite_synchronous,
        pool_size=settings.db_pool_size + loop_reads,
        max_overflow=settings.db_max_overflow,
        wait=settings.db_wait_seconds,
    )
    groups = (
        courses,
        years,
        attendance,
        stats,
        updates,
        sources,
        audit,
        data,
        datasets,
        sdmx,
        ops,
    )
    read_sessions = make_sessionmaker(engine)
    version_reader = VersionReader(engine)
    state = AppState(
        {
            "settings": settings,
            "engine": engine,
            "sessionmaker": read_sessions,
            "write_sessionmaker": make_sessionmaker(engine, write=True),
            "write_gate": threading.Lock() if is_embedded(engine) else None,
            "reader": Reader(
                read_sessions,
                local=is_embedded(engine),
                threads=settings.db_pool_size + settings.db_max_overflow,
                wait=settings.db_wait_seconds,
            ),
            "version_reader": version_reader,
            "events": VersionEvents(version_reader, settings.events_max_subscribers),
            "route_table": RouteTable(
                lambda: [
                    *(route for group in groups for route in group.router.routes),
                    *app.router.routes,  # the app's own pages and documentation
                ]
            ),
            "response_cache": (
                ResponseCache(settings.response_cache_bytes) if settings.response_cache else None
            ),
            "metrics": Metrics(),
        }
    )
    app.state = state
    install_handlers(app, state.route_table)
    # Every request passes `front`, then FastAPI's own entry (its error and telemetry
    # layers), then `behind`, then the router: the one order, written here only. A
    # cache hit is answered by `HttpCacheMiddleware`, through the layers in front of it
    # like any other answer. With FastAPI's telemetry on, `front` goes behind its entry
    # too, so that its traces see every request.
    table = state.route_table
    front = [
        Middleware(
            Edge,
            cors=CorsPolicy(settings.cors_origins),
            metrics=state.metrics,
            access_log=settings.access_log,
        ),
        Middleware(RequestTarget, table=table),
        Middleware(
            HttpCacheMiddleware,
            reader=state.version_reader,
            table=table,
            max_age=settings.cache_max_age,
            cache=state.response_cache,
            last_write=lambda moment: state.reader(
                lambda s: history.last_write_at(s, moment), bounded=True
            ),
        ),
    ]
    behind = [
        Middleware(
            BodyLimit,
            max_bytes=settings.max_body_bytes,
            import_max_bytes=settings.import_max_body_bytes,
        ),
        Middleware(RefuseNul),
        Middleware(KnownParameters, table=table),
        Middleware(Acceptable, table=table),
    ]
    if settings.opentelemetry:
        behind, front = front + behind, []
    for layer in reversed(behind):  # Starlette puts the last one added outermost
        app.add_middleware(layer.cls, *layer.args, **layer.kwargs)
    if front:
        entry: ASGIApp = app.enter
        for layer in reversed(front):
            entry = layer.cls(entry, *layer.args, **layer.kwargs)
        app.front = entry
    _log_to_stdout()

    for group in groups:
        app.include_router(group.router)

    app.openapi = lambda: openapi_document(app)  # type: ignore[method-assign]

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse("/dashboard")

    @app.get("/dashboard", include_in_schema=False)
    async def dashboard() -> FileResponse:
        return FileResponse(STATIC / "dashboard.html", media_type="text/html")

    @app.get("/admin", include_in_schema=False)
    async def admin() -> FileResponse:
        return FileResponse(STATIC / "admin.html", media_type="text/html")

    # FastAPI tries an app's routes in the order they were added, each try costing about
    # 8,000 instructions (docs/performance.md): the documentation, added first by the
    # constructor, is tried last (no path of it is a path of the API or the pages).
    app.router.routes[:] = [r for r in app.router.routes if r not in documentation] + documentation

    return app
