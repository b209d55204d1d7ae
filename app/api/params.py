"""The query and header parameters routes share, declared once with their documentation."""

from typing import Annotated

from fastapi import Header, Query
from pydantic import WithJsonSchema

Limit = Annotated[int, Query(ge=1, le=1000, description="Items per page (1–1000).", examples=[100])]


Cursor = Annotated[
    str | None,
    Query(description="Opaque `next_cursor` of the previous page.", max_length=200),
]


Year = Annotated[int, Query(ge=1900, le=9999, description="A calendar year.", examples=[2019])]


OptionalYear = Annotated[
    int | None, Query(ge=1900, le=9999, description="A calendar year.", examples=[2019])
]


CourseFilter = Annotated[
    str | None,
    Query(description="A course slug.", max_length=100, examples=["basic-sro"]),
]


DATE_OR_TIME = WithJsonSchema(
    {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]}
)


AsOf = Annotated[
    str | None,
    DATE_OR_TIME,
    Query(
        description="Answer as the service had recorded the data then: an ISO date (its "
        "end, UTC) or timestamp.",
        max_length=40,
        examples=["2019-09-16"],
    ),
]


VintageDate = Annotated[
    str | None,
    WithJsonSchema({"type": "string", "format": "date"}),
    Query(
        description="Answer as published by then (`YYYY-MM-DD`): for each figure, its latest "
        "revision whose source was published on or before that date (one without a date, "
        "or a deletion, counts from the day it was recorded). With `as_of`, both apply.",
        max_length=40,
        examples=["2019-09-16"],
    ),
]


IfMatch = Annotated[
    str | None,
    Header(description="The figure's ETag; the write fails with 412 if it changed since."),
]


IdempotencyKey = Annotated[
    str | None,
    Header(
        description="Repeat a POST safely: a repeat with the same key replays the first answer.",
        max_length=200,
    ),
]
