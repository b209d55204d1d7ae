"""An `Accept` a resource cannot answer is a 406 that lists what it can (RFC 9110
§12.5.1, §15.5.7), never an answer in a format the client said it does not take."""

from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.formats import negotiate
from app.api.problems import problem
from app.api.route_table import RouteTable


class Acceptable:
    """ASGI middleware: a GET to the API whose `Accept` takes none of the media types
    its route declares (the OpenAPI document's) is a 406 naming them. `?format=`
    chooses by itself; a route that declares nothing is left to answer."""

    def __init__(self, app: ASGIApp, *, table: RouteTable, prefix: str = "/api/") -> None:
        self.app = app
        self.table = table
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        accept = ""
        for name, value in scope["headers"]:
            if name == b"accept":
                accept = value.decode("latin-1")
        path: str = scope["path"]
        if not accept or accept == "*/*" or not path.startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        media = self.table.media(path)
        if (
            not media
            or negotiate(accept, media) is not None
            or b"format=" in scope.get("query_string", b"")
        ):
            await self.app(scope, receive, send)
            return
        listed = ", ".join(media)
        response = problem(
            406,
            f"{path} cannot answer in what Accept asks for ({accept[:200]}). "
            f"It answers in: {listed}.",
            instance=path,
            type_="/problems/not-acceptable",
            extra={"available": list(media)},
        )
        await response(scope, receive, send)
