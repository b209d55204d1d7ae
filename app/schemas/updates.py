"""Figure changes, as `/api/v1/updates` lists them (never who made them)."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.domain.periods import Period
from app.services.updates import KINDS, completions


class UpdateOut(BaseModel):
    """One change to a figure: made, revised or deleted."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "kind": "revised",
                "figure_id": 2,
                "course": "basic-sro",
                "period": "2019-01/2019-08",
                "period_label": "Jan–Aug 2019",
                "completions_before": 2516,
                "completions_after": 2530,
                "source_id": 1,
                "version": 14,
                "recorded_at": "2019-09-20T09:30:00Z",
            }
        }
    )

    kind: Literal["created", "revised", "deleted"] = Field(description="What happened.")
    figure_id: int = Field(description="The figure (`/api/v1/attendance/{id}`).")
    course: str = Field(description="The course's slug.")
    period: str = Field(description="The period, an ISO interval of months.")
    period_label: str = Field(description="The period for people: `Jan–Aug 2019`.")
    completions_before: int | None = Field(description="Its value before; null when made.")
    completions_after: int | None = Field(description="Its value after; null when deleted.")
    source_id: int = Field(description="The source the figure cites after the change.")
    version: int = Field(
        description="The data version the write made: pass the last one seen as "
        "`since_version` to hear only what came after."
    )
    recorded_at: datetime = Field(description="When the service recorded it.")


def update_out(row: Any) -> UpdateOut:
    """A row of `app.services.updates` as the API shows it."""
    period = Period(row.year, row.start_month, row.end_month)
    before, after = completions(row)
    return UpdateOut(
        kind=KINDS[row.action],
        figure_id=row.figure_id,
        course=row.course,
        period=period.iso,
        period_label=period.label,
        completions_before=before,
        completions_after=after,
        source_id=row.source_id,
        version=row.version,
        recorded_at=row.recorded_at,
    )
