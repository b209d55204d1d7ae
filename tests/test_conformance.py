"""Regression tests for what outside tools and hostile clients found: each reproduces
the original request and checks the answer is a 4xx (or what the contract says)."""

import base64
import json
import socket
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.conftest import CLI, Keys, on_postgres, run_cli
from tests.test_cli import serving
from tests.test_read_api import assert_problem

FIGURE = {"course": "basic-sro", "period": "2019-09/2019-12", "completions": 600, "source_id": 1}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


# --- methods ---------------------------------------------------------------------------


def test_head_answers_like_get_without_a_body(client: TestClient) -> None:
    get = client.get("/api/v1/years/2019")
    head = client.head("/api/v1/years/2019")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == get.headers["etag"]
    assert head.headers["content-type"] == "application/json"
    assert head.headers["content-length"] == str(len(get.content))
    again = client.head("/api/v1/years/2019", headers={"If-None-Match": get.headers["etag"]})
    assert again.status_code == 304
    assert client.head("/api/v1/years/1950").status_code == 404


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/api/v1/attendance", "GET, HEAD, POST, OPTIONS"),
        ("/api/v1/attendance/1", "GET, HEAD, PUT, PATCH, DELETE, OPTIONS"),
        ("/api/v1/attendance/import", "POST, OPTIONS"),
        ("/api/v1/courses/basic-sro", "GET, HEAD, PATCH, DELETE, OPTIONS"),
        ("/api/v1/years/2019", "GET, HEAD, OPTIONS"),
        ("/api/v1/years/2019.csv", "GET, HEAD, OPTIONS"),
    ],
)
def test_options_lists_exactly_the_methods_of_the_resource(
    client: TestClient, path: str, allow: str
) -> None:
    answer = client.options(path)
    assert answer.status_code == 204
    assert answer.headers["allow"] == allow


def test_an_undeclared_method_is_405_before_any_key_is_checked(client: TestClient) -> None:
    answer = client.put("/api/v1/attendance/import")
    body = assert_problem(answer, 405)
    assert answer.headers["allow"] == "POST, OPTIONS"
    assert "PUT is not served" in str(body["detail"])
    assert client.post("/api/v1/years/2019").headers["allow"] == "GET, HEAD, OPTIONS"
    assert_problem(client.options("/api/v1/nothing-here"), 404)


# --- values the schema allows ----------------------------------------------------------


@pytest.mark.parametrize(
    "as_of",
    [
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "2019-09-16t12:00:00z",
        "2030-01-01T00:00:00.123456789Z",
        "2016-12-31T23:59:60Z",
        "2019-09-16",
    ],
)
def test_every_rfc3339_as_of_is_answered(client: TestClient, as_of: str) -> None:
    answer = client.get("/api/v1/years", params={"as_of": as_of})
    assert answer.status_code == 200
    totals = {y["year"]: y["total"] for y in answer.json()["items"]}
    assert totals == ({2018: 3950, 2019: 6730} if as_of.startswith(("2030", "9999")) else {})


@pytest.mark.parametrize("as_of", ["2019", "0.5", "2019-13-01", "2019-09-16T12:00:00+25:00"])
def test_an_as_of_that_is_not_a_date_or_time_is_422(client: TestClient, as_of: str) -> None:
    body = assert_problem(client.get("/api/v1/years", params={"as_of": as_of}), 422)
    assert body["errors"] == [{"field": "as_of", "message": body["errors"][0]["message"]}]  # type: ignore[index]


def test_as_of_is_an_iso_date_or_date_time_in_the_openapi(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    params = spec["paths"]["/api/v1/years"]["get"]["parameters"]
    as_of = next(p for p in params if p["name"] == "as_of")
    assert as_of["schema"]["anyOf"] == [
        {"type": "string", "format": "date"},
        {"type": "string", "format": "date-time"},
    ]


# --- requests that gave 500s -------------------------------------------------------------


def test_a_cursor_past_any_id_is_422(client: TestClient) -> None:
    cursor = base64.urlsafe_b64encode(b'{"after": 9223372036854775808}').decode().rstrip("=")
    assert cursor == "eyJhZnRlciI6IDkyMjMzNzIwMzY4NTQ3NzU4MDh9"
    body = assert_problem(client.get("/api/v1/courses", params={"cursor": cursor}), 422)
    assert body["errors"] == [{"field": "cursor", "message": "not a valid cursor"}]


@pytest.mark.parametrize(
    "path", ["/api/v1/years/%E2%80%832019?format=csv", "/api/v1/years/%0B2019"]
)
def test_years_with_invisible_characters_are_404(client: TestClient, path: str) -> None:
    assert_problem(client.get(path), 404)


def test_an_import_nested_200000_deep_is_422(client: TestClient, keys: Keys) -> None:
    answer = client.post(
        "/api/v1/attendance/import",
        content=b"[" * 200_000,
        headers={**bearer(keys.write), "Content-Type": "application/json"},
    )
    body = assert_problem(answer, 422)
    assert body["detail"] == "The body nests JSON arrays or objects too deeply."


def test_audit_times_without_an_offset_are_utc(client: TestClient, keys: Keys) -> None:
    client.post("/api/v1/attendance", json=FIGURE, headers=bearer(keys.write))
    audit = client.get(
        "/api/v1/audit", params={"since": "2000-01-01T00:00:00"}, headers=bearer(keys.admin)
    )
    assert audit.status_code == 200
    assert [e["action"] for e in audit.json()["items"]][-1] == "figure.create"
    assert_problem(
        client.get("/api/v1/audit", params={"until": "0.5"}, headers=bearer(keys.admin)), 422
    )


# --- bounded work ----------------------------------------------------------------------


def test_an_import_of_5000_bad_rows_lists_the_first_1000(client: TestClient, keys: Keys) -> None:
    rows = "".join(f"no-such-course,2019-0{1 + i % 8},{i},final,,1\n" for i in range(5000))
    answer = client.post(
        "/api/v1/attendance/import",
        content="course,period,completions,status,note,source_id\n" + rows,
        headers={**bearer(keys.write), "Content-Type": "text/csv"},
    )
    body = assert_problem(answer, 422)
    assert len(body["errors"]) == 1000  # type: ignore[arg-type]
    assert body["error_count"] == 5000
    assert body["errors"][0] == {
        "row": 1,
        "field": "course",
        "message": "no course 'no-such-course'",
    }  # type: ignore[index]
    assert str(body["detail"]).startswith("5000 of 5000 rows are invalid; nothing was stored.")
    assert len(answer.content) < 150_000


@pytest.mark.parametrize(
    ("content", "kind"),
    [(b"", "text/csv"), (b"course,period,completions,source_id\n", "text/csv"), (b" ", "")],
)
def test_an_empty_import_is_422(client: TestClient, keys: Keys, content: bytes, kind: str) -> None:
    answer = client.post(
        "/api/v1/attendance/import",
        content=content,
        headers={**bearer(keys.write), "Content-Type": kind or "application/json"},
    )
    assert_problem(answer, 422)


def test_an_import_with_a_bom_reads_its_header(client: TestClient, keys: Keys) -> None:
    body = "\ufeffcourse,period,completions,source_id\nbasic-sro,2019-09/2019-12,600,1\n"
    answer = client.post(
        "/api/v1/attendance/import",
        content=body.encode(),
        headers={**bearer(keys.write), "Content-Type": "text/csv"},
    )
    assert answer.status_code == 200
    assert answer.json()["created"] == 1


def test_malformed_json_names_the_body(client: TestClient, keys: Keys) -> None:
    answer = client.post(
        "/api/v1/attendance",
        content=b'{"course": ',
        headers={**bearer(keys.write), "Content-Type": "application/json"},
    )
    body = assert_problem(answer, 422)
    assert [e["field"] for e in body["errors"]] == ["body"]  # type: ignore[union-attr]


# --- caches and links ------------------------------------------------------------------


def test_links_and_redirects_never_carry_the_requests_host(client: TestClient) -> None:
    evil = client.get(
        "/api/v1/courses", params={"format": "csv", "limit": 2}, headers={"Host": "evil.example"}
    )
    assert evil.headers["link"].startswith("</api/v1/courses?")
    assert "evil" not in evil.headers["link"]
    normal = client.get("/api/v1/courses", params={"format": "csv", "limit": 2})
    assert normal.headers["link"] == evil.headers["link"]
    moved = client.get(
        "/api/v1/courses/?limit=2", headers={"Host": "evil.example"}, follow_redirects=False
    )
    assert moved.status_code == 308
    assert moved.headers["location"] == "/api/v1/courses?limit=2"


def test_repeated_parameters_are_cached_apart(client: TestClient) -> None:
    first = client.get("/api/v1/years/2019?format=json&format=csv")
    second = client.get("/api/v1/years/2019?format=csv&format=json")
    assert first.headers["content-type"] == "text/csv; charset=utf-8"
    assert second.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("accept", "kind"),
    [
        ("text/csv;q=0", "application/json"),
        ("text/csv", "text/csv; charset=utf-8"),
        ("application/json;q=0.5, text/csv", "text/csv; charset=utf-8"),
        ("text/csv;q=0.2, application/json", "application/json"),
        ("*/*", "application/json"),
    ],
)
def test_accept_q_values_choose_the_format(client: TestClient, accept: str, kind: str) -> None:
    answer = client.get("/api/v1/years/2019", headers={"Accept": accept})
    assert answer.headers["content-type"] == kind


def test_csv_cells_a_spreadsheet_would_evaluate_are_neutralised(
    client: TestClient, keys: Keys
) -> None:
    made = client.post(
        "/api/v1/courses",
        json={"slug": "formulas", "name": "=1+1", "description": "@SUM(A1:A2)"},
        headers=bearer(keys.write),
    )
    assert made.status_code == 201
    row = client.get("/api/v1/courses/formulas.csv").text.splitlines()[1]
    assert row.startswith("formulas,'=1+1,'@SUM(A1:A2)")
    assert client.get("/api/v1/courses/formulas").json()["name"] == "=1+1"  # JSON unchanged


@pytest.mark.slow
def test_export_neutralises_and_import_reads_it_back(tmp_path: Path, database_url: str) -> None:
    if on_postgres():
        pytest.skip("the CLI round trip is the same on both databases; SQLite suffices")
    from tests.conftest import sqlite_url

    db = sqlite_url(tmp_path / "cells.db")
    run_cli("seed", cwd=tmp_path, database_url=db)
    notes = tmp_path / "notes.csv"
    notes.write_text(
        "course,period,completions,status,note,source_id\n"
        "basic-sro,2019-09,10,final,=HYPERLINK(x),1\n"
        "basic-sro,2019-10,10,final,'quoted,1\n"
        "basic-sro,2019-11,10,final,-2 late,1\n"
    )
    run_cli("import", str(notes), cwd=tmp_path, database_url=db)
    first = run_cli("export", cwd=tmp_path, database_url=db)
    assert "'=HYPERLINK(x)" in first
    assert "'-2 late" in first
    exported = tmp_path / "exported.csv"
    exported.write_text(first)
    again = run_cli("import", str(exported), "--mode", "upsert", cwd=tmp_path, database_url=db)
    assert "0 created, 0 revised, 15 unchanged" in again
    assert run_cli("export", cwd=tmp_path, database_url=db) == first


# --- headers ---------------------------------------------------------------------------


def test_security_headers_on_every_response(client: TestClient) -> None:
    for path, status in [("/api/v1/years/2019", 200), ("/api/v1/nothing", 404), ("/health", 200)]:
        answer = client.get(path)
        assert answer.status_code == status
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    page = client.get("/dashboard").headers["content-security-policy"]
    assert "script-src 'self';" in page
    assert "unsafe" not in page


def test_docs_are_served_from_the_package(client: TestClient) -> None:
    for path, asset in [("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")]:
        html = client.get(path).text
        assert "cdn" not in html.lower()
        src = next(part.split('"')[0] for part in html.split('src="')[1:] if asset in part)
        script = client.get(src)
        assert script.status_code == 200
        assert len(script.content) > 100_000


def test_a_replayed_post_carries_the_first_etag(client: TestClient, keys: Keys) -> None:
    headers = {**bearer(keys.write), "Idempotency-Key": "replay-etag"}
    first = client.post("/api/v1/attendance", json=FIGURE, headers=headers)
    again = client.post("/api/v1/attendance", json=FIGURE, headers=headers)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["etag"] == first.headers["etag"]


def test_the_openapi_declares_keys_headers_and_304(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    post = spec["paths"]["/api/v1/attendance"]["post"]
    assert post["operationId"] == "create_attendance"
    assert post["security"] == [{"apiKey": []}]
    assert {"Location", "ETag", "Idempotent-Replayed", "X-Request-ID"} <= set(
        post["responses"]["201"]["headers"]
    )
    assert "Retry-After" in post["responses"]["429"]["headers"]
    get = spec["paths"]["/api/v1/years/{year}"]["get"]
    assert "304" in get["responses"]
    assert list(get["responses"]["200"]["content"]) == [
        "application/json",
        "text/csv",
        "application/vnd.apache.parquet",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ]
    csv = spec["paths"]["/api/v1/years/{year}.csv"]["get"]
    assert list(csv["responses"]["200"]["content"]) == ["text/csv"]
    status = spec["components"]["schemas"]["AttendanceOut"]["properties"]["status"]
    assert status["enum"] == ["final", "provisional"]


# --- a real server ---------------------------------------------------------------------


def test_the_head_bound_overrides_callbacks_uvicorn_still_has() -> None:
    """`app.server` relies on these of uvicorn's httptools protocol (docs/decisions.md,
    "Bounded work"): a rename upstream fails here, not silently in production."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    from app.server import BoundedHeadProtocol

    for name in ("data_received", "on_headers_complete", "on_message_complete"):
        assert callable(getattr(HttpToolsProtocol, name)), name
        assert getattr(BoundedHeadProtocol, name) is not getattr(HttpToolsProtocol, name)


@pytest.mark.slow
def test_a_real_server_answers_head_and_refuses_a_huge_header(
    database_url: str, tmp_path: Path
) -> None:
    with serving(tmp_path, database_url=database_url) as base:
        head = httpx.head(f"{base}/api/v1/years/2019")
        assert head.status_code == 200
        assert head.content == b""
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 1_000_000)
            answer = sock.recv(200)
        assert answer.startswith(b"HTTP/1.1 431 ")
        assert httpx.get(f"{base}/health").json() == {"status": "ok"}
        log = next(tmp_path.glob("serve-*.log")).read_text()
    assert "serving " in log


# --- operators -------------------------------------------------------------------------


@pytest.mark.slow
def test_a_database_in_a_missing_folder_is_one_line_naming_it(tmp_path: Path) -> None:
    import subprocess

    missing = tmp_path / "nowhere" / "stats.db"
    for args in (["migrate"], ["keys", "list"], ["serve", "--port", "1"]):
        done = subprocess.run(
            [CLI, *args],
            env={"DATABASE_URL": f"sqlite:///{missing}", "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 2
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        assert str(missing.parent) in lines[0]
        assert "does not exist" in lines[0]


@pytest.mark.slow
def test_serve_seeds_a_database_where_only_a_key_was_made(tmp_path: Path) -> None:
    if on_postgres():
        pytest.skip("the embedded default database")
    from tests.conftest import sqlite_url

    db = sqlite_url(tmp_path / "fresh.db")
    run_cli("keys", "create", "--name", "first", "--scope", "write", cwd=tmp_path, database_url=db)
    with serving(tmp_path, database_url=db) as base:
        assert httpx.get(f"{base}/api/v1/years/2019").json()["total"] == 6730
    log = next(tmp_path.glob("serve-*.log")).read_text()
    assert "seeded: 6 courses" in log
    assert f"serving SQLite file {tmp_path / 'fresh.db'}" in log


def test_sqlite_writes_are_durable(client: TestClient) -> None:
    if on_postgres():
        pytest.skip("a SQLite setting")
    with client.app.state.engine.connect() as conn:  # type: ignore[attr-defined]
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_openapi_json_is_valid_json_of_60_operations(client: TestClient) -> None:
    spec = json.loads(client.get("/openapi.json").content)
    operations = [op for item in spec["paths"].values() for op in item.values()]
    assert len(operations) == 60
