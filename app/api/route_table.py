"""Which methods and query parameters each path takes, from the app's routes: for
`OPTIONS`, the `Allow` of a 405, the trailing-slash redirect, the `.csv` tables and
the response cache's keys."""

import inspect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Any, get_args, get_origin, get_type_hints

from fastapi import params
from starlette.routing import BaseRoute, Route, compile_path

ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
MEMO = 10_000  # paths whose parameters are remembered (then forgotten all at once)


@dataclass(frozen=True)
class _Entry:
    regex: re.Pattern[str]
    path_format: str
    methods: frozenset[str]
    csv: bool
    queries: frozenset[str]  # the query parameters the route declares
    media: tuple[str, ...]  # what its GET answers can be, the default first; () unknown


def declared_media(route: Route) -> tuple[str, ...]:
    """The media types a route's 200 can take, as the OpenAPI declares them: its own
    `media_types`, else its declared 200 content, then its response class's type."""
    own = getattr(route, "media_types", None)
    if own:
        return tuple(own)
    found: list[str] = list((getattr(route, "responses", {}).get(200) or {}).get("content", {}))
    response_class = getattr(route, "response_class", None)
    response_class = getattr(response_class, "value", response_class)  # FastAPI's default
    media = getattr(response_class, "media_type", None)
    if isinstance(media, str) and media not in found:
        found.append(media)
    return tuple(found)


def declared_queries(endpoint: Callable[..., Any]) -> frozenset[str]:
    """The query parameters an endpoint declares, as its signature says them (`Query`
    in its `Annotated` type or as its default), by the name a request gives them."""
    hints = get_type_hints(endpoint, include_extras=True)
    found = set()
    for name, parameter in inspect.signature(endpoint).parameters.items():
        hint = hints.get(name, parameter.annotation)  # a wrapper's own: in its signature
        metadata = get_args(hint)[1:] if get_origin(hint) is Annotated else ()
        for declared in (*metadata, parameter.default):
            if isinstance(declared, params.Query):
                found.add(declared.alias or name)
    return frozenset(found)


class RouteTable:
    """The app's routes, each router's own declarations read once every router is in:
    `routes()` gives them (the routers' `routes` and the app's own)."""

    def __init__(self, routes: Callable[[], Iterable[BaseRoute]]) -> None:
        self._routes = routes
        self._accepted: dict[str, frozenset[str]] = {}
        self._media: dict[str, tuple[str, ...]] = {}

    @cached_property
    def _entries(self) -> list[_Entry]:
        entries = []
        for route in self._routes():
            if not isinstance(route, Route) or not route.methods:
                continue
            regex, path_format, _ = compile_path(route.path)
            csv = getattr(route, "renders_csv", False) and "GET" in route.methods
            queries = declared_queries(route.endpoint)
            media = declared_media(route)
            entries.append(
                _Entry(regex, path_format, frozenset(route.methods), csv, queries, media)
            )
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

    def accepted(self, path: str, method: str) -> frozenset[str] | None:
        """The query parameters a request may give (those its route declares, and `_`, a
        browser's cache-buster); None where no route of that method serves `path`."""
        wanted = "GET" if method == "HEAD" else method
        key = f"{wanted} {path}"
        found = self._accepted.get(key)
        if found is None:
            entry = next(
                (e for e in self._entries if wanted in e.methods and e.regex.match(path)), None
            )
            if entry is None:
                return None
            if len(self._accepted) >= MEMO:
                self._accepted.clear()
            found = self._accepted[key] = entry.queries | {"_"}
        return found

    def media(self, path: str) -> tuple[str, ...]:
        """The media types a GET at `path` can answer in, the default first; () where
        no route says (or none serves `path`)."""
        found = self._media.get(path)
        if found is None:
            entry = next(
                (e for e in self._entries if "GET" in e.methods and e.regex.match(path)), None
            )
            if len(self._media) >= MEMO:
                self._media.clear()
            found = self._media[path] = entry.media if entry is not None else ()
        return found

    def has_csv(self, path: str) -> bool:
        """Whether a GET at `path` can answer as a CSV table."""
        return any(e.csv and e.regex.match(path) for e in self._entries)

    def csv_paths(self) -> list[str]:
        """The path templates of every CSV table, as the OpenAPI names them."""
        return sorted(e.path_format for e in self._entries if e.csv)
