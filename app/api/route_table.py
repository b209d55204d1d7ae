"""Which methods each path takes, from the app's routes: for `OPTIONS`, the `Allow` of a
405, the trailing-slash redirect and the `.csv` tables."""

import re
from dataclasses import dataclass
from functools import cached_property

from fastapi.routing import iter_route_contexts
from starlette.routing import BaseRoute, compile_path

ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


@dataclass(frozen=True)
class _Entry:
    regex: re.Pattern[str]
    path_format: str
    methods: frozenset[str]
    csv: bool


class RouteTable:
    """The app's routes flattened (FastAPI includes routers lazily); read on first use,
    once every router is in."""

    def __init__(self, routes: list[BaseRoute]) -> None:
        self._routes = routes

    @cached_property
    def _entries(self) -> list[_Entry]:
        from app.api.csv_route import CSVRoute  # the route class, defined beside its renderer

        entries = []
        for context in iter_route_contexts(self._routes):
            path, methods = context.path, context.methods
            if not path or not methods:
                continue
            regex, path_format, _ = compile_path(path)
            csv = isinstance(context.original_route, CSVRoute) and "GET" in methods
            entries.append(_Entry(regex, path_format, frozenset(methods), csv))
        return entries

    def allowed(self, path: str) -> list[str]:
        """Every method some route serves at `path` (HEAD with GET, OPTIONS always), or []."""
        methods: set[str] = set()
        for entry in self._entries:
            if entry.regex.match(path):
                methods |= entry.methods
        if not methods:
            return []
        if "GET" in methods:
            methods.add("HEAD")
        methods.add("OPTIONS")
        return [m for m in ORDER if m in methods]

    def has_csv(self, path: str) -> bool:
        """Whether a GET at `path` can answer as a CSV table."""
        return any(e.csv and e.regex.match(path) for e in self._entries)

    def csv_paths(self) -> list[str]:
        """The path templates of every CSV table, as the OpenAPI names them."""
        return sorted({e.path_format for e in self._entries if e.csv})
