"""Request ids, one JSON log line per request, and Prometheus metrics.

Nothing from request headers is logged but the request id, so neither keys nor
`Authorization` headers can reach the logs.
"""

import json
import logging
import os
import re
import time
from bisect import bisect_left
from collections import defaultdict
from itertools import accumulate
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("enrollment_stats.access")
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


class Metrics:
    """Request counts and latency by route and status, in this worker process."""

    def __init__(self) -> None:
        self.requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self.buckets: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * len(BUCKETS))
        self.sums: dict[tuple[str, str], float] = defaultdict(float)
        self.counts: dict[tuple[str, str], int] = defaultdict(int)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one request."""
        self.requests[method, route, status] += 1
        key = (method, route)
        self.sums[key] += seconds
        self.counts[key] += 1
        # The smallest bucket holding `seconds` (none past the last); render adds them up.
        i = bisect_left(BUCKETS, seconds)
        if i < len(BUCKETS):
            self.buckets[key][i] += 1

    def render(self, gauges: dict[str, tuple[str, float]]) -> str:
        """Prometheus text exposition (version 0.0.4)."""
        out = [
            "# HELP http_requests_total HTTP requests answered, by route template and status.",
            "# TYPE http_requests_total counter",
        ]
        for (method, route, status), n in sorted(self.requests.items()):
            out.append(
                f'http_requests_total{{method="{method}",route="{route}",status="{status}"}} {n}'
            )
        out += [
            "# HELP http_request_duration_seconds Time to answer, by route template.",
            "# TYPE http_request_duration_seconds histogram",
        ]
        for (method, route), counts in sorted(self.buckets.items()):
            labels = f'method="{method}",route="{route}"'
            for bound, n in zip(BUCKETS, accumulate(counts), strict=True):
                out.append(f'http_request_duration_seconds_bucket{{{labels},le="{bound}"}} {n}')
            total = self.counts[method, route]
            out.append(f'http_request_duration_seconds_bucket{{{labels},le="+Inf"}} {total}')
            out.append(
                f"http_request_duration_seconds_sum{{{labels}}} {self.sums[method, route]:.6f}"
            )
            out.append(f"http_request_duration_seconds_count{{{labels}}} {total}")
        for name, (help_text, value) in gauges.items():
            out += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {value:g}"]
        return "\n".join(out) + "\n"


def route_template(scope: Scope) -> str:
    """The matched route's template with its router's prefix (`/api/v1/courses/{slug}`),
    so metrics have one series per route, not per URL; `unmatched` without a route."""
    route = scope.get("route")
    template = getattr(route, "path_format", None)
    if not template:
        return "unmatched"
    path = scope["path"]
    try:
        inner = template.format(**scope.get("path_params", {}))
    except (KeyError, IndexError, ValueError):
        return str(template)
    prefix = path[: len(path) - len(inner)] if path.endswith(inner) else ""
    return f"{prefix}{template}"


class RequestLog:
    """ASGI middleware: `X-Request-ID` in and out, an access log line, metrics."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics, access_log: bool) -> None:
        self.app = app
        self.metrics = metrics
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == b"x-request-id"), b"")
        text = given.decode("latin-1")
        request_id = text if _SAFE_ID.match(text) else os.urandom(16).hex()
        scope.setdefault("state", {})["request_id"] = request_id
        start = time.perf_counter()
        status = 500
        id_header = (b"x-request-id", request_id.encode())

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - start
            route = route_template(scope)
            self.metrics.observe(scope["method"], route, status, seconds)
            if self.access_log:
                line: dict[str, Any] = {
                    "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "msg": "request",
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": scope["path"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                    "client": (scope.get("client") or ("", 0))[0],
                }
                log.info(json.dumps(line))
