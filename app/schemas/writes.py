"""Request bodies of writes: courses, sources, figures and imports."""

from datetime import date
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator

from app.db.models import MAX_COMPLETIONS
from app.domain.periods import Period, PeriodError
from app.schemas import examples

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Status = Literal["final", "provisional"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        """NUL characters are refused here: PostgreSQL text cannot hold them."""
        if isinstance(data, dict) and any(
            isinstance(v, str) and "\x00" in v for v in data.values()
        ):
            raise ValueError("text must not contain NUL characters")
        return data


class CourseIn(_Strict):
    """A new course."""

    model_config = ConfigDict(json_schema_extra={"example": examples.COURSE_IN})

    slug: str = Field(min_length=1, max_length=100, pattern=SLUG_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    audience: str | None = Field(default=None, max_length=1000)
    first_offered_year: int | None = Field(default=None, ge=1900, le=9999)


class CourseUpdate(_Strict):
    """Fields of a course to change; the slug cannot change."""

    model_config = ConfigDict(json_schema_extra={"example": examples.COURSE_UPDATE})

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    audience: str | None = Field(default=None, max_length=1000)
    first_offered_year: int | None = Field(default=None, ge=1900, le=9999)


class SourceIn(_Strict):
    """A new source of figures."""

    model_config = ConfigDict(json_schema_extra={"example": examples.SOURCE_IN})

    title: str = Field(min_length=1, max_length=500)
    publisher: str = Field(min_length=1, max_length=200)
    place: str | None = Field(default=None, max_length=200)
    published_on: date | None = Field(
        default=None,
        description="When it was published; omit for figures that were never published "
        "(typed in from records): `vintage` answers then count them from the day recorded.",
    )
    url: HttpUrl | None = Field(default=None, max_length=2000)
    notes: str | None = Field(default=None, max_length=5000)


def _period_from(values: dict[str, Any]) -> Period | None:
    """`period`, or `year` with `start_month`/`end_month` (a whole year when omitted)."""
    text, year = values.get("period"), values.get("year")
    if text is not None and year is not None:
        raise ValueError("give either period or year/start_month/end_month, not both")
    try:
        if text is not None:
            return Period.parse(text)
        if year is not None:
            return Period(year, values.get("start_month") or 1, values.get("end_month") or 12)
    except PeriodError as exc:
        raise ValueError(str(exc)) from exc
    return None


class _PeriodFields(_Strict):
    period: str | None = Field(
        default=None,
        max_length=40,
        description="`2019-01/2019-08`, `2019-03` or `2019`; or give year/start_month/end_month.",
    )
    year: int | None = Field(default=None, ge=1900, le=9999)
    start_month: int | None = Field(default=None, ge=1, le=12)
    end_month: int | None = Field(default=None, ge=1, le=12)

    def parsed_period(self) -> Period | None:
        """The period the fields name, if any."""
        return _period_from(self.model_dump())

    @model_validator(mode="after")
    def _check_period(self) -> Self:
        if (self.start_month or self.end_month) and self.year is None:
            raise ValueError("start_month and end_month go with year")
        _period_from(self.model_dump())
        return self


class FigureIn(_PeriodFields):
    """A figure: people who completed a course in a period (also the body of PUT)."""

    model_config = ConfigDict(json_schema_extra={"example": examples.FIGURE_IN})

    course: str = Field(min_length=1, max_length=100, pattern=SLUG_PATTERN)
    completions: int = Field(ge=0, le=MAX_COMPLETIONS)
    status: Status = "final"
    note: str | None = Field(default=None, max_length=2000)
    source_id: int = Field(ge=1, le=2**31 - 1)

    @model_validator(mode="after")
    def _needs_period(self) -> Self:
        if self.parsed_period() is None:
            raise ValueError("a figure needs a period (or year/start_month/end_month)")
        return self

    def period_value(self) -> Period:
        """The figure's period (validated to exist)."""
        period = self.parsed_period()
        assert period is not None
        return period


class FigurePatch(_PeriodFields):
    """Fields of a figure to revise; omitted ones keep their value."""

    model_config = ConfigDict(json_schema_extra={"example": examples.FIGURE_PATCH})

    completions: int | None = Field(default=None, ge=0, le=MAX_COMPLETIONS)
    status: Status | None = None
    note: str | None = Field(default=None, max_length=2000)
    source_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
