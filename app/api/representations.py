"""Representations of an answer: JSON, which FastAPI renders from the model a route
returns, and every other format from one registry of renderers (datasette's output
renderers are the model): each a plain function from the answer's model and its
JSON-shaped data to bytes, chosen by `?format=`, `Accept` or a path suffix.

A route of a `RenderedRoute` router returns its model. Its endpoint is wrapped once,
when the route is made: the wrapper declares `format` (so FastAPI's own 422 names a
wrong one beside every other invalid parameter) and, when another representation is
asked for, renders the model instead of returning it, with the headers the endpoint
set (a figure's ETag).
"""

import csv
import functools
import inspect
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import Query, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel

from app.api.tables import table
from app.domain.cells import neutralise

JSON = "application/json"


@dataclass(frozen=True)
class Renderer:
    """One format an answer can take besides JSON."""

    name: str  # its `?format=` value
    media_type: str  # its Content-Type, and what `Accept` names to ask for it
    suffix: str  # `{path}{suffix}` asks for it too
    render: Callable[[type[BaseModel], dict[str, Any]], bytes]


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return neutralise(json.dumps(value, ensure_ascii=False))
    if isinstance(value, str):
        return neutralise(value)
    return value


def to_csv(rows: list[dict[str, Any]]) -> str:
    """A CSV table; columns in the order they first appear. Text cells a spreadsheet
    would evaluate as a formula are neutralised (OWASP, "CSV injection")."""
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: _cell(v) for k, v in row.items()} for row in rows)
    return out.getvalue()


def _render_csv(model: type[BaseModel], data: dict[str, Any]) -> bytes:
    return to_csv(table(model, data)).encode()


CSV = Renderer("csv", "text/csv; charset=utf-8", ".csv", _render_csv)
RENDERERS: dict[str, Renderer] = {r.name: r for r in (CSV,)}
FORMATS = ("json", *RENDERERS)
SUFFIXES = {r.suffix: r for r in RENDERERS.values()}
_MEDIA = tuple(r.media_type.split(";")[0] for r in RENDERERS.values())
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _quality(accept: str, media: str) -> float:
    """The q of the most specific range in `accept` that covers `media` (0 if none)."""
    media = media.split(";")[0]
    kind = media.split("/")[0]
    best, rank = 0.0, -1
    for part in accept.split(","):
        name, *params = (p.strip() for p in part.split(";"))
        name = name.lower()
        specificity = {media: 2, f"{kind}/*": 1, "*/*": 0}.get(name, -1)
        if specificity <= rank:
            continue
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        best, rank = q, specificity
    return best


def representation(query: list[tuple[str, str]], accept: str) -> str:
    """The format asked for: `?format=` (the last one given, as the route reads it), else
    the renderer `Accept` prefers to JSON (q-values honoured), else `json`."""
    fmt = dict(query).get("format")
    if fmt is not None:
        return fmt
    if "/*" not in accept.replace("*/*", "") and not any(m in accept for m in _MEDIA):
        return "json"  # most requests: no renderer named, nothing to weigh
    best, best_q = "json", _quality(accept, JSON)
    for renderer in RENDERERS.values():
        q = _quality(accept, renderer.media_type)
        if q > best_q:
            best, best_q = renderer.name, q
    return best


def filename(path: str, suffix: str) -> str:
    """`/api/v1/stats/changes` -> `stats-changes.csv`, in ASCII letters, digits and `._-`."""
    parts = [p for p in path.split("/") if p and p not in ("api", "v1")]
    name = _UNSAFE_NAME.sub("", "-".join(parts)).strip("-.")
    return (name or "export") + suffix


def rendered_response(
    answer: BaseModel, renderer: Renderer, request: Request, headers: Response
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
    body = renderer.render(type(answer), data)
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
        return asked, request, response, {k: v for k, v in kwargs.items() if k not in ours}

    if inspect.iscoroutinefunction(endpoint):

        @functools.wraps(endpoint)
        async def render_async(**kwargs: Any) -> Any:
            asked, request, response, own = arguments(kwargs)
            answer = await endpoint(**own)
            if asked == "json" or isinstance(answer, Response):
                return answer
            return rendered_response(answer, RENDERERS[asked], request, response)

        wrapper: Callable[..., Any] = render_async
    else:

        @functools.wraps(endpoint)
        def render(**kwargs: Any) -> Any:
            asked, request, response, own = arguments(kwargs)
            answer = endpoint(**own)
            if asked == "json" or isinstance(answer, Response):
                return answer
            return rendered_response(answer, RENDERERS[asked], request, response)

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

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        methods = kwargs.get("methods") or ()
        if "GET" in methods:
            endpoint = _rendered(endpoint)
        super().__init__(path, endpoint, **kwargs)
