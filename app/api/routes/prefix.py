"""The router of each group of resources: a request outside its prefix passes it by.

Since 0.137 FastAPI includes a router as one node that tries each of the router's
routes in turn for every request, even one whose path cannot be under the router's
prefix: a request for `/api/v1/years/2019` tried every route of `/api/v1/courses`
first (about 100,000 instructions, 7% of a cold read; docs/performance.md).
fastapi/fastapi#16159 proposes the same check in FastAPI itself.
"""

from typing import Any

from fastapi import APIRouter
from starlette.routing import Match
from starlette.types import Scope


def route_path(scope: Scope) -> str:
    """The path the routes are matched against: the request's, less the app's root path.
    Starlette's own lines (`starlette._utils.get_route_path`, BSD-3), copied: that
    module is private to Starlette."""
    path: str = scope["path"]
    root_path = scope.get("root_path", "")
    if not root_path or not path.startswith(root_path):
        return path
    if path == root_path:
        return ""
    if path[len(root_path)] == "/":
        return path[len(root_path) :]
    return path


class PrefixRouter(APIRouter):
    """An `APIRouter` whose routes all lie under `prefix` (the whole path, `/api/v1/...`,
    so it is included without one): a path not starting with it matches none of them."""

    def __init__(self, *, prefix: str, **kwargs: Any) -> None:
        if "{" in prefix:
            raise ValueError(f"a literal prefix, not {prefix!r}")
        super().__init__(prefix=prefix, **kwargs)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if not route_path(scope).startswith(self.prefix):
            return Match.NONE, {}
        return super().matches(scope)
