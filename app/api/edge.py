"""The outermost layer: what every response carries and every request leaves behind.

An `X-Request-ID` in and out (the client's when it is a safe one), CORS
(`app.api.cors`: a preflight is answered here), the security headers of the path
(`app.api.security_headers`), one access-log line and the request's metrics
(`app.api.observability`). A cache hit passes through it like any other answer: one
way through for all of them, and these headers made by this one object.
"""

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.cors import VARY_ORIGIN, CorsPolicy
from app.api.observability import (
    Metrics,
    log_fields,
    log_request,
    request_id_for,
    route_template,
)
from app.api.problems import problem
from app.api.security_headers import security_headers

log = logging.getLogger("enrollment_stats")


class Edge:
    """ASGI middleware: request id, CORS, security headers, access log and metrics."""

    def __init__(
        self, app: ASGIApp, *, cors: CorsPolicy, metrics: Metrics, access_log: bool
    ) -> None:
        self.app = app
        self.cors = cors
        self.metrics = metrics
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        given = b""
        origin: bytes | None = None
        preflight: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"origin":
                origin = value
            elif name == b"x-request-id" and not given:
                given = value
            elif name == b"access-control-request-method":
                preflight = value
        request_id = request_id_for(given)
        scope.setdefault("state", {})["request_id"] = request_id  # for the error handlers
        # Every answer varies by Origin: a second `Vary` line adds it to the answer's own
        # (RFC 9110 §5.3: one list, however many lines).
        preflight = preflight if origin is not None and scope["method"] == "OPTIONS" else None
        after = [
            *(self.cors.headers(origin) if preflight is None else ()),  # its own, if so
            VARY_ORIGIN,
            (b"x-request-id", request_id.encode()),
            *security_headers(scope["path"]),
        ]
        status = 0  # until the answer starts

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), *after]
            await send(message)

        try:
            if origin is not None and preflight is not None:
                asked = dict(scope["headers"]).get(b"access-control-request-headers")
                answer = self.cors.preflight(
                    origin.decode("latin-1"),
                    preflight.decode("latin-1"),
                    asked.decode("latin-1") if asked else None,
                )
                await answer(scope, receive, send_with_headers)
            else:
                await self.app(scope, receive, send_with_headers)
        except Exception:  # in front of FastAPI's own error layer: nothing passes here
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if not status:
                detail = "The server failed to answer; the error was logged."
                await problem(500, detail, instance=scope["path"])(
                    scope, receive, send_with_headers
                )
        finally:
            seconds = time.perf_counter() - start
            method, route = scope["method"], route_template(scope)
            status = status or 500  # the client went away before any answer
            self.metrics.count(self.metrics.series(method, route, status), seconds)
            if self.access_log:
                fields = log_fields(method, scope["path"], route, status)
                log_request(scope, request_id, fields, seconds)
