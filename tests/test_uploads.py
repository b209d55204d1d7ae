"""Uploads as coordinators make them: a dry run first, spreadsheets (XLSX) as well as
CSV and JSON, and error reports that point at the spreadsheet's own rows."""

import io
import os
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from app.services.imports import XLSX
from tests.conftest import CLI, Keys, run_cli
from tests.test_conformance import bearer
from tests.test_read_api import assert_problem

CSV_TWO_ROWS = (
    "course,period,completions,status,note,source_id\n"
    "basic-sro,2019-09/2019-12,600,final,,1\n"
    "advanced-sro,2019-01/2019-08,610,final,corrected count,1\n"
)


def workbook(*rows: tuple[Any, ...]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def state(client: TestClient, keys: Keys) -> tuple[str, int, int]:
    """What a dry run must leave alone: an ETag, the figures, the audit log."""
    etag = client.get("/api/v1/years/2019").headers["etag"]
    figures = client.get("/api/v1/attendance").json()["total"]
    audit = client.get("/api/v1/audit?limit=1000", headers=bearer(keys.admin)).json()
    return etag, figures, len(audit["items"])


def test_a_dry_run_reports_what_the_import_would_do_and_stores_nothing(
    client: TestClient, keys: Keys
) -> None:
    before = state(client, keys)
    headers = {**bearer(keys.write), "Content-Type": "text/csv"}
    dry = client.post(
        "/api/v1/attendance/import?mode=upsert&dry_run=true", content=CSV_TWO_ROWS, headers=headers
    )
    assert dry.status_code == 200, dry.text
    assert dry.json() == {"rows": 2, "created": 1, "revised": 1, "unchanged": 0, "dry_run": True}
    assert state(client, keys) == before
    etag = before[0]
    assert client.get("/api/v1/years/2019", headers={"If-None-Match": etag}).status_code == 304

    real = client.post(
        "/api/v1/attendance/import?mode=upsert", content=CSV_TWO_ROWS, headers=headers
    )
    assert real.json() == {"rows": 2, "created": 1, "revised": 1, "unchanged": 0, "dry_run": False}
    assert client.get("/api/v1/years/2019").headers["etag"] != etag


def test_a_dry_run_with_bad_rows_is_the_same_422_and_says_it_was_a_dry_run(
    client: TestClient, keys: Keys
) -> None:
    before = state(client, keys)
    bad = CSV_TWO_ROWS + "sro-management,2019-09/2019-12,-5,final,,1\n"
    headers = {**bearer(keys.write), "Content-Type": "text/csv"}
    dry = client.post("/api/v1/attendance/import?dry_run=true", content=bad, headers=headers)
    body = assert_problem(dry, 422)
    assert body["dry_run"] is True
    real = assert_problem(
        client.post("/api/v1/attendance/import", content=bad, headers=headers), 422
    )
    assert "dry_run" not in real
    # Row 2 exists already (create mode), row 3 is negative: the same report both times.
    assert body["errors"] == real["errors"]
    assert [(e["row"], e["field"]) for e in body["errors"]] == [  # type: ignore[union-attr]
        (2, "period"),
        (3, "completions"),
    ]
    assert "?mode=upsert" in body["errors"][0]["message"]  # type: ignore[index]
    assert state(client, keys) == before


def test_an_xlsx_upload_is_imported(client: TestClient, keys: Keys) -> None:
    sheet = workbook(
        ("course", "period", "completions", "status", "note", "source_id"),
        ("basic-sro", "2019-09/2019-12", 600, "final", None, 1),
        ("sro-management", datetime(2019, 9, 1), 12.0, "provisional", "September", 1),
    )
    headers = {**bearer(keys.write), "Content-Type": XLSX}
    answer = client.post("/api/v1/attendance/import", content=sheet, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["created"] == 2
    september = client.get("/api/v1/attendance?course=sro-management&year=2019").json()["items"]
    # A date typed into the period column is its month; 12.0 is the whole number 12.
    assert [(f["period"], f["completions"], f["note"]) for f in september] == [
        ("2019-01/2019-08", 136, None),
        ("2019-09/2019-09", 12, "September"),
    ]


def test_an_xlsx_error_names_the_spreadsheets_own_row(client: TestClient, keys: Keys) -> None:
    before = client.get("/api/v1/attendance").json()["total"]
    sheet = workbook(
        ("course", "period", "completions", "source_id"),
        ("basic-sro", "2019-09/2019-12", 600, 1),
        (None, None, None, None),  # a blank row is skipped, but still counts in the sheet
        ("advanced-sro", "2019-09/2019-12", 200, 1),
        ("school-security-officer", "2019-09/2019-12", -3, 1),
    )
    headers = {**bearer(keys.write), "Content-Type": XLSX}
    body = assert_problem(
        client.post("/api/v1/attendance/import", content=sheet, headers=headers), 422
    )
    assert body["errors"] == [
        {"row": 5, "field": "completions", "message": body["errors"][0]["message"]}  # type: ignore[index]
    ]
    assert "greater than or equal to 0" in body["errors"][0]["message"]  # type: ignore[index]
    assert client.get("/api/v1/attendance").json()["total"] == before


def test_a_file_that_is_not_a_workbook_is_422(client: TestClient, keys: Keys) -> None:
    headers = {**bearer(keys.write), "Content-Type": XLSX}
    body = assert_problem(
        client.post("/api/v1/attendance/import", content=b"course,period\n", headers=headers), 422
    )
    assert "not an XLSX workbook" in body["detail"]  # type: ignore[operator]
    empty = assert_problem(
        client.post("/api/v1/attendance/import", content=workbook(), headers=headers), 422
    )
    assert "no rows" in empty["detail"]  # type: ignore[operator]


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run(
        [CLI, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=300
    )


@pytest.mark.slow
def test_cli_dry_run_xlsx_and_the_upsert_hint(tmp_path: Path) -> None:
    run_cli("seed", cwd=tmp_path)
    figures = tmp_path / "figures.csv"
    figures.write_text(CSV_TWO_ROWS)
    refused = _cli("import", str(figures), cwd=tmp_path)
    assert refused.returncode == 2
    assert "use --mode upsert to revise it" in refused.stderr
    assert "?mode" not in refused.stderr

    dry = run_cli("import", str(figures), "--mode", "upsert", "--dry-run", cwd=tmp_path)
    assert "would import 2 rows: 1 created, 1 revised, 0 unchanged (dry run: nothing stored)" in dry
    assert "2019-09/2019-12" not in run_cli("export", cwd=tmp_path)

    sheet = tmp_path / "figures.xlsx"
    sheet.write_bytes(
        workbook(
            ("course", "period", "completions", "source_id"),
            ("basic-sro", "2019-09/2019-12", 600, 1),
        )
    )
    assert "imported 1 rows: 1 created" in run_cli("import", str(sheet), cwd=tmp_path)
    assert "basic-sro,2019-09/2019-12,600" in run_cli("export", cwd=tmp_path)
