"""The OpenAPI document: what FastAPI derives from the routes, plus what a client needs
and the routes cannot say: problem+json errors, the CSV tables as operations of their
own (`{path}.csv`), 304 and the response headers (ETag, Location, Link, Retry-After,
Idempotent-Replayed, X-Request-ID)."""

import copy
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.api import csv_examples
from app.api.formats import CSV, PARQUET, XLSX
from app.api.state import state_of
from app.schemas.common import Problem
from app.schemas.glossary import GLOSSARY


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


def _csv_twin(op: dict[str, Any]) -> dict[str, Any]:
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
    twin["responses"]["200"]["content"] = {"text/csv": {"schema": {"type": "string"}}}
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
    for path in state_of(app).route_table.csv_paths():
        if path not in paths:
            continue
        paths[f"{path}{CSV.suffix}"] = {"get": _csv_twin(paths[path]["get"])}
        paths[path]["get"]["description"] = (
            paths[path]["get"].get("description", "")
            + f"\n\nAs a CSV table: `GET {path}{CSV.suffix}`; the same rows typed as "
            f"Parquet (`{path}{PARQUET.suffix}`) or as a workbook (`{path}{XLSX.suffix}`), "
            "each with the request, the envelope and the sources beside the rows; or by "
            "`Accept`."
        )
        content = paths[path]["get"]["responses"]["200"].setdefault("content", {})
        content["text/csv"] = {"schema": {"type": "string"}}
        for renderer in (PARQUET, XLSX):
            content[renderer.media_type] = {"schema": {"type": "string", "format": "binary"}}
    for path, item in paths.items():  # the CSV tables' examples: real answers on the seed
        csv = item.get("get", {}).get("responses", {}).get("200", {}).get("content", {})
        if "text/csv" in csv and path in csv_examples.examples():
            csv["text/csv"]["example"] = csv_examples.examples()[path]
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(schemas["Problem"].pop("$defs", {}))
    for schema in schemas.values():
        for name, prop in (schema.get("properties") or {}).items():
            if "description" not in prop and name in GLOSSARY:
                prop["description"] = GLOSSARY[name]
    app.openapi_schema = spec
    return spec
