"""Answers in every format of `app.api.formats`, from the model a route returns.

A route of a `RenderedRoute` router returns its model; JSON is FastAPI's own. Its
endpoint is wrapped once, when the route is made: the wrapper declares `format` (so
FastAPI's own 422 names a wrong one beside every other invalid parameter) and, when
another representation is asked for, renders the model instead of returning it, with
the headers the endpoint set (a figure's ETag).
"""

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from anyio import to_thread
from fastapi import Query, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.formats import FORMATS, RENDERED, RENDERERS, Renderer, filename, representation
from app.api.reader import reader
from app.api.state import state_of
from app.db.models import Source
from app.db.session import transaction
from app.schemas.resources import SourceOut


def about(request: Request, data: dict[str, Any], sources: list[dict[str, Any]]) -> dict[str, Any]:
    """What a file says beside its rows: the request (without `format`), its `as_of` and
    `vintage`, the answer's envelope (all it says that is not a row) and the sources."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "format"]
    envelope = {
        k: v for k, v in data.items() if not (isinstance(v, list) and v and isinstance(v[0], dict))
    }
    return {
        "request": request.url.path + (f"?{urlencode(query)}" if query else ""),
        "as_of": request.query_params.get("as_of"),
        "vintage": request.query_params.get("vintage"),
        "answer": envelope,
        "sources": sources,
        "api": "/api/v1/openapi.json",
    }


def sources_in(session: Session) -> list[dict[str, Any]]:
    """Every source, as a file's `about` lists them."""
    rows = session.execute(select(Source).order_by(Source.id)).scalars()
    return [SourceOut.model_validate(s).model_dump(mode="json", exclude={"notes"}) for s in rows]


def rendered_response(
    answer: BaseModel,
    renderer: Renderer,
    request: Request,
    headers: Response,
    sources: list[dict[str, Any]],
) -> Response:
    """The answer in `renderer`'s format, with the headers the endpoint set, a file name,
    and (for a page) a relative link to the next page."""
    data = answer.model_dump(mode="json", by_alias=True)
    kept = {k: v for k, v in headers.headers.items() if k not in ("content-length", "content-type")}
    kept["Content-Disposition"] = (
        f'attachment; filename="{filename(request.url.path, renderer.suffix)}"'
    )
    if data.get("next_cursor"):
        # Relative: a link built from the request's Host would be cached for all.
        rest = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
        rest.append(("cursor", data["next_cursor"]))
        kept["Link"] = f'<{request.url.path}?{urlencode(rest)}>; rel="next"'
    body = renderer.render(type(answer), data, about(request, data, sources))
    return Response(body, media_type=renderer.media_type, headers=kept)


_FORMAT = inspect.Parameter(
    "format_",
    inspect.Parameter.KEYWORD_ONLY,
    default=None,
    # Not in the OpenAPI: there each format is an operation of its own (`{path}.csv`).
    annotation=Annotated[
        Literal[FORMATS] | None,
        Query(alias="format", include_in_schema=False),
    ],
)


def _rendered(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """`endpoint`, also declaring `format`, the request and the response whose headers it
    sets, and rendering its answer when a format other than JSON is asked for."""
    signature = inspect.signature(endpoint)
    given = signature.parameters
    request_name = next((n for n, p in given.items() if p.annotation is Request), "request_")
    response_name = next((n for n, p in given.items() if p.annotation is Response), "response_")
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=kind)
        for name, kind in ((request_name, Request), (response_name, Response))
        if name not in given
    ]
    ours = {p.name for p in added} | {_FORMAT.name}

    def arguments(kwargs: dict[str, Any]) -> tuple[str, Request, Response, dict[str, Any]]:
        request, response = kwargs[request_name], kwargs[response_name]
        # `format` as FastAPI validated it (the last one given), else what Accept prefers.
        asked = kwargs[_FORMAT.name] or representation([], request.headers.get("accept", ""))
        asked = asked or "json"  # (an Accept that takes none is a 406 before this)
        return asked, request, response, {k: v for k, v in kwargs.items() if k not in ours}

    if inspect.iscoroutinefunction(endpoint):

        @functools.wraps(endpoint)
        async def render_async(**kwargs: Any) -> Any:
            asked, request, response, own = arguments(kwargs)
            answer = await endpoint(**own)
            if asked == "json" or isinstance(answer, Response):
                return answer
            renderer = RENDERERS[asked]
            sources = await reader(request)(sources_in, bounded=True) if renderer.about else []
            # off the event loop: a large table takes a while to write
            return await to_thread.run_sync(
                rendered_response, answer, renderer, request, response, sources
            )

        wrapper: Callable[..., Any] = render_async
    else:

        @functools.wraps(endpoint)
        def render(**kwargs: Any) -> Any:
            asked, request, response, own = arguments(kwargs)
            answer = endpoint(**own)
            if asked == "json" or isinstance(answer, Response):
                return answer
            renderer = RENDERERS[asked]
            sources: list[dict[str, Any]] = []
            if renderer.about:
                with transaction(state_of(request.app).sessionmaker) as session:
                    sources = sources_in(session)
            return rendered_response(answer, renderer, request, response, sources)

        wrapper = render
    parameters = [
        *(p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in given.values()),
        *added,
        _FORMAT,
    ]
    wrapper.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return wrapper


class RenderedRoute(APIRoute):
    """A route whose GET answers come in every registered format, not only JSON."""

    renders_csv = True  # what the route table looks for (it cannot import this module)
    media_types = RENDERED

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        methods = kwargs.get("methods") or ()
        if "GET" in methods:
            endpoint = _rendered(endpoint)
        super().__init__(path, endpoint, **kwargs)
