"""CSV for every list and statistics endpoint: `{path}.csv`, `?format=csv` or
`Accept: text/csv`.

Each answer declares its rows (`csv_rows` on its model, over the JSON-shaped answer):
a row carries what the JSON envelope says of it (`year` on a year's rows, `from` and
`to` on a comparison's), aggregate rows are labelled (course `(all courses)`), lists
are pages as in JSON, with the next page in a relative `Link: <...>; rel="next"`
header. Text cells that a spreadsheet would evaluate as a formula are neutralised
(OWASP, "CSV injection").
"""

import csv
import functools
import inspect
import io
import json
import re
from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import Depends, Query, Request, Response
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.problems import allow_options, not_allowed
from app.api.route_table import RouteTable
from app.domain.cells import neutralise

Format = Annotated[
    Literal["json", "csv"] | None,
    # Not in the OpenAPI: there each CSV table is its own operation at `{path}.csv`, so
    # that a generated client knows which answers are JSON and which are text.
    Query(alias="format", include_in_schema=False),
]
FORMATS = ("json", "csv")  # Format's values
SUFFIX = ".csv"
CSV_MEDIA = "text/csv; charset=utf-8"
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


async def format_param(fmt: Format = None) -> None:
    """Validates `format` (async: no thread hop); `CSVRoute` adds it where it is wrong."""


def _quality(accept: str, media: str) -> float:
    """The q of the most specific range in `accept` that covers `media` (0 if none)."""
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
    """`csv` when asked for by `?format=csv` (the last one given, as the route reads it) or
    an Accept header that prefers text/csv to application/json (q-values honoured)."""
    fmt = dict(query).get("format")
    if fmt is not None:
        return fmt
    if "csv" not in accept and "text/*" not in accept:
        return "json"
    return "csv" if _quality(accept, "text/csv") > _quality(accept, "application/json") else "json"


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


def table(model: type[Any], data: dict[str, Any]) -> list[dict[str, Any]]:
    """The CSV rows of an answer of `model`, shaped as its JSON: those the model
    declares (`csv_rows`), else the answer as one row."""
    rows: Callable[[dict[str, Any]], list[dict[str, Any]]] | None = getattr(model, "csv_rows", None)
    return rows(data) if rows is not None else [data]


_answer: ContextVar[list[Any] | None] = ContextVar("csv_answer", default=None)


def _keeping_answer(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """The endpoint, also handing its answer to the CSV handler that awaits it."""
    if inspect.iscoroutinefunction(endpoint):

        @functools.wraps(endpoint)
        async def keep_async(*args: Any, **kwargs: Any) -> Any:
            answer = await endpoint(*args, **kwargs)
            if (kept := _answer.get()) is not None:
                kept.append(answer)
            return answer

        return keep_async

    @functools.wraps(endpoint)
    def keep(*args: Any, **kwargs: Any) -> Any:  # in a worker thread, with a copied context
        answer = endpoint(*args, **kwargs)
        if (kept := _answer.get()) is not None:
            kept.append(answer)
        return answer

    return keep


def to_csv(rows: list[dict[str, Any]]) -> str:
    """A CSV table; columns in the order they first appear."""
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: _cell(v) for k, v in row.items()} for row in rows)
    return out.getvalue()


def filename(path: str) -> str:
    """`/api/v1/stats/changes` -> `stats-changes.csv`, in ASCII letters, digits and `._-`."""
    parts = [p for p in path.split("/") if p and p not in ("api", "v1")]
    name = _UNSAFE_NAME.sub("", "-".join(parts)).strip("-.")
    return (name or "export") + ".csv"


class CSVRoute(APIRoute):
    """A route whose JSON answers can also be had as CSV."""

    renders_csv = True  # what the route table looks for (it cannot import this module)

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        endpoint = _keeping_answer(endpoint)
        # The same route with `format` as a parameter, for a request whose `format` is
        # neither `json` nor `csv`: FastAPI's 422 then names it, first, with every other
        # invalid parameter. Other requests skip that dependency (an eighth of a cold read).
        checks = [Depends(format_param), *(kwargs.get("dependencies") or [])]
        self.checked = APIRoute(path, endpoint, **{**kwargs, "dependencies": checks})
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap the JSON handler; render the endpoint's answer's rows when CSV is asked for."""
        handler = super().get_route_handler()
        checked = self.checked.get_route_handler()

        async def csv_handler(request: Request) -> Response:
            if request.query_params.get("format", "json") not in FORMATS:
                return await checked(request)  # a 422
            query = list(request.query_params.multi_items())
            if representation(query, request.headers.get("accept", "")) != "csv":
                return await handler(request)
            kept: list[Any] = []
            token = _answer.set(kept)
            try:
                response = await handler(request)
            finally:
                _answer.reset(token)
            if not kept or response.status_code != 200 or response.media_type != "application/json":
                return response
            answer = kept[0]
            payload = answer.model_dump(mode="json", by_alias=True)
            headers = {
                k: v
                for k, v in response.headers.items()
                if k.lower() not in ("content-length", "content-type")
            }
            headers["Content-Disposition"] = f'attachment; filename="{filename(request.url.path)}"'
            if isinstance(payload, dict) and payload.get("next_cursor"):
                # Relative: a link built from the request's Host would be cached for all.
                rest = [(k, v) for k, v in query if k != "cursor"]
                rest.append(("cursor", payload["next_cursor"]))
                headers["Link"] = f'<{request.url.path}?{urlencode(rest)}>; rel="next"'
            rows = table(type(answer), payload)
            return Response(to_csv(rows), media_type=CSV_MEDIA, headers=headers)

        return csv_handler


class CsvSuffix:
    """ASGI middleware: `GET {path}.csv` is `GET {path}?format=csv` for every route that
    has a CSV table; other methods on such a path are a 405 that says what it takes."""

    def __init__(self, app: ASGIApp, *, table: RouteTable, prefix: str = "/api/") -> None:
        self.app = app
        self.table = table
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.endswith(SUFFIX) or not path.startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        bare = path[: -len(SUFFIX)]
        if not self.table.has_csv(bare):
            await self.app(scope, receive, send)  # not a CSV table: the router says 404
            return
        if scope["method"] not in ("GET", "HEAD"):
            allow = ("GET", "HEAD", "OPTIONS")  # a CSV table is only read
            if scope["method"] == "OPTIONS":
                await allow_options(send, allow)
            else:
                await not_allowed(scope["method"], path, allow)(scope, receive, send)
            return
        # In place: the request log further out then names the route that answered.
        query = scope["query_string"]
        scope["path"], scope["raw_path"] = bare, bare.encode()
        scope["query_string"] = (query + b"&" if query else b"") + b"format=csv"
        await self.app(scope, receive, send)
