"""Keyset pagination with opaque cursors: stable while rows are added."""

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, bindparam, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.db.direct import fetch
from app.errors import Invalid

T = TypeVar("T")
Key = ColumnElement[int] | InstrumentedAttribute[int]


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


@dataclass(frozen=True)
class Pages:
    """A query's statements for keyset pages, ordered by an integer key: the count over
    every page, the first page and the page after a key, with `limit` and `after` as
    parameters. Built once, they serve every page of every request of that shape."""

    count: Select[Any]
    first: Select[Any]
    after: Select[Any]
    key: str

    @classmethod
    def of(cls, query: Select[Any], key: Key) -> "Pages":
        """The statements for `query`, ordered by `key`."""
        page = query.order_by(key).limit(bindparam("limit"))
        return cls(
            count=select(func.count()).select_from(query.order_by(None).subquery()),
            first=page,
            after=page.where(key > bindparam("after")),
            key=str(key.key),
        )

    def rows(
        self, session: Session, params: dict[str, Any], *, limit: int, cursor: str | None
    ) -> PageResult[Any]:
        """One page of whole rows, with no ORM (`direct.fetch`)."""
        query, page_params = self._page(params, limit, cursor)  # a bad cursor: 422 first
        items = list(fetch(session, query, page_params))
        return self._result(items, self._total(items, limit, cursor, session, params), limit)

    def entities(
        self, session: Session, params: dict[str, Any], *, limit: int, cursor: str | None
    ) -> PageResult[Any]:
        """One page of the query's single ORM entity."""
        query, page_params = self._page(params, limit, cursor)
        items = list(session.execute(query, page_params).scalars().unique())
        return self._result(items, self._total(items, limit, cursor, session, params), limit)

    def _total(
        self,
        items: list[Any],
        limit: int,
        cursor: str | None,
        session: Session,
        params: dict[str, Any],
    ) -> int:
        """The count over every page: a first page holding every row is its own count
        (the same read transaction, so the same rows)."""
        if cursor is None and len(items) <= limit:
            return len(items)
        total: int = fetch(session, self.count, params)[0][0] or 0
        return total

    def _page(
        self, params: dict[str, Any], limit: int, cursor: str | None
    ) -> tuple[Select[Any], dict[str, Any]]:
        if cursor is None:
            return self.first, {**params, "limit": limit + 1}
        return self.after, {**params, "limit": limit + 1, "after": decode_cursor(cursor)}

    def _result(self, items: list[Any], total: int, limit: int) -> PageResult[Any]:
        more = len(items) > limit
        items = items[:limit]
        after = encode_cursor(getattr(items[-1], self.key)) if more else None
        return PageResult(items, total, after)


def paginate(
    session: Session,
    query: Select[T],
    *,
    key: Key,
    limit: int,
    cursor: str | None,
) -> PageResult[Any]:
    """Run `query` (of one ORM entity) one page at a time, ordered by the integer `key`
    (keyset, not offset)."""
    return Pages.of(query, key).entities(session, {}, limit=limit, cursor=cursor)
