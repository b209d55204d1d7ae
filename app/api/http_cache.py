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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import MutableHeaders
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES as GZIP_EXCLUDED
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import __version__
from app.api import typed_tables
from app.api.observability import route_template
from app.api.problems import domain_problem
from app.api.response_cache import (
    VARY,
    Entry,
    Key,
    ResponseCache,
    accepts_gzip,
    cache_key,
    etag_matches,
    http_date,
    not_modified_headers,
    not_modified_since,
    public,
)
from app.api.route_table import RouteTable
from app.db.version import VersionReader
from app.errors import Busy, Invalid
from app.services.history import parse_as_of

UNCACHED_PATHS = ("/health", "/ready", "/metrics")
STREAM = "/api/v1/updates/stream"
MEMO = 10_000  # request targets whose cache keys are remembered (then all forgotten)
MEMO_TARGET = 1024  # characters of path, query and Accept: longer ones are not remembered
_AS_OF: Key = ("", "as_of", "")  # a key made by a read first (`_key_as_of`)
_UNKNOWN: Key = ("", "", "")  # not remembered yet
IMMUTABLE = b"public, max-age=31536000, immutable"
# An `as_of` this long past can no longer gain a write (a write's moment is taken in its
# transaction, which lasts at most seconds: locks wait `DB_WAIT_SECONDS`).
SETTLED = timedelta(seconds=60)
PACKED = (typed_tables.PARQUET_MEDIA, typed_tables.XLSX_MEDIA)


@dataclass(frozen=True)
class Pinned:
    """An answer at `as_of`: the moment of the last write it reflects, and whether it
    can never change."""

    moment: datetime | None  # None: before the first write
    immutable: bool


@dataclass(frozen=True)
class Kept:
    """A 200 as it was sent, to be cached."""

    state: dict[str, object]
    start: list[list[tuple[bytes, bytes]]]
    parts: list[bytes]
    cache_control: bytes
    modified: datetime | None


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
        self.last_modified: tuple[int, datetime] | None = None  # (version, its last write)
        # Every answer this does not take from the cache is compressed on its way out
        # (Starlette's GZipMiddleware: bodies of 1 KB or more, when Accept-Encoding
        # takes gzip); files that are compressed already and event streams are not.
        self.gzipped = GZipMiddleware(
            app, minimum_size=1024, exclude_content_types=(*GZIP_EXCLUDED, *PACKED)
        )
        self.max_body = max_body
        # (path, query string, Accept) -> its cache key, `_AS_OF` or None
        self.keys: dict[tuple[str, bytes, str], Key | None] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self._compressed(scope, receive, send)
            return
        if scope["path"] == STREAM:  # neither cached nor compressed, and long lived:
            await self.app(scope, receive, send)  # no layer of this one held for it
            return
        accept = if_none_match = if_modified_since = ""
        gzip = False
        for name, value in scope["headers"]:  # one pass: this runs on every GET
            if name == b"authorization":
                await self._private(scope, receive, send)
                return
            if name == b"accept":
                accept = value.decode("latin-1")
            elif name == b"if-none-match":
                if_none_match = value.decode("latin-1")
            elif name == b"accept-encoding":
                gzip = accepts_gzip(value.decode("latin-1"))
            elif name == b"if-modified-since":
                if_modified_since = value.decode("latin-1")
        key = self._key(scope["path"], scope["query_string"], accept)
        pinned: Pinned | None = None
        if key is _AS_OF:
            key, pinned = await self._key_as_of(scope, accept)
        if key is None:  # not cached (see `_key`): the layers behind answer
            await (self.gzipped if gzip else self.app)(scope, receive, send)
            return
        try:
            version = self.reader.known()
            if version is None:
                version = await self.reader.read()
        except Busy as exc:  # no version, no ETag: never a guess
            await domain_problem(exc, scope["path"])(scope, receive, send)
            return
        immutable = pinned is not None and pinned.immutable
        if gzip or immutable:  # each its own entry, ETag and Cache-Control
            key = (*key[:2], key[2] + (";gzip" if gzip else "") + (";pinned" if immutable else ""))
        entry = self.cache.get(key, version) if self.cache is not None else None
        computing = self.computing.get(key) if self.cache is not None else None
        if entry is None and computing is not None:
            # The same answer is being made for another request: wait for it rather
            # than make it again (a burst of one cold URL costs one computation).
            await computing.wait()
            entry = self.cache.get(key, version) if self.cache is not None else None
        if entry is not None:
            scope["route_template"] = entry.template  # for the request log and metrics
            if (
                etag_matches(if_none_match, entry.etag)
                if if_none_match
                else bool(if_modified_since)
                and not_modified_since(if_modified_since, entry.modified)
            ):
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

        modified = pinned.moment if pinned is not None else await self._modified(version)
        cache_control = IMMUTABLE if immutable else self.public
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
                    given = dict(message.get("headers", ()))  # names as ASGI gives them
                    out = message["headers"] = [
                        (k, v) for k, v in message.get("headers", ()) if k != b"vary"
                    ]
                    etag = given.get(b"etag", b"").decode("latin-1") or default_etag
                    if b"etag" not in given:
                        out.append((b"etag", etag.encode("latin-1")))
                    if b"cache-control" not in given:
                        out.append((b"cache-control", cache_control))
                    if modified is not None and b"last-modified" not in given:
                        out.append((b"last-modified", http_date(modified)))
                    out.append((b"vary", VARY))
                    state["etag"] = etag
                    if (
                        etag_matches(if_none_match, etag)
                        if if_none_match
                        else bool(if_modified_since)
                        and not_modified_since(if_modified_since, modified)
                    ):
                        state["skip"] = True
                        await self._not_modified(send, etag, cache_control, modified)
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

        # gzip: the answer is compressed once, on its way into the cache; a hit sends
        # the stored bytes as they are.
        answer = self.gzipped if gzip else self.app
        if self.cache is None:
            await answer(scope, receive, capture)
            return
        done = self.computing.setdefault(key, asyncio.Event())
        try:
            await answer(scope, receive, capture)
            kept = Kept(state, start, parts, cache_control, modified)
            await self._keep(key, version, kept, scope)
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

    async def _key_as_of(self, scope: Scope, accept: str) -> tuple[Key | None, Pinned | None]:
        """The key of a request naming `as_of`, once `as_of` is the moment of the last
        write at or before it (the request then reads at that moment), and what that
        moment is; the answer is immutable when `as_of` has passed (by `SETTLED`)."""
        query = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        try:
            moment = parse_as_of(dict(query)["as_of"])
        except Invalid:  # not a moment: left for the route to refuse
            return cache_key(self.table, scope["path"], query, accept), None
        assert moment is not None
        last = await self.last_write(moment)
        text = last.isoformat(timespec="microseconds").replace("+00:00", "Z")
        query = [(k, text if k == "as_of" else v) for k, v in query]
        scope["query_string"] = urlencode(query).encode("latin-1")
        pinned = Pinned(None if last.year == 1 else last, moment <= datetime.now(UTC) - SETTLED)
        return cache_key(self.table, scope["path"], query, accept), pinned

    async def _modified(self, version: int) -> datetime | None:
        """The moment of the last write, remembered per data version: the Last-Modified
        of every current answer. None when there is no write yet or no reader free."""
        if self.last_modified is not None and self.last_modified[0] == version:
            return self.last_modified[1]
        try:
            moment = await self.last_write(datetime.now(UTC))
        except Busy:
            return None
        if moment.year == 1:  # no write recorded (`last_write_at`'s first moment)
            return None
        self.last_modified = (version, moment)
        return moment

    async def _keep(self, key: Key, version: int, kept: "Kept", scope: Scope) -> None:
        """Cache a whole 200 made at the version that is still current."""
        if not kept.start or self.cache is None or kept.state["status"] != 200:
            return
        try:
            current = await self.reader.read()
        except Busy:
            return  # not known to be current: not kept
        if current == version:
            etag = str(kept.state["etag"])
            self.cache.keep(
                key,
                Entry(
                    version,
                    etag,
                    kept.start[0],
                    b"".join(kept.parts),
                    route_template(scope),
                    not_modified_headers(etag, kept.cache_control, kept.modified),
                    kept.modified,
                ),
            )

    async def _not_modified(
        self, send: Send, etag: str, cache_control: bytes, modified: datetime | None
    ) -> None:
        headers = not_modified_headers(etag, cache_control, modified)
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    async def _compressed(self, scope: Scope, receive: Receive, send: Send) -> None:
        """An answer this never caches, compressed when the client takes gzip; a client
        that does not passes the compressing layer by."""
        takes = any(
            n == b"accept-encoding" and accepts_gzip(v.decode("latin-1"))
            for n, v in scope.get("headers", ())
        )
        await (self.gzipped if takes else self.app)(scope, receive, send)

    async def _private(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Authenticated reads are never cached anywhere."""

        async def no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["cache-control"] = "private, no-store"
            await send(message)

        await self._compressed(scope, receive, no_store)
