"""Domain errors and their single rendering as RFC 9457 `application/problem+json`."""

import logging
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("enrollment_stats")


class DomainError(Exception):
    """A failure a client can act on; `status` picks the HTTP status."""

    status = 400
    type_slug = "bad-request"
    headers: ClassVar[dict[str, str] | None] = None

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


class Unauthorized(DomainError):
    """No key, or a key that is unknown or revoked."""

    status = 401
    type_slug = "unauthorized"
    headers: ClassVar[dict[str, str] | None] = {
        "WWW-Authenticate": 'Bearer realm="enrollment-stats"'
    }


class Forbidden(DomainError):
    """A valid key without the scope the operation needs."""

    status = 403
    type_slug = "forbidden"


class NotFound(DomainError):
    """The named resource does not exist."""

    status = 404
    type_slug = "not-found"


class Conflict(DomainError):
    """The request clashes with stored data (R1, R2, deletes with dependants)."""

    status = 409
    type_slug = "conflict"


class PreconditionFailed(DomainError):
    """`If-Match` names a version that is no longer current."""

    status = 412
    type_slug = "precondition-failed"


class Invalid(DomainError):
    """The payload or parameters break a rule (R3, R4, bad values)."""

    status = 422
    type_slug = "invalid"


def problem(
    status: int,
    detail: str,
    *,
    instance: str,
    type_: str = "about:blank",
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """One problem+json response; every error the API sends goes through here."""
    body: dict[str, Any] = {
        "type": type_,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(
        body,
        status_code=status,
        media_type=PROBLEM_JSON,
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    """`("query", "limit")` -> `limit`; `("body", "items", 0)` -> `items.0`."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"query", "path", "body", "header", "cookie"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Pydantic's error list as `[{field, message}]`, without echoing input back."""
    return [{"field": _field(e.get("loc", ())), "message": e.get("msg", "")} for e in exc.errors()]


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


def install_handlers(app: FastAPI) -> None:
    """Make every error, including the framework's own, a problem+json body."""

    async def on_domain(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        return problem(
            exc.status,
            exc.detail,
            instance=request.url.path,
            type_=f"/problems/{exc.type_slug}",
            errors=exc.errors,
            headers=exc.headers,
        )

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = validation_errors(exc)
        fields = ", ".join(sorted({e["field"] for e in errors}))
        return problem(
            422,
            f"Invalid value for: {fields}.",
            instance=request.url.path,
            type_="/problems/invalid",
            errors=errors,
        )

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        if exc.status_code == 400 and detail == "There was an error parsing the body":
            # FastAPI's answer to a body that is not even text: invalid input like any other.
            return problem(
                422,
                "The body is not valid JSON text.",
                instance=request.url.path,
                type_="/problems/invalid",
                errors=[{"field": "body", "message": "not valid JSON text"}],
            )
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"No resource at {request.url.path}."
        return problem(
            exc.status_code, detail, instance=request.url.path, headers=dict(exc.headers or {})
        )

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(
            500, "The server failed to answer; the error was logged.", instance=request.url.path
        )

    app.add_exception_handler(DomainError, on_domain)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
    app.add_middleware(RefuseNul)
