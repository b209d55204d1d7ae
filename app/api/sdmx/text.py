"""SDMX-JSON 1.0 data messages and SDMX-CSV (1.0, and 2.0, which `sdmx1` reads)."""

import calendar
import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime

from app.api.sdmx import model
from app.api.sdmx.model import CONCEPT_NAMES, FLOW, VERSION
from app.domain.periods import Period

COLUMNS = ("COURSE", "TIME_PERIOD", "OBS_VALUE", "OBS_STATUS", "COVERAGE_MONTHS", "UNIT_MEASURE")


def _moment(when: datetime) -> str:
    return when.isoformat(timespec="seconds").replace("+00:00", "Z")


def _bounds(period: Period) -> dict[str, str]:
    last = calendar.monthrange(period.year, period.end_month)[1]
    return {
        "start": f"{period.year}-{period.start_month:02d}-01T00:00:00Z",
        "end": f"{period.year}-{period.end_month:02d}-{last:02d}T23:59:59Z",
    }


def _component(id: str, position: int | None, values: list[dict[str, str]]) -> dict[str, object]:
    found: dict[str, object] = {"id": id, "name": CONCEPT_NAMES[id]}
    if position is not None:
        found["keyPosition"] = position
        if id == "TIME_PERIOD":
            found["role"] = "time"
    found["values"] = values
    return found


def json_data(
    series: Sequence[model.Series], *, agency: str, message_id: str, prepared: datetime
) -> bytes:
    """An SDMX-JSON 1.0 data message: series by `COURSE`, observations by `TIME_PERIOD`,
    each `[OBS_VALUE, OBS_STATUS, COVERAGE_MONTHS, UNIT_MEASURE]` (the attributes as
    indexes into their values)."""
    periods = sorted({p for s in series for p, _, _ in s.observations})
    at = {p: i for i, p in enumerate(periods)}
    statuses = sorted({status for s in series for _, _, status in s.observations})
    lengths = sorted({model.months(p) for p in periods}, reverse=True)
    status_at = {code: i for i, code in enumerate(statuses)}
    length_at = {n: i for i, n in enumerate(lengths)}
    data_sets = {
        str(i): {
            "attributes": [],
            "observations": {
                str(at[p]): [value, status_at[status], length_at[model.months(p)], 0]
                for p, value, status in s.observations
            },
        }
        for i, s in enumerate(series)
    }
    message = {
        "header": {
            "id": message_id,
            "test": False,
            "prepared": _moment(prepared),
            "sender": {"id": agency},
        },
        "dataSets": [{"action": "Information", "series": data_sets}],
        "structure": {
            "name": model.NAMES[FLOW],
            "links": [
                {
                    "rel": "dataflow",
                    "urn": f"urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow="
                    f"{agency}:{FLOW}({VERSION})",
                }
            ],
            "dimensions": {
                "dataSet": [],
                "series": [
                    _component("COURSE", 0, [{"id": s.course, "name": s.name} for s in series])
                ],
                "observation": [
                    _component(
                        "TIME_PERIOD",
                        1,
                        [
                            {"id": model.time_period(p), "name": p.label, **_bounds(p)}
                            for p in periods
                        ],
                    )
                ],
            },
            "attributes": {
                "dataSet": [],
                "series": [],
                "observation": [
                    _component(
                        "OBS_STATUS",
                        None,
                        [{"id": c, "name": model.STATUS_NAMES[c]} for c in statuses],
                    ),
                    _component(
                        "COVERAGE_MONTHS", None, [{"id": str(n), "name": str(n)} for n in lengths]
                    ),
                    _component("UNIT_MEASURE", None, [{"id": model.UNIT, "name": "Persons"}]),
                ],
            },
        },
    }
    return json.dumps(message, ensure_ascii=False).encode()


def csv_data(series: Sequence[model.Series], *, agency: str, version: str) -> bytes:
    """SDMX-CSV: `1.0` (a `DATAFLOW` column) or `2.0` (`STRUCTURE`, `STRUCTURE_ID`,
    `ACTION`), then the dimensions, the measure and the attributes."""
    flow = f"{agency}:{FLOW}({VERSION})"
    lead: list[str] = ["DATAFLOW"] if version == "1.0" else ["STRUCTURE", "STRUCTURE_ID", "ACTION"]
    cells: list[str] = [flow] if version == "1.0" else ["dataflow", flow, "I"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*lead, *COLUMNS])
    for s in series:
        for period, value, status in s.observations:
            row = [s.course, model.time_period(period), value, status, model.months(period)]
            writer.writerow([*cells, *row, model.UNIT])
    return out.getvalue().encode()
