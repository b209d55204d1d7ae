"""The outermost layer: a cached GET, or its 304, answered by one small piece of code.

A hit needs nothing the layers below decide: the entry holds the route's answer and
headers (ETag, Cache-Control, Vary, content type), and the headers those layers add
are the same for every hit of the entry: CORS (made once per entry by the app's own
`CORSMiddleware`, with and without an `Origin`), then the request id and the security
headers. The request's metrics and access-log line are written as `RequestLog`
writes them. Anything else goes down the whole stack unchanged: a miss, HEAD, a
`.csv` suffix, `as_of` (mapped to a moment by a read), a key or cookie, an `Origin`
when CORS names origins (its answer then depends on the origin's value).
"""

import time
from contextlib import suppress
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.http_cache import (
    UNCACHED_PATHS,
    Entry,
    ResponseCache,
    cache_key,
    etag_matches,
    not_modified_headers,
    public,
)
from app.api.observability import RequestLog, Series, log_fields, request_id_for
from app.api.representations import SUFFIXES
from app.api.route_table import RouteTable
from app.api.security_headers import security_headers
from app.db.version import VersionReader
from app.errors import Busy

_PASS = frozenset((b"authorization", b"cookie", b"content-length", b"transfer-encoding"))
_WITH_ORIGIN = Headers(raw=[(b"origin", b"null")])
_WITHOUT_ORIGIN = Headers(raw=[])


MEMO = 10_000  # request targets whose cache keys are remembered (then all forgotten)
MEMO_TARGET = 1024  # characters of path, query and Accept: longer ones are not remembered
_UNCACHEABLE = ("", "", "")


class Prepared(NamedTuple):
    """What every hit of an entry with one status and Origin sends and records."""

    before: list[tuple[bytes, bytes]]  # the response's headers up to the request id
    after: list[tuple[bytes, bytes]]  # and after it
    series: Series
    fields: str


class HitPath:
    """ASGI middleware answering response-cache hits before every other layer."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        reader: VersionReader,
        table: RouteTable,
        cache: ResponseCache | None,
        max_age: int,
        request_log: RequestLog,
        cors: CORSMiddleware,
    ) -> None:
        self.app = app
        self.reader = reader
        self.table = table
        self.cache = cache
        self.public = public(max_age)
        self.log = request_log
        self.cors = cors
        self.any_origin = cors.allow_all_origins and not cors.allow_credentials
        # (path, query string, Accept) -> cache key, or _UNCACHEABLE: a hit parses nothing
        self.keys: dict[tuple[str, bytes, str], tuple[str, str, str]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.cache is None or scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        accept = if_none_match = ""
        given_id = b""
        origin = False
        for name, value in scope["headers"]:
            if name in _PASS:
                await self.app(scope, receive, send)
                return
            if name == b"accept":
                accept = value.decode("latin-1")
            elif name == b"if-none-match":
                if_none_match = value.decode("latin-1")
            elif name == b"origin":
                origin = True
            elif name == b"x-request-id" and not given_id:
                given_id = value
        key = self._key(scope["path"], scope["query_string"], accept)
        entry = None
        if key is not _UNCACHEABLE and not (origin and not self.any_origin):
            with suppress(Busy):  # no version: the layers behind answer (a 503)
                entry = self.cache.get(key, await self.reader.read())
        if entry is None:
            await self.app(scope, receive, send)
            return

        request_id = request_id_for(given_id)
        status = 304 if if_none_match and etag_matches(if_none_match, entry.etag) else 200
        prepared = entry.prepared.get((status, origin))
        if prepared is None:
            prepared = entry.prepared[status, origin] = await self._prepare(
                entry, status, origin, scope
            )
        before, after, series, fields = prepared
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [*before, (b"x-request-id", request_id.encode()), *after],
            }
        )
        await send({"type": "http.response.body", "body": b"" if status == 304 else entry.body})
        self.log.write(scope, request_id, start, series, fields)

    def _key(self, path: str, query_string: bytes, accept: str) -> tuple[str, str, str]:
        """The response cache's key for this request target (remembered), or _UNCACHEABLE:
        a `.csv` suffix, an operations path, `as_of` (mapped to a moment by a read) or
        a path no GET serves."""
        memo = (path, query_string, accept)
        key = self.keys.get(memo)
        if key is not None:
            return key
        key = _UNCACHEABLE
        if not path.endswith(tuple(SUFFIXES)) and not path.startswith(UNCACHED_PATHS):
            raw = query_string.decode("latin-1")
            query = parse_qsl(raw, keep_blank_values=True) if raw else []
            if not any(k == "as_of" for k, _ in query):
                key = cache_key(self.table, path, query, accept) or _UNCACHEABLE
        if len(path) + len(query_string) + len(accept) <= MEMO_TARGET:  # memory: ~10 MB
            if len(self.keys) >= MEMO:
                self.keys.clear()
            self.keys[memo] = key
        return key

    async def _prepare(self, entry: Entry, status: int, origin: bool, scope: Scope) -> Prepared:
        """The entry's headers (or its 304's) as the CORS layer passes them on, the
        security headers that follow the request id, and the request's metrics and
        log fields."""
        base = entry.headers if status == 200 else not_modified_headers(entry.etag, self.public)
        passed: list[Message] = []

        async def keep(message: Message) -> None:
            passed.append(message)

        message: dict[str, Any] = {"type": "http.response.start", "status": status}
        message["headers"] = list(base)
        await self.cors.send(
            message, send=keep, request_headers=_WITH_ORIGIN if origin else _WITHOUT_ORIGIN
        )
        method, path, route = scope["method"], scope["path"], entry.template
        return Prepared(
            before=list(passed[0]["headers"]),
            after=security_headers(path),
            series=self.log.metrics.series(method, route, status),
            fields=log_fields(method, path, route, status),
        )
