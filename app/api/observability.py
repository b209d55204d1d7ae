"""Request ids, one JSON log line per request, and Prometheus metrics.

Nothing from request headers is logged but the request id, so neither keys nor
`Authorization` headers can reach the logs.
"""

import asyncio
import itertools
import json
import os
import random
import re
import sys
import time
from bisect import bisect_left
from collections.abc import Callable, Iterable
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
from starlette.types import Scope

_quote = json.encoder.encode_basestring  # a str as JSON, in C
# `*_created` series: noise for counters that start with the process.
disable_created_metrics()  # type: ignore[no-untyped-call]
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


class Series:
    """The request counter and duration histogram of one route and status, and the
    requests counted since they were last added to them.

    Under load a turn of the event loop answers many requests: adding them up first
    takes a lock per value once per turn instead of three per request (a fifth of a
    cache hit's time). prometheus_client adds one observation at a time to a histogram,
    so a bucket's count is added to the value `observe()` itself adds to (`_buckets`,
    and `_sum`); constraints.txt pins the version, and tests/test_observability.py compares
    the exposition with `observe()`'s own."""

    __slots__ = ("buckets", "counter", "histogram", "requests", "seconds")

    def __init__(self, counter: Any, histogram: Any) -> None:
        self.counter, self.histogram = counter, histogram
        self.requests, self.seconds = 0, 0.0
        self.buckets = [0] * (len(BUCKETS) + 1)  # the last one is +Inf

    def flush(self) -> None:
        """Add the requests counted here to the counter and histogram."""
        self.counter.inc(self.requests)
        self.histogram._sum.inc(self.seconds)
        for i, n in enumerate(self.buckets):
            if n:
                self.histogram._buckets[i].inc(n)
                self.buckets[i] = 0
        self.requests, self.seconds = 0, 0.0


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
        self._series: dict[tuple[str, str, int], Series] = {}
        self._counted: list[Series] = []  # series with requests not yet in their values

    def series(self, method: str, route: str, status: int) -> Series:
        """The counter and histogram of one route and status (looked up once each:
        `labels()` validates its arguments on every call, a third of a cache hit's time)."""
        series = self._series.get((method, route, status))
        if series is None:
            series = self._series[method, route, status] = Series(
                self.requests.labels(method, route, str(status)),
                self.duration.labels(method, route),
            )
        return series

    def count(self, series: Series, seconds: float) -> None:
        """Count one request of `series` that took `seconds`: added up here, and to
        prometheus_client's values once per turn of the event loop (`flush`)."""
        first = not series.requests
        series.requests += 1
        series.seconds += seconds
        series.buckets[bisect_left(BUCKETS, seconds)] += 1  # the first bound >= seconds
        if first:
            self._counted.append(series)
            if len(self._counted) == 1:
                after_this_turn(self.flush)

    def flush(self) -> None:
        """Add the requests counted since the last flush to the metrics' values."""
        counted, self._counted = self._counted, []
        for series in counted:
            series.flush()

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


def after_this_turn(callback: Callable[[], None]) -> None:
    """Call `callback` at the event loop's next turn (at once, without a running loop):
    after the requests of this turn, and before any request read after them."""
    try:
        asyncio.get_running_loop().call_soon(callback)
    except RuntimeError:
        callback()


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
    """The matched route's template (`/api/v1/courses/{slug}`), so metrics have one series
    per route, not per URL; `unmatched` without a route. Every router is included
    without a prefix (`PrefixRouter` holds the whole path), so a route's own template
    is the whole of it. A cache hit names it in the scope (`route_template`), as the
    entry's route made it."""
    known = scope.get("route_template")
    if known is not None:
        return str(known)
    template = getattr(scope.get("route"), "path_format", None)
    return str(template) if template else "unmatched"


def log_request(scope: Scope, request_id: str, fields: str, seconds: float) -> None:
    """Write the access-log line of a request answered in `seconds`; `fields` are
    `log_fields`'s."""
    client = scope.get("client")
    _lines.add(
        f'{_line_head(int(time.time()))}{request_id}",{fields}'
        f'"duration_ms":{seconds * 1000:.2f},"client":{_host(client[0] if client else "")}}}\n'
    )


@lru_cache(maxsize=1)
def _line_head(second: int) -> str:
    """An access-log line up to its request id, in one Unix second (made once a second)."""
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second))
    return f'{{"ts":"{when}","msg":"request","request_id":"'


@lru_cache(maxsize=1024)
def _host(host: str) -> str:
    """A client's address as JSON (made once per address)."""
    return _quote(host)


class _Ids:
    """Request ids: 16 random hex digits for the process (drawn again in each forked
    child) and a counter, so unique without drawing randomness per request."""

    def __init__(self) -> None:
        self.renew()
        os.register_at_fork(after_in_child=self.renew)

    def renew(self) -> None:
        """A new prefix and counter (at start, and in a forked child)."""
        self.prefix = f"{random.SystemRandom().getrandbits(64):016x}"
        self.next = itertools.count().__next__

    def new(self) -> str:
        """An id no other request of any process has (32 hex digits)."""
        return f"{self.prefix}{self.next():016x}"


_ids = _Ids()


def request_id_for(given: bytes) -> str:
    """`given` (an `X-Request-ID`) when it is a safe id, else a new one."""
    if given:
        text = given.decode("latin-1")
        if _SAFE_ID.match(text):
            return text
    return _ids.new()


@lru_cache(maxsize=4096)
def log_fields(method: str, path: str, route: str, status: int) -> str:
    """The middle of an access-log line: what the request and its answer fix (made once
    for the requests of one path and status)."""
    return (
        f'"method":{_quote(method)},"path":{_quote(path)},'
        f'"route":{_quote(route)},"status":{status},'
    )


class _Lines:
    """Access-log lines, one JSON object each, written to standard output together once
    per turn of the event loop (under load, one write for many requests). Through
    `logging`, with a write per line, a line cost 23 µs, most of a cache hit."""

    def __init__(self) -> None:
        self.pending: list[str] = []

    def add(self, line: str) -> None:
        """Write `line` before the event loop's next turn (at once, without a loop)."""
        self.pending.append(line)
        if len(self.pending) == 1:
            after_this_turn(self.flush)

    def flush(self) -> None:
        """Write every pending line."""
        lines, self.pending = self.pending, []
        sys.stdout.write("".join(lines))
        sys.stdout.flush()


_lines = _Lines()
