"""Keyset pagination with opaque cursors: stable while rows are added."""

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.errors import Invalid

T = TypeVar("T")


@dataclass(frozen=True)
class PageResult(Generic[T]):
    """Rows of one page, the count over all pages and the next page's cursor."""

    items: Sequence[T]
    total: int
    next_cursor: str | None


def encode_cursor(after: int) -> str:
    """An opaque token for 'rows after this id'."""
    raw = json.dumps({"after": after}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The id a cursor points after; a token we did not make is a 422."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
        after = value["after"]
        if not isinstance(after, int) or isinstance(after, bool) or not 0 <= after < 2**63:
            raise ValueError(after)
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError) as exc:
        raise Invalid(
            "The cursor is not one this API issued; use next_cursor from a previous page.",
            errors=[{"field": "cursor", "message": "not a valid cursor"}],
        ) from exc
    return after


def paginate(
    session: Session,
    query: Select[T],
    *,
    key: ColumnElement[int] | InstrumentedAttribute[int],
    limit: int,
    cursor: str | None,
    rows: bool = False,
) -> PageResult[Any]:
    """Run `query` one page at a time, ordered by the integer `key` (keyset, not offset).

    Items are the query's single entity, or whole rows with `rows=True`.
    """
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    page_query = query.order_by(key).limit(limit + 1)
    if cursor is not None:
        page_query = page_query.where(key > decode_cursor(cursor))
    result = session.execute(page_query)
    items = list(result.all() if rows else result.scalars().unique())
    more = len(items) > limit
    items = items[:limit]
    name = str(key.key)
    return PageResult(items, total, encode_cursor(getattr(items[-1], name)) if more else None)
