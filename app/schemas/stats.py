"""Every statistics answer, by the endpoint's own module: `from app.schemas import stats`
keeps one name for the services and routes that use several."""

from app.schemas.changes import AggregateChange, ChangeFields, ChangeRow, Changes, NewCourseEffect
from app.schemas.rankings import (
    AllCourseRecord,
    RecordItem,
    Records,
    ShareItem,
    Shares,
    Totals,
    TotalsBy,
    TotalsItem,
)
from app.schemas.rolling import Rolling, RollingPart, RollingRow, WindowTotals
from app.schemas.years import (
    CourseYearTotal,
    Coverage,
    Series,
    SeriesItem,
    YearDetail,
    YearList,
    YearSummary,
)

__all__ = [
    "AggregateChange",
    "AllCourseRecord",
    "ChangeFields",
    "ChangeRow",
    "Changes",
    "CourseYearTotal",
    "Coverage",
    "NewCourseEffect",
    "RecordItem",
    "Records",
    "Rolling",
    "RollingPart",
    "RollingRow",
    "Series",
    "SeriesItem",
    "ShareItem",
    "Shares",
    "Totals",
    "TotalsBy",
    "TotalsItem",
    "WindowTotals",
    "YearDetail",
    "YearList",
    "YearSummary",
]
