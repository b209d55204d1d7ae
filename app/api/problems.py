"""Every error the API sends, rendered once as RFC 9457 `application/problem+json`.

Domain errors (`app.errors`) carry no HTTP: this module alone maps them to statuses.
"""

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from app import errors
from app.api.route_table import RouteTable
from app.db.session import is_busy

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("enrollment_stats")

# Most specific first: RateLimited is a Busy.
STATUSES: tuple[tuple[type[errors.DomainError], int, str], ...] = (
    (errors.Unauthorized, 401, "unauthorized"),
    (errors.Forbidden, 403, "forbidden"),
    (errors.NotFound, 404, "not-found"),
    (errors.Conflict, 409, "conflict"),
    (errors.PreconditionFailed, 412, "precondition-failed"),
    (errors.TooLarge, 413, "too-large"),
    (errors.Invalid, 422, "invalid"),
    (errors.RateLimited, 429, "rate-limited"),
    (errors.Busy, 503, "busy"),
)


def status_of(exc: errors.DomainError) -> tuple[int, str]:
    """The HTTP status and problem type slug of a domain error."""
    for cls, status, slug in STATUSES:
        if isinstance(exc, cls):
            return status, slug
    return 400, "bad-request"


def problem(
    status: int,
    detail: str,
    *,
    instance: str,
    type_: str = "about:blank",
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    """One problem+json response; every error the API sends goes through here."""
    body: dict[str, Any] = {
        "type": type_,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
        **(extra or {}),
    }
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(
        body,
        status_code=status,
        media_type=PROBLEM_JSON,
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


def not_found(path: str) -> JSONResponse:
    """404: nothing is served at `path` (as the router says it, whatever the method)."""
    return problem(404, f"No resource at {path}.", instance=path)


def not_allowed(method: str, path: str, allow: Sequence[str]) -> JSONResponse:
    """405: `method` is not served at `path`, with the `Allow` it takes."""
    return problem(
        405,
        f"{method} is not served at {path}; it takes {', '.join(allow)}.",
        instance=path,
        headers={"Allow": ", ".join(allow)},
    )


async def allow_options(send: Send, allow: Sequence[str]) -> None:
    """A plain OPTIONS answered: 204 with the methods the resource takes."""
    headers = [(b"allow", ", ".join(allow).encode()), (b"cache-control", b"no-store")]
    await send({"type": "http.response.start", "status": 204, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


def domain_problem(exc: errors.DomainError, instance: str) -> JSONResponse:
    """A domain error as its problem response."""
    status, slug = status_of(exc)
    headers: dict[str, str] = {}
    if isinstance(exc, errors.Unauthorized):
        headers["WWW-Authenticate"] = 'Bearer realm="enrollment-stats"'
    if isinstance(exc, errors.Busy):
        headers["Retry-After"] = str(exc.retry_after)
    extra = {"error_count": exc.error_count} if exc.error_count is not None else {}
    extra.update(exc.extra)
    return problem(
        status,
        exc.detail,
        instance=instance,
        type_=f"/problems/{slug}",
        errors=exc.errors,
        headers=headers,
        extra=extra,
    )


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    """`("query", "limit")` -> `limit`; `("body", "items", 0)` -> `items.0`."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"query", "path", "body", "header", "cookie"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def _error(e: dict[str, Any]) -> dict[str, Any]:
    if e.get("type") == "json_invalid":  # its loc is ("body", character offset)
        reason = (e.get("ctx") or {}).get("error", "")
        return {"field": "body", "message": f"not valid JSON: {reason}".rstrip(": ")}
    return {"field": _field(e.get("loc", ())), "message": e.get("msg", "")}


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Pydantic's error list as `[{field, message}]`, without echoing input back."""
    return [_error(e) for e in exc.errors()]


class RefuseNul:
    """ASGI middleware: a NUL character in the path or query is a 422, whatever the route
    (PostgreSQL text cannot hold one, and no slug, year or cursor contains one)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            "\x00" in scope["path"]
            or b"%00" in scope["query_string"].lower()
            or b"\x00" in scope["query_string"]
        ):
            response = problem(
                422,
                "The URL contains a NUL character.",
                instance=scope["path"].replace("\x00", ""),
                type_="/problems/invalid",
                errors=[{"field": "url", "message": "NUL characters are not allowed"}],
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def install_handlers(app: FastAPI, table: RouteTable) -> None:
    """Make every error, including the framework's own, a problem+json body."""

    async def on_domain(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, errors.DomainError)
        return domain_problem(exc, request.url.path)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        found = validation_errors(exc)
        fields = ", ".join(sorted({e["field"] for e in found}))
        return problem(
            422,
            f"Invalid value for: {fields}.",
            instance=request.url.path,
            type_="/problems/invalid",
            errors=found,
        )

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        path = request.url.path
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        headers = dict(exc.headers or {})
        if exc.status_code == 400:
            # The framework's only 400: a body it could not parse at all (not even text).
            # Invalid input like any other; its message text is not ours to match.
            return problem(
                422,
                "The body is not valid JSON text.",
                instance=path,
                type_="/problems/invalid",
                errors=[{"field": "body", "message": "not valid JSON text"}],
            )
        if exc.status_code == 404:  # the router's: our own 404s are domain errors
            bare = path.rstrip("/")
            if bare and bare != path and table.allowed(bare):
                # A trailing slash: the resource without it, by a relative link (never the
                # request's Host, which a shared cache would keep for everyone).
                query = request.url.query
                location = f"{bare}?{query}" if query else bare
                return Response(status_code=308, headers={"Location": location})
            return not_found(path)
        if exc.status_code == 405:
            return not_allowed(request.method, path, table.allowed(path))
        return problem(exc.status_code, detail, instance=path, headers=headers)

    async def on_database(request: Request, exc: Exception) -> Response:
        if not is_busy(exc):
            raise exc  # a fault: on to on_unexpected, a logged 500
        # A full pool or a lock held too long (a long import): not a fault; try again.
        log.warning("busy: %s %s: %s", request.method, request.url.path, type(exc).__name__)
        busy = errors.Busy(
            "The database is busy (a long import, or every connection in use); retry shortly.",
            retry_after=2,
        )
        return domain_problem(busy, request.url.path)

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(
            500, "The server failed to answer; the error was logged.", instance=request.url.path
        )

    app.add_exception_handler(errors.DomainError, on_domain)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(DBAPIError, on_database)
    app.add_exception_handler(PoolTimeout, on_database)
    app.add_exception_handler(Exception, on_unexpected)
