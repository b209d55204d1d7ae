"""Shapes shared by every list and error."""

from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from app.schemas import examples

T = TypeVar("T")


# Every list answer has `items`, `total` and `next_cursor`; these are the last two of a
# list that is never paged (all its items in one answer).
WholeTotal = Annotated[int, Field(description="How many items there are (all of them here).")]
NoNextPage = Annotated[
    str | None, Field(description="Always null: the list is whole, on one page.")
]


class WholeList(BaseModel, Generic[T]):
    """A list given whole, in the envelope every list has (`items`, `total`,
    `next_cursor`, always null here)."""

    items: list[T]
    total: WholeTotal
    next_cursor: NoNextPage = None


class Page(BaseModel, Generic[T]):
    """One page of a list; pass `next_cursor` back as `cursor` for the next page."""

    items: list[T]
    total: int = Field(description="How many items match the filters, over all pages.")
    next_cursor: str | None = Field(description="Opaque cursor of the next page; null at the end.")

    @classmethod
    def of(cls, result: Any, convert: Callable[[Any], T]) -> "Page[T]":
        """A page of a service's `PageResult`, each item converted for the API."""
        return cls(
            items=[convert(i) for i in result.items],
            total=result.total,
            next_cursor=result.next_cursor,
        )


class FieldError(BaseModel):
    """One invalid field and what is wrong with it."""

    field: str
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem document, sent as `application/problem+json`."""

    model_config = ConfigDict(json_schema_extra={"example": examples.PROBLEM})

    type: str = Field(description="A URI reference naming the kind of problem.")
    title: str = Field(description="The HTTP status's phrase: `Not Found`.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong, for people.")
    instance: str = Field(description="The path of the request that failed.")
    errors: list[FieldError] | None = None
    error_count: int | None = Field(
        default=None, description="How many errors there are, when `errors` lists the first."
    )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses an operation can answer with."""
    descriptions = {
        400: "Bad request",
        401: "Missing or invalid API key",
        403: "The key lacks the scope",
        404: "Not found",
        409: "Conflicts with stored data",
        412: "Changed since the given ETag",
        413: "Request body too large",
        422: "Invalid parameters or payload",
        429: "Too many writes with this key; see Retry-After",
        503: "Busy or the database unreachable just now; see Retry-After",
    }
    return {s: {"model": Problem, "description": descriptions[s]} for s in statuses}
