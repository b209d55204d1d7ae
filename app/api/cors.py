"""CORS for a read-mostly public API (the Fetch standard's CORS protocol).

Reads (GET, HEAD, OPTIONS) are open to the origins configured (`*` by default);
writes carry a key in `Authorization`, which no preflight here allows from a browser
of another origin. Every answer varies by `Origin`. The headers are made once per
origin case, so that adding them costs a cache hit no more than a list join.
"""

from starlette.responses import PlainTextResponse, Response

METHODS = ("GET", "HEAD", "OPTIONS")
ALLOWED_HEADERS = ("if-none-match", "accept")
EXPOSED = b"ETag, Location, Last-Modified, Link, Retry-After, X-Request-ID"
MAX_AGE = b"600"
VARY_ORIGIN = (b"vary", b"Origin")


class CorsPolicy:
    """Which origins may read, and the headers an answer to each carries."""

    def __init__(self, origins: list[str]) -> None:
        self.any_origin = "*" in origins
        self.origins = frozenset(origins)
        self._any = [
            (b"access-control-allow-origin", b"*"),
            (b"access-control-expose-headers", EXPOSED),
        ]

    def allows(self, origin: str) -> bool:
        """Whether a page of `origin` may read our answers."""
        return self.any_origin or origin in self.origins

    def headers(self, origin: bytes | None) -> list[tuple[bytes, bytes]]:
        """What an answer to a request from `origin` (None: no `Origin`) adds."""
        if origin is None:
            return []
        if self.any_origin:
            return self._any
        if origin.decode("latin-1") in self.origins:
            return [(b"access-control-allow-origin", origin), self._any[1]]
        return []

    def preflight(self, origin: str, method: str, asked: str | None) -> Response:
        """The answer to a preflight: 200 when the origin, method and headers are all
        allowed, else 400 naming what is not (a browser then refuses the request)."""
        refused = []
        if not self.allows(origin):
            refused.append("origin")
        if method not in METHODS:
            refused.append("method")
        if asked and any(h.strip().lower() not in ALLOWED_HEADERS for h in asked.split(",")):
            refused.append("headers")
        headers = {
            "Access-Control-Allow-Methods": ", ".join(METHODS),
            "Access-Control-Allow-Headers": "If-None-Match, Accept",
            "Access-Control-Max-Age": MAX_AGE.decode(),
        }
        if not refused:
            headers["Access-Control-Allow-Origin"] = "*" if self.any_origin else origin
            return PlainTextResponse("OK", headers=headers)
        return PlainTextResponse("Disallowed CORS " + ", ".join(refused), 400, headers=headers)
