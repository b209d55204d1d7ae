"""Totals, series, comparisons, shares and records over stored figures.

Aggregates read R5 course-year totals (`course_year_totals`, kept current by every
write) in one query and combine them with the pure functions in `app.domain`;
only like-for-like comparisons read individual figures, of one year.
"""

from app.services.stats.changes import changes
from app.services.stats.loading import CourseTotals, figures_by_year, load
from app.services.stats.rankings import records, shares, totals
from app.services.stats.rolling import latest_month, rolling
from app.services.stats.years import latest_year, series, year_detail, year_summaries

__all__ = [
    "CourseTotals",
    "changes",
    "figures_by_year",
    "latest_month",
    "latest_year",
    "load",
    "records",
    "rolling",
    "series",
    "shares",
    "totals",
    "year_detail",
    "year_summaries",
]
