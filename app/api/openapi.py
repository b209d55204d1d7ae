"""The OpenAPI document: what FastAPI derives from the routes, plus what a client needs
and the routes cannot say: problem+json errors, the CSV tables as operations of their
own (`{path}.csv`), 304 and the response headers (ETag, Location, Link, Retry-After,
Idempotent-Replayed, X-Request-ID)."""

import copy
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.api.csv_route import SUFFIX, table, to_csv
from app.schemas.common import Problem


def _header(description: str, example: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if example is not None:
        schema["example"] = example
    return {"description": description, "schema": schema}


REQUEST_ID = _header("The request's id (the client's `X-Request-ID`, or a new one).")
ETAG = _header(
    "The representation's version; send it as `If-None-Match` (or, for a "
    "figure, as `If-Match` on a write).",
    '"3-1"',
)
CACHE_CONTROL = _header("`public, max-age=N` for anonymous reads.", "public, max-age=60")
LINK = _header('CSV lists: the next page, `<...>; rel="next"` (relative).')
LOCATION = _header("Where the new resource is.", "/api/v1/attendance/13")
REPLAYED = _header("`true` when this answer replays an earlier one (same Idempotency-Key).")
RETRY_AFTER = _header("Seconds to wait before trying again.", "30")
DISPOSITION = _header("The CSV's file name.", 'attachment; filename="years-2019.csv"')


def _decorate(path: str, method: str, op: dict[str, Any]) -> None:
    """Problem+json errors and the headers each response carries."""
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    responses: dict[str, Any] = op.setdefault("responses", {})
    if method == "get":
        responses["304"] = {
            "description": "Not modified: the `If-None-Match` ETag is current.",
            "headers": {"ETag": ETAG, "Cache-Control": CACHE_CONTROL},
        }
    if path.startswith("/api/"):
        responses.setdefault(
            "503",
            {"description": "Busy: the work could not start within DB_WAIT_SECONDS; retry."},
        )
    for status, response in responses.items():
        headers = response.setdefault("headers", {})
        headers["X-Request-ID"] = REQUEST_ID
        if not status.isdigit():
            continue
        code = int(status)
        if code >= 400:
            response["content"] = {"application/problem+json": {"schema": problem_ref}}
        if code in (429, 503):
            headers["Retry-After"] = RETRY_AFTER
        if code == 200 and method == "get":
            headers["ETag"] = ETAG
            headers["Cache-Control"] = CACHE_CONTROL
        if code == 200 and method in ("put", "patch") and "attendance" in path:
            headers["ETag"] = ETAG
        if code == 201:
            headers["Location"] = LOCATION
            headers["Idempotent-Replayed"] = REPLAYED
            if "attendance" in path:
                headers["ETag"] = ETAG


def _example(schema: dict[str, Any], schemas: dict[str, Any], depth: int = 0) -> Any:
    """An example of `schema`, from the examples of it or of its parts (None if none)."""
    if "example" in schema or depth > 4:
        return schema.get("example")
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return _example(schemas.get(ref.rsplit("/", 1)[1], {}), schemas, depth + 1)
    if schema.get("type") == "array":
        item = _example(schema.get("items", {}), schemas, depth + 1)
        return None if item is None else [item]
    properties = schema.get("properties") or {}
    found = {k: _example(v, schemas, depth + 1) for k, v in properties.items()}
    if not any(v is not None for v in found.values()):
        return None
    return found


def _csv_example(json_content: dict[str, Any], schemas: dict[str, Any], model: Any) -> str | None:
    """The JSON answer's example as the CSV table it would be."""
    example = json_content.get("example")
    if example is None:
        example = _example(json_content.get("schema", {}), schemas)
    return None if not isinstance(example, dict) else to_csv(table(model, example))


def _csv_twin(op: dict[str, Any], schemas: dict[str, Any], model: Any) -> dict[str, Any]:
    """The same read as a CSV table: same parameters and errors, a text/csv 200."""
    twin = copy.deepcopy(op)
    twin["operationId"] = f"{op['operationId']}_csv"
    twin["summary"] = f"{op.get('summary', '')} (CSV)".strip()
    twin["description"] = (
        "The same answer as a CSV table: one row per item, each with what the answer "
        "says of all of them (e.g. `year`, `from`, `to`), aggregate rows labelled "
        "`(all courses)`. "
        "Also reachable as `?format=csv` or with `Accept: text/csv`."
    )
    headers = twin["responses"]["200"]["headers"]
    headers["Content-Disposition"] = DISPOSITION
    if any(p["name"] == "cursor" for p in twin.get("parameters", [])):
        headers["Link"] = LINK
    media: dict[str, Any] = {"schema": {"type": "string"}}
    example = _csv_example(op["responses"]["200"]["content"]["application/json"], schemas, model)
    if example is not None:
        media["example"] = example
    twin["responses"]["200"]["content"] = {"text/csv": media}
    twin["responses"]["200"]["description"] = "A CSV table."
    return twin


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document (made once)."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    spec = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    paths: dict[str, Any] = spec["paths"]
    schemas: dict[str, Any] = spec["components"]["schemas"]
    for path, item in paths.items():
        for method, op in item.items():
            _decorate(path, method, op)
    for path, model in app.state.route_table.csv_paths().items():
        if path not in paths:
            continue
        paths[f"{path}{SUFFIX}"] = {"get": _csv_twin(paths[path]["get"], schemas, model)}
        paths[path]["get"]["description"] = (
            paths[path]["get"].get("description", "") + f"\n\nAs a CSV table: `GET {path}{SUFFIX}`."
        )
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(schemas["Problem"].pop("$defs", {}))
    app.openapi_schema = spec
    return spec
