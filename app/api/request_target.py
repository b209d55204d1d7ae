"""The request target as the routes take it: HEAD and OPTIONS on every resource
(RFC 9110 §9.3.2, §9.3.7), and a format's path suffix.

`HEAD` is answered as the `GET` it stands for, with its status and headers and no
body, so it shares the GET's ETag and cache entry. A plain `OPTIONS` (not a CORS
preflight, which the edge answers first) is a `204` whose `Allow` lists exactly the
methods the resource takes. `GET {path}.csv` is `GET {path}?format=csv` for every
route that renders formats (`app.api.representations`); other methods on such a path
are a 405 that says what it takes. A plain GET passes untouched.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.formats import SUFFIXES
from app.api.problems import allow_options, not_allowed, not_found
from app.api.route_table import RouteTable

TABLE_METHODS = ("GET", "HEAD", "OPTIONS")  # a table is only read


class RequestTarget:
    """ASGI middleware for HEAD, OPTIONS and format suffixes."""

    def __init__(self, app: ASGIApp, *, table: RouteTable, prefix: str = "/api/") -> None:
        self.app = app
        self.table = table
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if "." in path[-8:] and path.startswith(self.prefix):
            renderer = SUFFIXES.get(path[path.rfind(".") :])
            bare = path[: -len(renderer.suffix)] if renderer is not None else ""
            if renderer is not None and self.table.has_csv(bare):
                if scope["method"] not in TABLE_METHODS:
                    await not_allowed(scope["method"], path, TABLE_METHODS)(scope, receive, send)
                    return
                if scope["method"] == "OPTIONS":
                    await allow_options(send, TABLE_METHODS)
                    return
                # In place: the request log further out then names the route that answered.
                query = scope["query_string"]
                scope["path"], scope["raw_path"] = bare, bare.encode()
                scope["query_string"] = (
                    query + b"&" if query else b""
                ) + f"format={renderer.name}".encode()
        method = scope["method"]
        if method == "HEAD":
            await self._head(scope, receive, send)
        elif method == "OPTIONS":
            allow = self.table.allowed(scope["path"])
            if allow:
                await allow_options(send, allow)
            else:
                await not_found(scope["path"])(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _head(self, scope: Scope, receive: Receive, send: Send) -> None:
        # A copy: the server keeps its own scope and must still know this is a HEAD.
        inner = {**scope, "method": "GET"}

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        try:
            await self.app(inner, receive, without_body)
        finally:
            # for the request log and metrics
            for name in ("route", "path_params", "route_template"):
                if name in inner:
                    scope[name] = inner[name]
