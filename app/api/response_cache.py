"""The response cache: whole 200 answers of the current data version, by the key of
what was asked (`cache_key`), least recently used first out; and the validators a
304 compares."""

from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache
from urllib.parse import urlencode

from app.api.formats import RENDERED, negotiate, quality_of, representation
from app.api.route_table import RouteTable

Key = tuple[str, str, str]  # path, the query it declares, the representation


def etag_matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 weak comparison of an `If-None-Match` list with one ETag."""
    if if_none_match == etag:  # what a client sends back most often
        return True
    if if_none_match.strip() == "*":
        return True
    wanted = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return etag.removeprefix("W/") in wanted


@dataclass(frozen=True)
class Entry:
    """A cached 200 response and the data version it was made at."""

    version: int
    etag: str
    headers: list[tuple[bytes, bytes]]
    body: bytes
    template: str  # the route that answered, so logs and metrics name it on a hit
    not_modified: list[tuple[bytes, bytes]]  # the headers of its 304
    modified: datetime | None  # its Last-Modified, for `If-Modified-Since`

    @property
    def size(self) -> int:
        """Bytes it holds, counted against the cache's budget."""
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers) + 200


class ResponseCache:
    """Whole 200 responses of the current data version, least recently used first out,
    holding at most `max_bytes`."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.entries: OrderedDict[Key, Entry] = OrderedDict()
        self.bytes = 0  # bodies and headers held
        self.version = 0  # the newest data version seen

    def get(self, key: Key, version: int) -> Entry | None:
        """The entry for `key` made at `version`, if any."""
        if version > self.version:
            self._forget_older(version)
        entry = self.entries.get(key)
        if entry is None or entry.version != version:
            return None
        self.entries.move_to_end(key)
        return entry

    def keep(self, key: Key, entry: Entry) -> None:
        """Store `entry`, then drop the least recently used ones over the byte budget."""
        if entry.version < self.version or entry.size > self.max_bytes:
            return
        old = self.entries.pop(key, None)
        if old is not None:
            self.bytes -= old.size
        self.entries[key] = entry
        self.bytes += entry.size
        while self.bytes > self.max_bytes:
            _, dropped = self.entries.popitem(last=False)
            self.bytes -= dropped.size

    def _forget_older(self, version: int) -> None:
        """A newer version was written: no entry of an older one can be served again."""
        self.version = version
        self.entries.clear()
        self.bytes = 0


def cache_key(
    table: RouteTable, path: str, query: list[tuple[str, str]], accept: str
) -> Key | None:
    """The cache key of a GET: the path, the query parameters the route declares (in
    the order given) and the representation; `None` where no GET is served or a
    parameter is unknown (a 422, `app.api.parameters`)."""
    accepted = table.accepted(path, "GET")
    if accepted is None or any(k not in accepted for k, _ in query):
        return None
    kept = urlencode([(k, v) for k, v in query if k != "_"]) if query else ""
    media = table.media(path)
    if media == RENDERED:
        asked = representation(query, accept)
    else:  # one representation, or formats of its own (SDMX), or none declared
        asked = negotiate(accept, media) if media else accept.lower()
    if asked is None:  # nothing `Accept` takes: a 406, never a cached answer
        return None
    return (path, kept, asked)


VARY = b"Accept, Accept-Encoding"


def not_modified_headers(
    etag: str, cache_control: bytes, modified: datetime | None
) -> list[tuple[bytes, bytes]]:
    """The headers of a 304 for `etag`: the validators and what a cache keys them by."""
    headers = [(b"etag", etag.encode()), (b"cache-control", cache_control), (b"vary", VARY)]
    if modified is not None:
        headers.append((b"last-modified", http_date(modified)))
    return headers


def http_date(moment: datetime) -> bytes:
    """An HTTP date (RFC 9110): `Mon, 16 Sep 2019 12:00:00 GMT`."""
    return format_datetime(moment.astimezone(UTC), usegmt=True).encode()


def not_modified_since(if_modified_since: str, modified: datetime | None) -> bool:
    """Whether `If-Modified-Since` is at or after `modified` (HTTP dates have whole
    seconds); a date that does not parse is ignored, as RFC 9110 says."""
    if modified is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError, IndexError):
        return False
    if since.tzinfo is None:
        return False
    newer: bool = since >= modified.replace(microsecond=0)
    return newer


@lru_cache(maxsize=64)  # clients send a handful of spellings, on every request
def accepts_gzip(accept_encoding: str) -> bool:
    """Whether `Accept-Encoding` takes gzip (by name or `*`, with a q above 0)."""
    for part in accept_encoding.split(","):
        name, *params = (p.strip() for p in part.split(";"))
        if name.lower() in ("gzip", "x-gzip", "*") and quality_of(params) > 0:
            return True
    return False


def public(max_age: int) -> bytes:
    """`Cache-Control` of an anonymous GET."""
    return f"public, max-age={max_age}".encode()
