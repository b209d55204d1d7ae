"""What changed: the public list of figure changes after a data version, and its feed."""

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Header, Query, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from sse_starlette import EventSourceResponse, ServerSentEvent

from app.api import atom
from app.api.params import Cursor, Limit
from app.api.reader import reader
from app.api.representations import RenderedRoute
from app.api.routes.prefix import PrefixRouter
from app.api.state import state_of
from app.schemas.common import Page, problem_responses
from app.schemas.updates import UpdateOut, update_out
from app.services import cubes, history, updates
from app.urls import API

router = PrefixRouter(prefix=f"{API}/updates", tags=["updates"], route_class=RenderedRoute)

SinceVersion = Annotated[
    int,
    Query(
        ge=0,
        le=2**31 - 1,
        description="Only changes after this data version (the `version` of the last "
        "change seen; `0` for all).",
        examples=[0],
    ),
]


@router.get("", summary="Changes to figures", responses=problem_responses(422))
async def list_updates(
    request: Request, since_version: SinceVersion = 0, limit: Limit = 100, cursor: Cursor = None
) -> Page[UpdateOut]:
    """Every figure made, revised or deleted after `since_version`, oldest first: the
    figure, its course and period, completions before and after, its source, the data
    version of the write and when it was recorded (never who)."""
    return await reader(request)(
        lambda s: Page[UpdateOut].of(
            updates.since(s, since_version=since_version, limit=limit, cursor=cursor),
            update_out,
        )
    )


FEED_SIZE = 100


FEED_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": f"An Atom 1.0 feed of the latest {FEED_SIZE} changes, newest first.",
        "content": {
            atom.MEDIA: {
                "schema": {"type": "string"},
                "example": '<?xml version="1.0" encoding="utf-8"?>\n<feed '
                'xmlns="http://www.w3.org/2005/Atom"><id>http://127.0.0.1:8000/api/v1/'
                "updates.atom</id><title>Training enrollment statistics: changes to "
                "figures</title>...<entry><title>Basic SRO, Jan–Aug 2019: 2,516 "
                "completions</title>...</entry></feed>",
            }
        },
    }
}


class FeedRoute(APIRoute):
    """The feed: Atom only (not a table in every format)."""

    media_types = (atom.MEDIA,)


async def updates_feed(request: Request) -> Response:
    """The latest changes to figures as an Atom 1.0 feed, newest first; each entry links
    to its figure."""

    def read(session: Session) -> tuple[list[UpdateOut], dict[str, str], datetime]:
        rows = updates.newest(session, limit=FEED_SIZE)
        updated = history.last_write_at(session, datetime.now(UTC))
        return [update_out(r) for r in rows], cubes.courses(session), updated

    items, names, updated = await reader(request)(read, bounded=True)
    base = state_of(request.app).settings.base_url
    return Response(
        atom.feed(items, names=names, base=base, updated=updated), media_type=atom.MEDIA
    )


router.add_api_route(
    ".atom",
    updates_feed,
    methods=["GET"],
    summary="Changes to figures, as an Atom feed",
    response_class=Response,
    responses=FEED_RESPONSES,
    route_class_override=FeedRoute,
)


class StreamRoute(APIRoute):
    """The stream: Server-Sent Events only."""

    media_types = ("text/event-stream",)


def _version_event(version: int, **more: object) -> ServerSentEvent:
    return ServerSentEvent(
        data=json.dumps({"version": version, **more}), event="version", id=str(version)
    )


async def updates_stream(
    request: Request,
    last_event_id: Annotated[
        str | None,
        Header(
            description="The last `id` heard (an EventSource sends it when it reconnects): "
            "the first event then says how many versions were missed.",
            max_length=20,
        ),
    ] = None,
) -> EventSourceResponse:
    """Server-Sent Events: `event: version` with `data: {"version": N}` (and `id: N`) on
    connect and within a second of every commit, by any worker, node or process; a
    comment every 15 s (`EVENTS_HEARTBEAT_SECONDS`) keeps the connection open. With
    `Last-Event-ID` the first event also gives `since` and `missed` (versions), and
    `updates`, where the changes are listed. Beyond `EVENTS_MAX_SUBSCRIBERS` per
    worker, 503 with Retry-After."""
    state = state_of(request.app)
    events, heartbeat = state.events, state.settings.events_heartbeat_seconds
    version = await events.join()  # a refusal is a 503 before any byte

    async def stream() -> AsyncIterator[ServerSentEvent]:
        try:
            seen = int(last_event_id) if last_event_id and last_event_id.isdigit() else None
            if seen is not None and seen < version:
                yield _version_event(
                    version,
                    since=seen,
                    missed=version - seen,
                    updates=f"{API}/updates?since_version={seen}",
                )
            else:
                yield _version_event(version)
            seen = max(version, seen or 0)
            while True:
                # The heartbeat is ours, not sse-starlette's `ping`: that one costs every
                # subscriber a task of its own (1,000 subscribers: 5 MB).
                try:
                    async with asyncio.timeout(heartbeat):
                        seen = await events.after(seen)
                except TimeoutError:
                    yield ServerSentEvent(comment="heartbeat")
                    continue
                yield _version_event(seen)
        finally:  # the client went, or the server stops
            events.leave()

    return EventSourceResponse(stream(), ping=0, headers={"Cache-Control": "no-store"})


EVENT_SCHEMA = {
    "type": "object",
    "properties": {
        "event": {"const": "version"},
        "id": {"type": "string", "pattern": "^[0-9]+$"},
        "data": {
            "type": "string",
            "description": 'JSON: `{"version": N}`, and after a `Last-Event-ID` also '
            "`since`, `missed` and `updates`.",
        },
    },
    "required": ["event", "id", "data"],
}
router.add_api_route(
    "/stream",
    updates_stream,
    methods=["GET"],
    summary="Hear each new data version (Server-Sent Events)",
    response_class=EventSourceResponse,
    responses={
        200: {
            "description": "An event stream; each event `version`.",
            "content": {
                "text/event-stream": {
                    # one event, as OpenAPI 3.2 and Schemathesis describe an event stream
                    "itemSchema": EVENT_SCHEMA,
                    "schema": EVENT_SCHEMA,
                    "example": 'event: version\r\ndata: {"version": 20}\r\nid: 20\r\n\r\n',
                }
            },
        },
        **problem_responses(422, 503),
    },
    route_class_override=StreamRoute,
)
