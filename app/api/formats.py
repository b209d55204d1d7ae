"""The formats an answer can take besides JSON, and which one a request asks for.

One registry of renderers (datasette's output renderers are the model): each a plain
function from the answer's model, its JSON-shaped data and what the file says beside
its rows (`about`) to bytes, chosen by `?format=`, `Accept` or a path suffix. The
routes that render them: `app.api.representations`.
"""

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from app.api import typed_tables
from app.api.tables import table
from app.domain.cells import neutralise

JSON = "application/json"


@dataclass(frozen=True)
class Renderer:
    """One format an answer can take besides JSON."""

    name: str  # its `?format=` value
    media_type: str  # its Content-Type, and what `Accept` names to ask for it
    suffix: str  # `{path}{suffix}` asks for it too
    # (the answer's model, its JSON-shaped data, what the file says beside its rows)
    render: Callable[[type[BaseModel], dict[str, Any], dict[str, Any]], bytes]
    about: bool = True  # whether it carries `about` (then the sources are read for it)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return neutralise(json.dumps(value, ensure_ascii=False))
    if isinstance(value, str):
        return neutralise(value)
    return value


def to_csv(rows: list[dict[str, Any]]) -> str:
    """A CSV table; columns in the order they first appear. Text cells a spreadsheet
    would evaluate as a formula are neutralised (OWASP, "CSV injection")."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=typed_tables.columns(rows), lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: _cell(v) for k, v in row.items()} for row in rows)
    return out.getvalue()


def _render_csv(model: type[BaseModel], data: dict[str, Any], about: dict[str, Any]) -> bytes:
    return to_csv(table(model, data)).encode()


def _render_parquet(model: type[BaseModel], data: dict[str, Any], about: dict[str, Any]) -> bytes:
    return typed_tables.parquet(model, table(model, data), about)


def _render_xlsx(model: type[BaseModel], data: dict[str, Any], about: dict[str, Any]) -> bytes:
    title = str(about.get("request", "data")).split("?")[0]
    return typed_tables.xlsx(model, table(model, data), about, title=filename(title, ""))


CSV = Renderer("csv", "text/csv; charset=utf-8", ".csv", _render_csv, about=False)
PARQUET = Renderer("parquet", typed_tables.PARQUET_MEDIA, ".parquet", _render_parquet)
XLSX = Renderer("xlsx", typed_tables.XLSX_MEDIA, ".xlsx", _render_xlsx)
RENDERERS: dict[str, Renderer] = {r.name: r for r in (CSV, PARQUET, XLSX)}
FORMATS = ("json", *RENDERERS)
SUFFIXES = {r.suffix: r for r in RENDERERS.values()}
_MEDIA = tuple(r.media_type.split(";")[0] for r in RENDERERS.values())
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def quality(accept: str, media: str) -> float:
    """The q of the most specific range in `accept` that covers `media` (0 if none). A
    range that names a `version` covers only the media type of that version
    (`application/vnd.sdmx.data+csv;version=2.0.0`)."""
    name, *params = (p.strip() for p in media.split(";"))
    version = _param(params, "version")
    kind = name.split("/")[0]
    best, rank = 0.0, -1
    for part in accept.split(","):
        asked, *given = (p.strip() for p in part.split(";"))
        asked = asked.lower()
        specificity = {name: 2, f"{kind}/*": 1, "*/*": 0}.get(asked, -1)
        asked_version = _param(given, "version")
        if specificity == 2 and asked_version is not None:
            specificity = 3 if asked_version == version else -1
        if specificity <= rank:
            continue
        best, rank = quality_of(given), specificity
    return best


def _param(params: list[str], name: str) -> str | None:
    """A media type parameter's value (`version`), or None."""
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == name:
            return value.strip().strip('"')
    return None


def quality_of(params: list[str]) -> float:
    """The q-value among a media range's parameters (1 when it gives none)."""
    value = _param(params, "q")
    if value is None:
        return 1.0
    try:
        return float(value)
    except ValueError:
        return 0.0


def negotiate(accept: str, media_types: tuple[str, ...]) -> str | None:
    """Which of `media_types` (the first is the default) `accept` prefers, q-values
    honoured (the first listed wins a tie); None when it accepts none of them."""
    if not media_types:
        return None
    if not accept or accept == "*/*":
        return media_types[0]
    best, best_q = None, 0.0
    for media in media_types:
        q = quality(accept, media)
        if q > best_q:
            best, best_q = media, q
    if best is None and all(quality_of(part.split(";")[1:]) == 0 for part in accept.split(",")):
        return media_types[0]  # it only says what it does not take: the default
    return best


_NAMES = {JSON: "json", **{r.media_type: r.name for r in RENDERERS.values()}}
RENDERED = (JSON, *(r.media_type for r in RENDERERS.values()))  # what a rendered route serves


def representation(query: list[tuple[str, str]], accept: str) -> str | None:
    """The format a rendered route is asked for: `?format=` (the last one given, as the
    route reads it), else the one `Accept` prefers (JSON on a tie); None when `Accept`
    takes none of them (a 406)."""
    fmt = dict(query).get("format")
    if fmt is not None:
        return fmt
    if (
        "/*" not in accept.replace("*/*", "")
        and not any(m in accept for m in _MEDIA)
        and (not accept or "*/*" in accept or JSON in accept)
    ):
        return "json"  # most requests: no renderer named, nothing to weigh
    media = negotiate(accept, RENDERED)
    return None if media is None else _NAMES[media]


def filename(path: str, suffix: str) -> str:
    """`/api/v1/stats/changes` -> `stats-changes.csv`, in ASCII letters, digits and `._-`."""
    parts = [p for p in path.split("/") if p and p not in ("api", "v1")]
    name = _UNSAFE_NAME.sub("", "-".join(parts)).strip("-.")
    return (name or "export") + suffix
