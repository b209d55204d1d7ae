"""The SDMX view of the figures, as pure data: the dataflow `COMPLETIONS`, its data
structure and codelists, how a period is written as a `TIME_PERIOD`, and how the REST
paths' keys, periods and structure references read.

`TIME_PERIOD` (docs/decisions.md): the standard form where one exists (a year `2018`, a
month `2019-03`, a quarter `2019-Q1`, a half `2019-S1`), otherwise an ISO 8601 time
range, its first day and its length in months: Jan–Aug 2019 is `2019-01-01/P8M`. So a
partial year never reads as the year, and `COVERAGE_MONTHS` says how long each is.
"""

import re
from dataclasses import dataclass

from app.domain.periods import Period
from app.errors import Invalid, NotFound

FLOW = "COMPLETIONS"
DSD = "DSD_COMPLETIONS"
COURSES = "CL_COURSE"
STATUSES = "CL_OBS_STATUS"
UNITS = "CL_UNIT"
CONCEPTS = "CS_COMPLETIONS"
VERSION = "1.0"
UNIT = "PS"  # persons, as SDMX's cross-domain CL_UNIT says it
STATUS = {"final": "A", "provisional": "P"}  # SDMX's cross-domain CL_OBS_STATUS codes
STATUS_NAMES = {"A": "Normal value", "P": "Provisional value"}
CONCEPT_NAMES = {
    "COURSE": "Course",
    "TIME_PERIOD": "Period of the completions",
    "OBS_VALUE": "People who completed the course",
    "OBS_STATUS": "Observation status",
    "COVERAGE_MONTHS": "Months the period covers",
    "UNIT_MEASURE": "Unit of measure",
}
NAMES = {
    FLOW: "Completions by course and period",
    DSD: "Completions by course and period",
    COURSES: "Courses",
    STATUSES: "Observation status",
    UNITS: "Units of measure",
    CONCEPTS: "Concepts of the completions",
}
# Structure queries: the artefact types, and which ones `references` adds to each.
TYPES = ("dataflow", "datastructure", "codelist", "conceptscheme")
CHILDREN = {
    "dataflow": ("datastructure", "codelist", "conceptscheme"),
    "datastructure": ("codelist", "conceptscheme"),
    "codelist": (),
    "conceptscheme": (),
}
PARENTS = {
    "dataflow": (),
    "datastructure": ("dataflow",),
    "codelist": ("datastructure",),
    "conceptscheme": ("datastructure",),
}
IDS = {
    "dataflow": (FLOW,),
    "datastructure": (DSD,),
    "codelist": (COURSES, STATUSES, UNITS),
    "conceptscheme": (CONCEPTS,),
}
REFERENCES = ("none", "parents", "parentsandsiblings", "children", "descendants", "all", *TYPES)


def time_period(period: Period) -> str:
    """A period as an SDMX `TIME_PERIOD` (see the module's note)."""
    start, end = period.start_month, period.end_month
    length = end - start + 1
    if length == 12:
        return str(period.year)
    if length == 1:
        return f"{period.year}-{start:02d}"
    if length == 3 and start % 3 == 1:
        return f"{period.year}-Q{start // 3 + 1}"
    if length == 6 and start in (1, 7):
        return f"{period.year}-S{start // 6 + 1}"
    return f"{period.year}-{start:02d}-01/P{length}M"


_PERIOD = re.compile(
    r"(?P<year>\d{4})(?:-(?:(?P<month>\d{2})(?:-(?P<day>\d{2}))?|Q(?P<quarter>[1-4])"
    r"|S(?P<half>[12])|A1|M(?P<rmonth>\d{2})))?"
)


def period_bounds(text: str, *, name: str) -> tuple[int, int]:
    """`startPeriod`/`endPeriod` as (first, last) month, counted as year × 12 + month:
    `2019`, `2019-03`, `2019-03-15`, `2019-Q1`, `2019-S2`, `2019-A1`, `2019-M03`."""
    found = _PERIOD.fullmatch(text.strip())
    if found is None:
        raise Invalid(
            f"{name} {text!r} is not a period: give 2019, 2019-03, 2019-Q1 or 2019-S1.",
            errors=[{"field": name, "message": "expected YYYY, YYYY-MM, YYYY-Qn or YYYY-Sn"}],
        )
    year = int(found["year"]) * 12
    month = found["month"] or found["rmonth"]
    if month is not None and 1 <= int(month) <= 12:
        return year + int(month), year + int(month)
    if found["quarter"]:
        q = int(found["quarter"])
        return year + 3 * q - 2, year + 3 * q
    if found["half"]:
        h = int(found["half"])
        return year + 6 * h - 5, year + 6 * h
    if month is not None:
        raise Invalid(f"{name} {text!r}: a month runs from 01 to 12.")
    return year + 1, year + 12


def in_window(period: Period, start: str | None, end: str | None) -> bool:
    """Whether the period shares a month with `startPeriod`–`endPeriod` (inclusive)."""
    first = period.year * 12 + period.start_month
    last = period.year * 12 + period.end_month
    if start is not None and last < period_bounds(start, name="startPeriod")[0]:
        return False
    return end is None or first <= period_bounds(end, name="endPeriod")[1]


@dataclass(frozen=True)
class FlowRef:
    """A dataflow named in a data query: `COMPLETIONS` or `AGENCY,COMPLETIONS,1.0`."""

    agency: str
    id: str
    version: str


def flow(text: str, agency: str) -> FlowRef:
    """Read a data query's flow; 404 for any other flow than ours."""
    parts = text.split(",")
    if len(parts) == 1:
        parts = ["all", parts[0], "latest"]
    elif len(parts) == 2:
        parts.append("latest")
    if len(parts) != 3:
        raise Invalid(f"{text!r} is not a flow: give {FLOW} or {agency},{FLOW},{VERSION}.")
    found = FlowRef(*parts)
    if not matches(found.agency, found.id, found.version, agency=agency, ids=(FLOW,)):
        raise NotFound(f"No dataflow {text}: this service has {agency},{FLOW},{VERSION}.")
    return found


def matches(agency_id: str, id: str, version: str, *, agency: str, ids: tuple[str, ...]) -> bool:
    """Whether a structure query's agency, id and version (REST keywords `all` and
    `latest` included) name one of `ids`."""
    return (
        agency_id in ("all", agency)
        and (id == "all" or id in ids)
        and version in ("all", "latest", "+", "~", VERSION)
    )


def wanted(kind: str, id: str, references: str) -> dict[str, tuple[str, ...]]:
    """Which artefacts a structure query answers with, by type: the ones it names and
    those `references` adds (children, parents, all, or one type)."""
    if references not in REFERENCES:
        raise Invalid(
            f"references={references!r}: give one of {', '.join(REFERENCES)}.",
            errors=[{"field": "references", "message": "unknown value"}],
        )
    own = IDS[kind] if id == "all" else (id,)
    found: dict[str, tuple[str, ...]] = {kind: own}
    if references in ("all", "parentsandsiblings"):
        return {**dict(IDS), kind: own}
    if references in ("children", "descendants"):
        extra: tuple[str, ...] = CHILDREN[kind]
    elif references == "parents":
        extra = PARENTS[kind]
    elif references in TYPES and references != kind:
        extra = (references,)
    else:
        extra = ()
    for other in extra:
        found[other] = IDS[other]
    return found


@dataclass(frozen=True)
class Series:
    """One course's observations, in period order: (period, completions, OBS_STATUS)."""

    course: str
    name: str
    observations: list[tuple[Period, int, str]]


def months(period: Period) -> int:
    """`COVERAGE_MONTHS`: how many months the period covers."""
    return period.end_month - period.start_month + 1


def series_key(key: str) -> frozenset[str] | None:
    """A data query's key: the courses asked for (`basic-sro+advanced-sro`), or None for
    every course (`all`, or the position left empty). One position: `COURSE`."""
    if key in ("all", ""):
        return None
    if "." in key:
        raise Invalid(
            f"The key {key!r} has {key.count('.') + 1} positions; {FLOW} has one (COURSE)."
        )
    courses = frozenset(code for code in key.split("+") if code)
    return courses or None
