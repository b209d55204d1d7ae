"""JSON-stat 2.0 (https://json-stat.org/full/): the figures in force (course × period) and
the year totals (course × year) as datasets, and the collection that lists them.

Pure: a cube (`app.services.cubes`) in, a JSON-shaped dict out. Values run in JSON-stat's
row-major order (the last dimension fastest); a cube less than half full sends its values
as an object keyed by index, as the format allows, instead of a list mostly of nulls.
"""

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.domain.periods import months_label
from app.services.cubes import Cube, Figures, Totals

VERSION = "2.0"
UNIT = {
    "label": "people who completed the course",
    "decimals": 0,
    "type": "count",
}
PROVISIONAL = "p"
INCOMPLETE = "i"
STATUS = {
    PROVISIONAL: "provisional: the source may still revise it",
    INCOMPLETE: "incomplete year: the total covers only the months `extension.coverage` "
    "names for its index, so it is not comparable with a whole year",
}
DATASETS = {
    "completions": "Completions by course and period",
    "year-totals": "Completions by course and year (totals that never double count)",
}
COMPLETIONS_NOTES = [
    "Each value is the number of people who completed the course in the period.",
    "Periods are ISO 8601 intervals of whole months inside one calendar year; a period "
    "shorter than a year (Jan–Aug 2019) is not comparable with a whole year.",
    "Periods may nest (a month inside its quarter): never add values across periods; "
    "year-totals gives each year's total without double counting.",
    "Status p marks a provisional figure: its source may still revise it.",
    "null: no figure for that course and period.",
]
TOTALS_NOTES = [
    "Each value is the course's total for the year: the sum over its largest periods, "
    "so a month inside a reported quarter is never counted twice.",
    "Status i marks an incomplete year; extension.coverage gives the months it covers.",
    "null: no figures for that course in that year.",
]


class JsonStat(BaseModel):
    """A JSON-stat 2.0 response (https://json-stat.org/full/)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    version: Literal["2.0"] = Field(description="The JSON-stat version.")
    class_: Literal["dataset", "collection"] = Field(alias="class", description="Its kind.")
    href: str = Field(description="This answer's absolute address.")
    label: str = Field(description="Its title, for people.")
    updated: str = Field(description="The moment of the last write the answer reflects.")


DATASET_EXAMPLE: dict[str, Any] = {
    "version": "2.0",
    "class": "dataset",
    "href": "http://127.0.0.1:8000/api/v1/datasets/completions?course=basic-sro",
    "label": DATASETS["completions"],
    "source": "National Association of School Resource Officers (NASRO): National "
    "Organization Trains Record Numbers of School Resource Officers (2019-09-16)",
    "updated": "2019-09-16T12:00:00Z",
    "id": ["course", "period"],
    "size": [1, 2],
    "role": {"time": ["period"]},
    "dimension": {
        "course": {
            "label": "Course",
            "category": {"index": ["basic-sro"], "label": {"basic-sro": "Basic SRO"}},
        },
        "period": {
            "label": "Period",
            "category": {
                "index": ["2018-01/2018-12", "2019-01/2019-08"],
                "label": {"2018-01/2018-12": "2018", "2019-01/2019-08": "Jan–Aug 2019"},
            },
        },
    },
    "value": [2273, 2516],
    "note": COMPLETIONS_NOTES,
    "extension": {"unit": UNIT, "status": {}, "as_of": None, "vintage": None},
}


class Dataset(JsonStat):
    """A JSON-stat dataset: dimensions, their categories, and the values in row-major
    order (a list, or an object keyed by index when the cube is sparse)."""

    model_config = ConfigDict(json_schema_extra={"example": DATASET_EXAMPLE})

    source: str = Field(description="Where the figures come from (publisher: title (date)).")
    id: list[str] = Field(description="The dimensions, in the order the values run.")
    size: list[int] = Field(description="How many categories each dimension has.")
    role: dict[str, list[str]] = Field(description="`time`: the time dimension.")
    dimension: dict[str, Any] = Field(
        description="Each dimension's label and categories (`index`, `label`)."
    )
    value: list[int | None] | dict[str, int] = Field(
        description="The values, the last dimension running fastest; null where there is none."
    )
    status: dict[str, str] | None = Field(
        default=None,
        description="Status by value index: `p` provisional, `i` incomplete year "
        "(`extension.status` explains each).",
    )
    note: list[str] = Field(description="How to read the values.")
    extension: dict[str, Any] = Field(
        description="The unit, the status codes' meaning, the sources, the vintage asked "
        "for and (year totals) the months each incomplete value covers."
    )


class Collection(JsonStat):
    """A JSON-stat collection: a link to each dataset."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "version": "2.0",
                "class": "collection",
                "href": "http://127.0.0.1:8000/api/v1/datasets",
                "label": "Training enrollment statistics",
                "updated": "2019-09-16T12:00:00Z",
                "link": {
                    "item": [
                        {
                            "class": "dataset",
                            "href": "http://127.0.0.1:8000/api/v1/datasets/completions",
                            "label": DATASETS["completions"],
                        }
                    ]
                },
            }
        }
    )

    link: dict[str, list[dict[str, str]]] = Field(description="`item`: each dataset.")


def stamp(moment: datetime) -> str:
    """An ISO 8601 moment in UTC: `2019-09-16T12:00:00Z`."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _source(cube: Cube) -> str:
    parts = [
        f"{s['publisher']}: {s['title']}"
        + (f" ({s['published_on']})" if s.get("published_on") else "")
        for s in cube.sources
    ]
    return "; ".join(parts) or "no figures"


def _values(found: dict[int, int], size: int) -> list[int | None] | dict[str, int]:
    if 2 * len(found) < size:
        return {str(i): v for i, v in sorted(found.items())}
    return [found.get(i) for i in range(size)]


def _dimension(label: str, categories: dict[str, str]) -> dict[str, Any]:
    return {"label": label, "category": {"index": list(categories), "label": categories}}


def _dataset(
    cube: Cube,
    *,
    href: str,
    label: str,
    time: str,
    times: dict[str, str],
    found: dict[int, int],
    status: dict[int, str],
    notes: list[str],
    extension: dict[str, Any],
) -> dict[str, Any]:
    size = [len(cube.courses), len(times)]
    used = sorted(set(status.values()))
    return {
        "version": VERSION,
        "class": "dataset",
        "href": href,
        "label": label,
        "source": _source(cube),
        "updated": stamp(cube.updated),
        "id": ["course", time],
        "size": size,
        "role": {"time": [time]},
        "dimension": {
            "course": _dimension("Course", cube.courses),
            time: _dimension(time.capitalize(), times),
        },
        "value": _values(found, size[0] * size[1]),
        **({"status": {str(i): s for i, s in sorted(status.items())}} if status else {}),
        "note": notes,
        "extension": {
            "unit": UNIT,
            "status": {s: STATUS[s] for s in used},
            "sources": cube.sources,
            **extension,
        },
    }


def completions(cube: Figures, *, href: str, about: dict[str, Any]) -> dict[str, Any]:
    """The figures in force as a dataset: `course` × `period` (role time)."""
    periods = sorted({c.period for c in cube.cells})
    at = {p: i for i, p in enumerate(periods)}
    row = {slug: i for i, slug in enumerate(cube.courses)}
    found, status = {}, {}
    for cell in cube.cells:
        i = row[cell.course] * len(periods) + at[cell.period]
        found[i] = cell.completions
        if cell.status == "provisional":
            status[i] = PROVISIONAL
    return _dataset(
        cube,
        href=href,
        label=DATASETS["completions"],
        time="period",
        times={p.iso: p.label for p in periods},
        found=found,
        status=status,
        notes=COMPLETIONS_NOTES,
        extension=about,
    )


def year_totals(cube: Totals, *, href: str, about: dict[str, Any]) -> dict[str, Any]:
    """The course-year totals as a dataset: `course` × `year` (role time); incomplete
    years carry status `i`, and `extension.coverage` the months they cover."""
    years = sorted({y for _, y in cube.totals})
    at = {y: i for i, y in enumerate(years)}
    row = {slug: i for i, slug in enumerate(cube.courses)}
    found, status, coverage = {}, {}, {}
    for (slug, year), total in cube.totals.items():
        i = row[slug] * len(years) + at[year]
        found[i] = total.total
        if not total.complete:
            status[i] = INCOMPLETE
            coverage[str(i)] = {
                "months_covered": total.months_covered,
                "months_label": months_label(total.months),
            }
    return _dataset(
        cube,
        href=href,
        label=DATASETS["year-totals"],
        time="year",
        times={str(y): _year_label(y, cube) for y in years},
        found=found,
        status=status,
        notes=TOTALS_NOTES,
        extension={"coverage": coverage, **about},
    )


def _year_label(year: int, cube: Totals) -> str:
    """`2018`; `2019 (Jan–Aug only)` when every course's total covers those months; `2019
    (partial for some courses)` otherwise: a reader of the labels alone is not misled."""
    spans = {t.months for (_, y), t in cube.totals.items() if y == year}
    if all(len(months) == 12 for months in spans):
        return str(year)
    if len(spans) == 1:
        return f"{year} ({months_label(next(iter(spans)))} only)"
    return f"{year} (partial for some courses)"


def collection(*, base: str, href: str, updated: datetime) -> dict[str, Any]:
    """The collection of every dataset, each linked by its absolute address."""
    return {
        "version": VERSION,
        "class": "collection",
        "href": href,
        "label": "Training enrollment statistics",
        "updated": stamp(updated),
        "link": {
            "item": [
                {"class": "dataset", "href": f"{base}/{name}", "label": label}
                for name, label in DATASETS.items()
            ]
        },
    }
