"""Parquet and XLSX, read by the tools analysts run (pandas with pyarrow, openpyxl),
and content negotiation's 406: against the real app on the seeded database."""

import io
import json
import subprocess
import sys

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from tests.conftest import Keys

PARQUET = "application/vnd.apache.parquet"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_pandas_reads_the_release_from_parquet(client: TestClient) -> None:
    answer = client.get("/api/v1/attendance.parquet")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == PARQUET
    assert 'filename="attendance.parquet"' in answer.headers["content-disposition"]
    frame = pd.read_parquet(io.BytesIO(answer.content))
    assert len(frame) == 12
    assert frame["completions"].sum() == 10_680
    assert frame["completions"].dtype == "int64"
    assert str(frame["recorded_at"].dtype) == "datetime64[us, UTC]"
    # the envelope travels in the file's key-value metadata, one JSON value per key
    meta = pq.read_schema(io.BytesIO(answer.content)).metadata
    assert json.loads(meta[b"request"]) == "/api/v1/attendance"
    assert json.loads(meta[b"answer"]) == {"total": 12, "next_cursor": None}
    assert json.loads(meta[b"sources"])[0]["publisher"].startswith("National Association")
    assert json.loads(meta[b"as_of"]) is None


def test_parquet_types_percentages_flags_and_nulls(client: TestClient) -> None:
    answer = client.get("/api/v1/stats/changes?from=2018&to=2019", headers={"accept": PARQUET})
    assert answer.headers["content-type"] == PARQUET
    schema = pq.read_schema(io.BytesIO(answer.content))
    types = {f.name: str(f.type) for f in schema}
    assert types["change"] == "int64"
    assert types["change_pct"] == "double"
    assert types["record"] == "bool"
    # no seeded year has a like-for-like figure: null, yet still an integer column
    assert types["from_same_months_total"] == "int64"
    frame = pd.read_parquet(io.BytesIO(answer.content))
    whole = frame[frame["course"] == "(all courses)"].iloc[0]
    assert (whole["from_total"], whole["to_total"], whole["change_pct"]) == (3950, 6730, 70.4)
    meta = json.loads(schema.metadata[b"answer"])
    assert (meta["from"], meta["to"]) == (2018, 2019)
    assert json.loads(schema.metadata[b"request"]) == "/api/v1/stats/changes?from=2018&to=2019"


def test_the_workbook_is_the_csvs_rows_as_typed_cells(client: TestClient) -> None:
    csv_header = client.get("/api/v1/attendance.csv").text.splitlines()[0].split(",")
    answer = client.get("/api/v1/attendance", headers={"accept": XLSX})
    assert answer.headers["content-type"] == XLSX
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == ["attendance", "about"]
    rows = list(book["attendance"].values)
    assert list(rows[0]) == csv_header
    column = csv_header.index("completions")
    counts = [row[column] for row in rows[1:]]
    assert all(isinstance(c, int) for c in counts)
    assert sum(counts) == 10_680
    about = {row[0]: row[1] for row in book["about"].values if row and row[0]}
    assert about["request"] == "/api/v1/attendance"
    assert about["completions"].startswith("People who completed the course")


def test_a_formula_like_text_stays_text_in_the_workbook(client: TestClient, keys: Keys) -> None:
    made = client.post(
        "/api/v1/courses",
        json={"slug": "formula", "name": '=HYPERLINK("http://x","y")'},
        headers={"Authorization": f"Bearer {keys.write}"},
    )
    assert made.status_code == 201, made.text
    book = openpyxl.load_workbook(io.BytesIO(client.get("/api/v1/courses.xlsx").content))
    names = [row[1] for row in book["courses"].iter_rows(min_row=2, values_only=True)]
    assert '=HYPERLINK("http://x","y")' in names  # a string cell, never a formula
    cell = next(c for c in book["courses"]["B"] if c.value == names[-1])
    assert cell.data_type == "s"


def test_a_data_table_streams_as_typed_parquet(client: TestClient) -> None:
    answer = client.get("/api/v1/data/figures.parquet")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == PARQUET
    frame = pd.read_parquet(io.BytesIO(answer.content))
    assert len(frame) == 12
    assert frame["completions"].sum() == 10_680
    assert frame["completions"].dtype == "int64"
    courses = pd.read_parquet(io.BytesIO(client.get("/api/v1/data/courses.parquet").content))
    assert sorted(courses["slug"])[0] == "adolescent-mental-health"


def test_an_accept_nothing_answers_is_a_406_listing_what_can(client: TestClient) -> None:
    refused = client.get("/api/v1/years/2019", headers={"accept": "text/html"})
    assert refused.status_code == 406
    assert refused.headers["content-type"] == "application/problem+json"
    body = refused.json()
    assert body["available"] == [
        "application/json",
        "text/csv; charset=utf-8",
        PARQUET,
        XLSX,
    ]
    # a JSON-only answer lists JSON; the cache never answers a 406 with a stored JSON
    assert client.get("/api/v1/datapackage.json").status_code == 200
    only = client.get("/api/v1/datapackage.json", headers={"accept": "text/csv"})
    assert only.status_code == 406
    assert only.json()["available"] == ["application/json"]
    # a browser's Accept, `*/*` and a q=0 that only refuses still get JSON
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert client.get("/api/v1/years/2019", headers={"accept": browser}).json()["total"] == 6730
    refuses_csv = client.get("/api/v1/years/2019", headers={"accept": "text/csv;q=0"})
    assert refuses_csv.headers["content-type"] == "application/json"


@pytest.mark.slow  # starts a process
def test_a_worker_that_serves_no_typed_file_never_loads_pyarrow(database_url: str) -> None:
    probe = (
        "import sys\n"
        "from fastapi.testclient import TestClient\n"
        "from app.main import create_app\n"
        "from app.settings import Settings\n"
        f"app = create_app(Settings(database_url={database_url!r}))\n"
        "with TestClient(app) as c:\n"
        "    assert c.get('/api/v1/years/2019').json()['total'] == 6730\n"
        "    assert c.get('/api/v1/years/2019.csv').status_code == 200\n"
        "    print('loaded:', 'pyarrow' in sys.modules, 'openpyxl' in sys.modules)\n"
        "    c.get('/api/v1/years/2019.parquet')\n"
        "    print('loaded:', 'pyarrow' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    said = [line for line in out.splitlines() if line.startswith("loaded:")]  # not the log
    assert said == ["loaded: False False", "loaded: True"]
