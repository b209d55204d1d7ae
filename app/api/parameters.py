"""Unknown query parameters are refused, never silently ignored: `?yeer=2019` would
otherwise answer every year as if no filter had been given."""

from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.problems import problem
from app.api.route_table import RouteTable


class KnownParameters:
    """ASGI middleware: a request to the API naming a query parameter its route does not
    declare is a 422 that names it and lists those accepted (`_`, a browser's
    cache-buster, is accepted everywhere and ignored)."""

    def __init__(self, app: ASGIApp, *, table: RouteTable, prefix: str = "/api/") -> None:
        self.app = app
        self.table = table
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string", b"")
        if scope["type"] != "http" or not query or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        accepted = self.table.accepted(scope["path"], scope["method"])
        if accepted is None:  # no such route: the router answers 404 or 405
            await self.app(scope, receive, send)
            return
        given = dict.fromkeys(
            k for k, _ in parse_qsl(query.decode("latin-1"), keep_blank_values=True)
        )
        unknown = [name for name in given if name not in accepted]
        if not unknown:
            await self.app(scope, receive, send)
            return
        listed = ", ".join(sorted(accepted - {"_"})) or "none"
        response = problem(
            422,
            f"Unknown query parameter{'s' if len(unknown) > 1 else ''}: "
            f"{', '.join(unknown)}. {scope['path']} takes: {listed}.",
            instance=scope["path"],
            type_="/problems/invalid",
            errors=[
                {"field": name, "message": f"unknown parameter; accepted: {listed}"}
                for name in unknown
            ],
            extra={"accepted": sorted(accepted - {"_"})},
        )
        await response(scope, receive, send)
