"""Request ids, one JSON log line per request, and Prometheus metrics.

Nothing from request headers is logged but the request id, so neither keys nor
`Authorization` headers can reach the logs.
"""

import asyncio
import json
import os
import random
import re
import sys
import time
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_quote = json.encoder.encode_basestring  # a str as JSON, in C
# `*_created` series: noise for counters that start with the process.
disable_created_metrics()  # type: ignore[no-untyped-call]
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


class Metrics:
    """Request counts and latency by route and status, with prometheus_client.

    With several workers, `serve` sets `PROMETHEUS_MULTIPROC_DIR` before any worker
    starts: each worker then writes its numbers to files there and a scrape, whichever
    worker answers it, adds them up (prometheus_client's multiprocess mode), so
    counters never go down. One process keeps them in memory.
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry()  # the app's own: tests build many apps
        self.requests = Counter(
            "http_requests",
            "HTTP requests answered, by route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "Time to answer, by route template.",
            ["method", "route"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one request (the labelled series are looked up once each: `labels()`
        validates its arguments on every call, a third of a cache hit's time)."""
        series = self._series.get((method, route, status))
        if series is None:
            series = self._series[method, route, status] = (
                self.requests.labels(method, route, str(status)),
                self.duration.labels(method, route),
            )
        series[0].inc()
        series[1].observe(seconds)

    def render(self, *collectors: Collector) -> bytes:
        """Prometheus text exposition: every worker's requests, and `collectors`."""
        registry = CollectorRegistry()
        if multiprocess_dir():
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        else:
            registry.register(_Forward(self.registry))
        for collector in collectors:
            registry.register(collector)
        return generate_latest(registry)


def multiprocess_dir() -> str | None:
    """The folder of prometheus_client's multiprocess mode, when it is on."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class _Forward(Collector):
    """This process's own metrics, for a scrape registry."""

    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Iterable[Metric]:
        """The source registry's metrics."""
        return self.source.collect()


def route_template(scope: Scope) -> str:
    """The matched route's template with its router's prefix (`/api/v1/courses/{slug}`),
    so metrics have one series per route, not per URL; `unmatched` without a route.
    A cache hit names it in the scope (`route_template`), as the entry's route made it."""
    known = scope.get("route_template")
    if known is not None:
        return str(known)
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
        request_id = self.request_id(scope)
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
            self.record(scope, request_id, status, start)

    @staticmethod
    def request_id(scope: Scope) -> str:
        """The request's `X-Request-ID` when it is a safe one, else a new one; kept in
        the scope's state for the error handlers."""
        given = next((v for k, v in scope["headers"] if k == b"x-request-id"), b"")
        text = given.decode("latin-1")
        # A new one from the process's own generator (seeded from the system's randomness,
        # and again in each forked child): unique without a system call per request.
        request_id = text if _SAFE_ID.match(text) else f"{random.getrandbits(128):032x}"
        scope.setdefault("state", {})["request_id"] = request_id
        return request_id

    def record(
        self, scope: Scope, request_id: str, status: int, start: float, route: str | None = None
    ) -> None:
        """The request's metrics and access-log line (`route`: its template, when known)."""
        seconds = time.perf_counter() - start
        route = route or route_template(scope)
        self.metrics.observe(scope["method"], route, status, seconds)
        if self.access_log:
            client = (scope.get("client") or ("", 0))[0]
            _lines.add(
                f'{{"ts":"{_iso_second(int(time.time()))}","msg":"request","request_id":"{request_id}",'
                f'"method":{_quote(scope["method"])},"path":{_quote(scope["path"])},'
                f'"route":{_quote(route)},"status":{status},'
                f'"duration_ms":{round(seconds * 1000, 2)},"client":{_quote(client)}}}\n'
            )


class _Lines:
    """Access-log lines, one JSON object each, written to standard output together once
    per turn of the event loop (under load, one write for many requests). Through
    `logging`, with a write per line, a line cost 23 µs, most of a cache hit."""

    def __init__(self) -> None:
        self.pending: list[str] = []

    def add(self, line: str) -> None:
        """Write `line` before the event loop's next turn (at once, without a loop)."""
        if not self.pending:
            try:
                asyncio.get_running_loop().call_soon(self.flush)
            except RuntimeError:
                self.pending.append(line)
                self.flush()
                return
        self.pending.append(line)

    def flush(self) -> None:
        """Write every pending line."""
        lines, self.pending = self.pending, []
        sys.stdout.write("".join(lines))
        sys.stdout.flush()


_lines = _Lines()


@lru_cache(maxsize=1)
def _iso_second(second: int) -> str:
    """A Unix second as ISO 8601 UTC (formatted once per second)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second))
