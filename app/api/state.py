"""What the app holds for its requests, typed: made once by `create_app`, read through
`state_of` (Starlette's own `app.state` is untyped)."""

import threading
from typing import cast

from sqlalchemy import Engine, orm
from starlette.applications import Starlette
from starlette.datastructures import State

from app.api.events import VersionEvents
from app.api.observability import Metrics
from app.api.reader import Reader
from app.api.response_cache import ResponseCache
from app.api.route_table import RouteTable
from app.db.version import VersionReader
from app.settings import Settings


class AppState(State):
    """The app's settings, database handles, readers, route table, cache and metrics."""

    settings: Settings
    engine: Engine
    sessionmaker: orm.sessionmaker[orm.Session]
    write_sessionmaker: orm.sessionmaker[orm.Session]
    write_gate: "threading.Lock | None"  # SQLite: one writer of this worker at a time
    reader: Reader
    version_reader: VersionReader
    events: VersionEvents
    route_table: RouteTable
    response_cache: ResponseCache | None
    metrics: Metrics


def state_of(app: Starlette) -> AppState:
    """The app's typed state."""
    return cast(AppState, app.state)
