"""The outermost layer: what every response carries and every request leaves behind.

An `X-Request-ID` in and out (the client's when it is a safe one), the security
headers of the response's path (`app.api.security_headers`), one access-log line and
the request's metrics (`app.api.observability`). A cache hit passes through it like
any other answer: one way through for all of them.
"""

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.observability import (
    Metrics,
    log_fields,
    log_request,
    request_id_for,
    route_template,
)
from app.api.security_headers import security_headers


class Edge:
    """ASGI middleware: request id, security headers, access log and metrics."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics, access_log: bool) -> None:
        self.app = app
        self.metrics = metrics
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        given = next((v for k, v in scope["headers"] if k == b"x-request-id"), b"")
        request_id = request_id_for(given)
        scope.setdefault("state", {})["request_id"] = request_id  # for the error handlers
        after = [(b"x-request-id", request_id.encode()), *security_headers(scope["path"])]
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), *after]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            seconds = time.perf_counter() - start
            method, route = scope["method"], route_template(scope)
            self.metrics.count(self.metrics.series(method, route, status), seconds)
            if self.access_log:
                log_request(
                    scope, request_id, log_fields(method, scope["path"], route, status), seconds
                )
