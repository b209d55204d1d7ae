"""CSV for every list and statistics endpoint: `?format=csv` or `Accept: text/csv`.

The header row is the JSON field names of the items; lists page as in JSON, with
the next page in a `Link: <...>; rel="next"` header.
"""

import csv
import io
import json
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Literal

from fastapi import Query, Request, Response
from fastapi.routing import APIRoute
from starlette.datastructures import URL

from app.api.http_cache import representation

Format = Annotated[
    Literal["json", "csv"] | None,
    Query(
        alias="format",
        description="`csv` for a CSV table of the items (or send `Accept: text/csv`).",
    ),
]


async def format_param(fmt: Format = None) -> None:
    """Declares and validates `format` on every route of a router (async: no thread hop)."""


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def table(payload: Any) -> list[dict[str, Any]]:
    """The rows a JSON answer holds: its `items` (a comparison adds its all-course row),
    a year's `courses`, or the object itself."""
    if isinstance(payload, list):
        return payload
    if not isinstance(payload, dict):
        return [{"value": payload}]
    if isinstance(payload.get("items"), list):
        rows = list(payload["items"])
        if isinstance(payload.get("all_courses"), dict):
            rows.append({"course": None, "name": "All courses", **payload["all_courses"]})
        return rows
    if isinstance(payload.get("courses"), list):
        return list(payload["courses"])
    return [payload]


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
    """`/api/v1/stats/changes` -> `stats-changes.csv`."""
    parts = [p for p in path.split("/") if p and p not in ("api", "v1")]
    return "-".join(parts or ["export"]) + ".csv"


class CSVRoute(APIRoute):
    """A route whose JSON answers can also be had as CSV."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap the JSON handler; convert a 200 JSON body when CSV is asked for."""
        handler = super().get_route_handler()

        async def csv_handler(request: Request) -> Response:
            response = await handler(request)
            query = list(request.query_params.multi_items())
            if (
                representation(query, request.headers.get("accept", "")) != "csv"
                or response.status_code != 200
                or response.media_type != "application/json"
            ):
                return response
            payload = json.loads(bytes(response.body))
            headers = {
                k: v
                for k, v in response.headers.items()
                if k.lower() not in ("content-length", "content-type")
            }
            headers["Content-Disposition"] = f'attachment; filename="{filename(request.url.path)}"'
            if isinstance(payload, dict) and payload.get("next_cursor"):
                nxt = URL(str(request.url)).include_query_params(cursor=payload["next_cursor"])
                headers["Link"] = f'<{nxt}>; rel="next"'
            return Response(
                to_csv(table(payload)), media_type="text/csv; charset=utf-8", headers=headers
            )

        return csv_handler
