"""HEAD and OPTIONS on every resource (RFC 9110 §9.3.2, §9.3.7).

`HEAD` is answered as the `GET` it stands for, with its status and headers and no
body, so it shares the GET's ETag and cache entry. A plain `OPTIONS` (not a CORS
preflight, which the CORS middleware answers first) is a `204` whose `Allow` lists
exactly the methods the resource takes.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.problems import allow_options, not_found
from app.api.route_table import RouteTable


class Methods:
    """ASGI middleware for HEAD and OPTIONS; every other request passes untouched."""

    def __init__(self, app: ASGIApp, *, table: RouteTable) -> None:
        self.app = app
        self.table = table

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method")
        if scope["type"] != "http" or method not in ("HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        if method == "OPTIONS":
            await self._options(scope, receive, send)
            return
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

    async def _options(self, scope: Scope, receive: Receive, send: Send) -> None:
        allow = self.table.allowed(scope["path"])
        if not allow:
            await not_found(scope["path"])(scope, receive, send)
            return
        await allow_options(send, allow)
