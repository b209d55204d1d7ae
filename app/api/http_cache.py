"""ETags, 304s, Cache-Control and a response cache keyed by the data version.

Every write advances one version number in the database, in the same transaction
(`app.services.audit.record`); each worker knows it without a query per request
(`app.db.version`). The ETag of a representation (a hash of the version and the
request) changes at once in every worker after any write, and a response cached
under an older version is never served: entries of older versions are dropped as
soon as a newer version is seen. Routes that know a finer version (a figure's
revision) set their own ETag, which is kept.

The cache holds at most `max_bytes` of bodies and headers (LRU). Its key is the path,
the query parameters the route declares (in the order given: the route reads the
last of a repeated one) and the representation; `_` (a cache-buster) makes no new
entry, and an unknown parameter is refused before the cache (`app.api.parameters`).
"""

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from datetime import datetime
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import __version__
from app.api.observability import route_template
from app.api.problems import domain_problem
from app.api.response_cache import (
    Entry,
    Key,
    ResponseCache,
    cache_key,
    etag_matches,
    not_modified_headers,
    public,
)
from app.api.route_table import RouteTable
from app.db.version import VersionReader
from app.errors import Busy, Invalid
from app.services.history import parse_as_of

UNCACHED_PATHS = ("/health", "/ready", "/metrics")
MEMO = 10_000  # request targets whose cache keys are remembered (then all forgotten)
MEMO_TARGET = 1024  # characters of path, query and Accept: longer ones are not remembered
_AS_OF: Key = ("", "as_of", "")  # a key made by a read first (`_key_as_of`)
_UNKNOWN: Key = ("", "", "")  # not remembered yet


class HttpCacheMiddleware:
    """ASGI middleware for anonymous GETs: ETag, `If-None-Match` -> 304, Cache-Control,
    and (given a `cache`) whole responses from memory."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        reader: VersionReader,
        table: RouteTable,
        max_age: int,
        cache: ResponseCache | None,
        last_write: Callable[[datetime], Awaitable[datetime]],
        max_body: int = 1 << 20,
    ) -> None:
        self.app = app
        self.reader = reader
        self.table = table
        self.public = public(max_age)
        self.cache = cache
        self.last_write = last_write
        self.computing: dict[Key, asyncio.Event] = {}
        self.max_body = max_body
        # (path, query string, Accept) -> its cache key, `_AS_OF` or None
        self.keys: dict[tuple[str, bytes, str], Key | None] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        accept = if_none_match = ""
        for name, value in scope["headers"]:  # one pass: this runs on every GET
            if name == b"authorization":
                await self._private(scope, receive, send)
                return
            if name == b"accept":
                accept = value.decode("latin-1")
            elif name == b"if-none-match":
                if_none_match = value.decode("latin-1")
        key = self._key(scope["path"], scope["query_string"], accept)
        if key is _AS_OF:
            key = await self._key_as_of(scope, accept)
        if key is None:  # not cached (see `_key`): the layers behind answer
            await self.app(scope, receive, send)
            return
        try:
            version = self.reader.known()
            if version is None:
                version = await self.reader.read()
        except Busy as exc:  # no version, no ETag: never a guess
            await domain_problem(exc, scope["path"])(scope, receive, send)
            return
        entry = self.cache.get(key, version) if self.cache is not None else None
        computing = self.computing.get(key) if self.cache is not None else None
        if entry is None and computing is not None:
            # The same answer is being made for another request: wait for it rather
            # than make it again (a burst of one cold URL costs one computation).
            await computing.wait()
            entry = self.cache.get(key, version) if self.cache is not None else None
        if entry is not None:
            scope["route_template"] = entry.template  # for the request log and metrics
            if if_none_match and etag_matches(if_none_match, entry.etag):
                await send(
                    {
                        "type": "http.response.start",
                        "status": 304,
                        "headers": list(entry.not_modified),
                    }
                )
                await send({"type": "http.response.body", "body": b""})
            else:
                await send(
                    {"type": "http.response.start", "status": 200, "headers": list(entry.headers)}
                )
                await send({"type": "http.response.body", "body": entry.body})
            return

        digest = hashlib.blake2b(f"{__version__}|{version}|{key}".encode(), digest_size=12)
        default_etag = f'"{digest.hexdigest()}"'
        state: dict[str, object] = {"status": 0, "skip": False}
        # The headers as the route and this middleware made them: middleware further
        # out (CORS, the request log) edits the message after it leaves here.
        start: list[list[tuple[bytes, bytes]]] = []
        parts: list[bytes] = []
        size = 0

        async def capture(message: Message) -> None:
            nonlocal size
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                if message["status"] == 200:
                    out = message["headers"] = list(message.get("headers", ()))
                    given = dict(out)  # names as ASGI gives them: lower case
                    etag = given.get(b"etag", b"").decode("latin-1") or default_etag
                    if b"etag" not in given:
                        out.append((b"etag", etag.encode("latin-1")))
                    if b"cache-control" not in given:
                        out.append((b"cache-control", self.public))
                    out.append((b"vary", b"Accept"))
                    state["etag"] = etag
                    if if_none_match and etag_matches(if_none_match, etag):
                        state["skip"] = True
                        await self._not_modified(send, etag)
                        return
                    start.append(list(message["headers"]))
                await send(message)
                return
            if state["skip"]:
                return
            if start and self.cache is not None:
                parts.append(message.get("body", b""))
                size += len(parts[-1])
                if size > self.max_body:
                    start.clear()
            await send(message)

        if self.cache is None:
            await self.app(scope, receive, capture)
            return
        done = self.computing.setdefault(key, asyncio.Event())
        try:
            await self.app(scope, receive, capture)
            await self._keep(key, version, start, parts, state, scope)
        finally:
            if self.computing.get(key) is done:
                del self.computing[key]
            done.set()

    def _key(self, path: str, query_string: bytes, accept: str) -> Key | None:
        """The one rule of what is cached: the cache key of an anonymous GET of `path`
        (remembered per request target, so a hit parses nothing), `_AS_OF` when it names
        `as_of` (mapped to a moment by a read first), or None: an operations path, a
        path no GET serves (the router's 404 or 405), a parameter the route does not
        take (a 422, `app.api.parameters`)."""
        memo = (path, query_string, accept)
        key = self.keys.get(memo, _UNKNOWN)
        if key is not _UNKNOWN:
            return key
        key = None
        if not path.startswith(UNCACHED_PATHS):
            raw = query_string.decode("latin-1")
            query = parse_qsl(raw, keep_blank_values=True) if raw else []
            accepted = self.table.accepted(path, "GET") or ()
            if "as_of" in accepted and any(k == "as_of" for k, _ in query):
                key = _AS_OF
            else:
                key = cache_key(self.table, path, query, accept)
        if len(path) + len(query_string) + len(accept) <= MEMO_TARGET:  # memory: ~10 MB
            if len(self.keys) >= MEMO:
                self.keys.clear()
            self.keys[memo] = key
        return key

    async def _key_as_of(self, scope: Scope, accept: str) -> Key | None:
        """The key of a request naming `as_of`, once `as_of` is the moment of the last
        write at or before it (the request then reads at that moment)."""
        query = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        query = await self._moment_of_last_write(query)
        scope["query_string"] = urlencode(query).encode("latin-1")
        return cache_key(self.table, scope["path"], query, accept)

    async def _keep(
        self,
        key: Key,
        version: int,
        start: list[list[tuple[bytes, bytes]]],
        parts: list[bytes],
        state: dict[str, object],
        scope: Scope,
    ) -> None:
        """Cache a whole 200 made at the version that is still current."""
        if not start or self.cache is None or state["status"] != 200:
            return
        try:
            current = await self.reader.read()
        except Busy:
            return  # not known to be current: not kept
        if current == version:
            self.cache.keep(
                key,
                Entry(
                    version,
                    str(state["etag"]),
                    start[0],
                    b"".join(parts),
                    route_template(scope),
                    not_modified_headers(str(state["etag"]), self.public),
                ),
            )

    async def _moment_of_last_write(self, query: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """`as_of` as the moment of the last write at or before it: the data were the same
        all the time between two writes, so every moment in between shares one answer,
        one cache entry and one ETag. A value that is not a moment is left for the route
        to refuse."""
        try:
            moment = parse_as_of(dict(query)["as_of"])
        except Invalid:
            return query
        assert moment is not None
        last = await self.last_write(moment)
        text = last.isoformat(timespec="microseconds").replace("+00:00", "Z")
        return [(k, text if k == "as_of" else v) for k, v in query]

    async def _not_modified(self, send: Send, etag: str) -> None:
        headers = not_modified_headers(etag, self.public)
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    async def _private(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Authenticated reads are never cached anywhere."""

        async def no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["cache-control"] = "private, no-store"
            await send(message)

        await self.app(scope, receive, no_store)
