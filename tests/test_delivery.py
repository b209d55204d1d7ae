"""Delivery for dashboards: ETag/304 on every GET, CSV, CORS, Cache-Control, cursors."""

import csv
import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.conftest import AddFigure, Keys, run_cli
from tests.test_read_api import assert_problem

GETS = [
    "/api/v1/courses",
    "/api/v1/courses/basic-sro",
    "/api/v1/courses/basic-sro/series",
    "/api/v1/years",
    "/api/v1/years/2019",
    "/api/v1/attendance",
    "/api/v1/attendance?course=basic-sro&year=2019",
    "/api/v1/attendance/2",
    "/api/v1/attendance/2/revisions",
    "/api/v1/stats/totals?by=course_year",
    "/api/v1/stats/changes?from=2018&to=2019",
    "/api/v1/stats/shares?year=2019",
    "/api/v1/stats/records",
    "/api/v1/stats/rolling?end=2019-08",
    "/api/v1/sources",
    "/api/v1/sources/1",
    "/api/v1/years/2019?as_of=2030-01-01",
]


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("path", GETS)
@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_every_get_has_an_etag_and_revalidates_to_304(
    client: TestClient, path: str, fmt: str
) -> None:
    headers = {"Accept": "text/csv"} if fmt == "csv" else {}
    first = client.get(path, headers=headers)
    assert first.status_code == 200
    assert first.headers["content-type"].startswith(
        "text/csv" if fmt == "csv" else "application/json"
    )
    etag = first.headers["etag"]
    assert etag.startswith('"')
    assert first.headers["cache-control"] == "public, max-age=60"
    again = client.get(path, headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    other = client.get(path, headers={**headers, "If-None-Match": '"something-else"'})
    assert other.status_code == 200
    assert other.content == first.content


def test_json_and_csv_have_different_etags(client: TestClient) -> None:
    as_json = client.get("/api/v1/years/2019").headers["etag"]
    as_csv = client.get("/api/v1/years/2019", params={"format": "csv"}).headers["etag"]
    assert as_json != as_csv


@pytest.mark.slow
def test_etag_changes_after_a_write_by_another_process(
    client: TestClient, database_url: str, tmp_path: Path
) -> None:
    first = client.get("/api/v1/years/2019")
    etag = first.headers["etag"]
    assert client.get("/api/v1/years/2019", headers={"If-None-Match": etag}).status_code == 304

    figures = tmp_path / "sep-dec.csv"
    figures.write_text("course,period,completions,source_id\nbasic-sro,2019-09/2019-12,600,1\n")
    run_cli("import", str(figures), cwd=tmp_path, database_url=database_url)

    after = client.get("/api/v1/years/2019", headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert after.headers["etag"] != etag
    basic = next(c for c in after.json()["courses"] if c["course"] == "basic-sro")
    assert basic["total"] == 3116  # not the cached 2516


def test_the_figure_etag_is_its_revision(client: TestClient, keys: Keys) -> None:
    first = client.get("/api/v1/attendance/2")
    assert first.headers["etag"] == '"2-1"'
    assert client.get("/api/v1/attendance/2", headers={"If-None-Match": '"2-1"'}).status_code == 304
    client.patch(
        "/api/v1/attendance/2",
        json={"completions": 2520},
        headers={"Authorization": f"Bearer {keys.write}"},
    )
    changed = client.get("/api/v1/attendance/2", headers={"If-None-Match": '"2-1"'})
    assert changed.status_code == 200
    assert changed.headers["etag"] == '"2-2"'


def test_errors_and_authenticated_reads_are_not_stored(client: TestClient, keys: Keys) -> None:
    missing = client.get("/api/v1/courses/nope")
    assert missing.headers["cache-control"] == "no-store"
    assert "etag" not in missing.headers
    audit = client.get("/api/v1/audit", headers={"Authorization": f"Bearer {keys.admin}"})
    assert audit.status_code == 200
    assert audit.headers["cache-control"] == "private, no-store"


def test_csv_of_figures_parses_with_the_right_rows(client: TestClient) -> None:
    response = client.get("/api/v1/attendance", params={"format": "csv"})
    assert response.headers["content-disposition"] == 'attachment; filename="attendance.csv"'
    table = rows(response.text)
    assert len(table) == 12
    json_fields = list(client.get("/api/v1/attendance").json()["items"][0])
    assert list(table[0]) == json_fields
    by_key = {(r["course"], r["period"]): int(r["completions"]) for r in table}
    assert by_key["basic-sro", "2019-01/2019-08"] == 2516
    assert by_key["adolescent-mental-health", "2018-01/2018-12"] == 871


def test_csv_of_changes_carries_its_envelope_and_labels_its_aggregate_rows(
    client: TestClient,
) -> None:
    table = rows(client.get("/api/v1/stats/changes?from=2018&to=2019&format=csv").text)
    assert len(table) == 8  # six courses, all courses, all courses without new ones
    assert list(table[0])[:4] == ["from", "to", "course", "name"]
    assert {(r["from"], r["to"]) for r in table} == {("2018", "2019")}
    assert table[0]["course"] == "basic-sro"
    assert (table[0]["change"], table[0]["change_pct"], table[0]["record"]) == (
        "243",
        "10.7",
        "true",
    )
    assert (table[0]["projection_method"], table[0]["projection_basis"]) == ("linear", "")
    overall = table[6]
    assert (overall["course"], overall["name"]) == ("(all courses)", "All courses")
    assert (overall["from_total"], overall["to_total"], overall["change_pct"]) == (
        "3950",
        "6730",
        "70.4",
    )
    established = table[7]
    assert established["course"] == "(established courses)"
    assert established["name"] == "All courses first offered before 2018"
    assert (established["from_total"], established["change_pct"]) == ("3079", "15.7")
    assert established["excluded"] == "adolescent-mental-health"


def test_csv_of_a_year_lists_its_courses_then_all_courses_with_the_year(
    client: TestClient,
) -> None:
    table = rows(client.get("/api/v1/years/2019", headers={"Accept": "text/csv"}).text)
    assert {r["course"]: int(r["total"]) for r in table}["adolescent-mental-health"] == 3167
    assert len(table) == 7
    assert {r["year"] for r in table} == {"2019"}
    assert (table[-1]["course"], table[-1]["name"], table[-1]["total"]) == (
        "(all courses)",
        "All courses",
        "6730",
    )


def test_csv_of_shares_series_and_totals_keep_their_context(client: TestClient) -> None:
    shares = rows(client.get("/api/v1/stats/shares.csv?year=2019").text)
    assert {r["year"] for r in shares} == {"2019"}
    assert (shares[-1]["course"], shares[-1]["total"], shares[-1]["share_pct"]) == (
        "(all courses)",
        "6730",
        "100.0",
    )
    series = rows(client.get("/api/v1/courses/basic-sro/series.csv").text)
    assert [(r["course"], r["year"], r["total"]) for r in series] == [
        ("basic-sro", "2018", "2273"),
        ("basic-sro", "2019", "2516"),
    ]
    by_year = rows(client.get("/api/v1/stats/totals.csv?by=year").text)
    assert [(r["course"], r["year"], r["total"]) for r in by_year] == [
        ("(all courses)", "2018", "3950"),
        ("(all courses)", "2019", "6730"),
    ]
    records = rows(client.get("/api/v1/stats/records.csv").text)
    assert ("(all courses)", "2019") in {(r["course"], r["year"]) for r in records}


def test_pandas_reads_the_changes_csv_with_integer_columns(client: TestClient) -> None:
    pandas = pytest.importorskip("pandas")
    text = client.get("/api/v1/stats/changes.csv?from=2018&to=2019").text
    # Columns without gaps are int64 as they are; with pandas' nullable dtypes (the
    # README's recipe) a column with gaps stays integer too, gaps as <NA>.
    frame = pandas.read_csv(io.StringIO(text), dtype_backend="numpy_nullable")
    for column in ("from", "to", "from_total", "to_total", "change", "from_same_months_total"):
        assert str(frame[column].dtype) == "Int64", column
    assert str(frame["change_pct"].dtype) == "Float64"
    assert str(frame["comparable"].dtype) == "boolean"
    assert frame.loc[frame.course == "(all courses)", "change"].item() == 2780
    plain = pandas.read_csv(io.StringIO(text))
    assert str(plain["change"].dtype) == "int64"
    assert str(plain["record"].dtype) == "bool"


def test_csv_pages_carry_a_link_to_the_next(client: TestClient) -> None:
    response = client.get("/api/v1/attendance", params={"format": "csv", "limit": 5})
    assert len(rows(response.text)) == 5
    link = response.headers["link"]
    assert link.endswith('>; rel="next"')
    nxt = client.get(link[1 : link.index(">")])
    assert [int(r["id"]) for r in rows(nxt.text)] == [6, 7, 8, 9, 10]


def test_unknown_format_is_a_422(client: TestClient, keys: Keys) -> None:
    wrong = assert_problem(client.get("/api/v1/years", params={"format": "xml"}), 422)
    assert wrong["errors"] == [
        {"field": "format", "message": "Input should be 'json', 'csv', 'parquet' or 'xlsx'"}
    ]
    both = assert_problem(client.get("/api/v1/years/1800", params={"format": ""}), 422)
    assert sorted(e["field"] for e in both["errors"]) == ["format", "year"]  # every one, at once
    last = client.get("/api/v1/years/2019?format=xml&format=csv")  # the last one counts
    assert last.headers["content-type"] == "text/csv; charset=utf-8"
    assert_problem(client.get("/api/v1/years/2019?format=csv&format=xml"), 422)
    stored = client.post(
        "/api/v1/attendance",
        params={"format": "xml"},
        json={"course": "basic-sro", "period": "2019-09", "completions": 9, "source_id": 1},
        headers={"Authorization": f"Bearer {keys.write}"},
    )
    assert_problem(stored, 422)
    assert len(client.get("/api/v1/attendance").json()["items"]) == 12  # the seed's, only


def test_cors_allows_any_origin_to_read(client: TestClient) -> None:
    response = client.get("/api/v1/years", headers={"Origin": "https://dash.example"})
    assert response.headers["access-control-allow-origin"] == "*"
    assert "ETag" in response.headers["access-control-expose-headers"]
    preflight = client.options(
        "/api/v1/years",
        headers={"Origin": "https://dash.example", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 200


def test_a_cached_answer_carries_only_its_own_request_headers(database_url: str) -> None:
    """The response cache stores what the route said, not what CORS or the request log
    added for the request that filled it."""
    app = create_app(Settings(database_url=database_url, cors_origins=["https://dash.example"]))
    with TestClient(app) as client:
        first = client.get("/api/v1/years", headers={"Origin": "https://dash.example"})
        again = client.get("/api/v1/years")
        other = client.get("/api/v1/years", headers={"Origin": "https://other.example"})
    app.state.engine.dispose()
    assert first.headers["access-control-allow-origin"] == "https://dash.example"
    assert again.content == first.content
    assert "access-control-allow-origin" not in again.headers
    assert "access-control-allow-origin" not in other.headers
    for response in (first, again, other):
        assert response.headers["vary"] == "Accept, Accept-Encoding, Origin"
    assert again.headers["x-request-id"] != first.headers["x-request-id"]


@pytest.mark.parametrize("origin", [None, "https://dash.example"])
@pytest.mark.parametrize(
    "path", ["/api/v1/years/2019", "/api/v1/stats/changes?from=2018&to=2019", "/api/v1/courses"]
)
def test_a_cache_hit_answers_exactly_as_the_whole_stack_does(
    database_url: str, path: str, origin: str | None
) -> None:
    """A hit passes the same layers as a miss: status, headers in order, body and
    metrics are those of the same request answered by the whole stack with the cache
    off."""
    asks = {"X-Request-ID": "req-1"} | ({"Origin": origin} if origin else {})
    apps = {
        on: create_app(Settings(database_url=database_url, response_cache=on))
        for on in (True, False)
    }
    with TestClient(apps[True]) as cached, TestClient(apps[False]) as whole:
        cached.get(path)  # fills the cache
        for extra in ({}, {"If-None-Match": whole.get(path).headers["etag"]}):
            hit = cached.get(path, headers={**asks, **extra})
            made = whole.get(path, headers={**asks, **extra})
            assert hit.status_code == made.status_code == (304 if extra else 200)
            assert hit.headers.multi_items() == made.headers.multi_items()
            assert hit.content == made.content
        counted = [
            line
            for line in cached.get("/metrics").text.splitlines()
            if line.startswith("http_requests_total{")
        ]
        route = path.split("?")[0].replace("2019", "{year}")
        assert f'http_requests_total{{method="GET",route="{route}",status="200"}} 2.0' in counted
        assert f'http_requests_total{{method="GET",route="{route}",status="304"}} 1.0' in counted
    for app in apps.values():
        app.state.engine.dispose()


def test_with_fastapi_telemetry_on_hits_are_still_answered_from_the_cache(
    database_url: str,
) -> None:
    """FastAPI's telemetry on changes nothing a client sees: a hit is the first answer
    again, a 304 is a 304, and the request id is the client's."""
    app = create_app(Settings(database_url=database_url, opentelemetry=True, access_log=False))
    with TestClient(app) as client:
        first = client.get("/api/v1/years/2019")
        hit = client.get("/api/v1/years/2019", headers={"X-Request-ID": "req-2"})
        again = client.get("/api/v1/years/2019", headers={"If-None-Match": first.headers["etag"]})
        held = app.state.response_cache.entries
    assert (first.status_code, hit.status_code, again.status_code) == (200, 200, 304)
    assert len(held) == 1
    assert hit.content == first.content
    assert hit.json()["total"] == 6730
    assert hit.headers["etag"] == first.headers["etag"]
    assert hit.headers["x-request-id"] == "req-2"
    app.state.engine.dispose()


def test_pagination_walks_everything_once_while_figures_are_added(
    client: TestClient, add_figure: AddFigure
) -> None:
    new_periods = iter(
        [("basic-sro", f"2017-{m:02d}", m) for m in range(1, 13)]
        + [("advanced-sro", f"2017-{m:02d}", m) for m in range(1, 13)]
    )
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/api/v1/attendance", params=params).json()
        seen += [f["id"] for f in page["items"]]
        for _ in range(2):  # two inserts between pages
            nxt = next(new_periods, None)
            if nxt:
                add_figure(*nxt)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen))
    assert set(range(1, 13)) <= set(seen)
    assert seen == sorted(seen)
    # Nothing up to where the walk ended was skipped, rows added meanwhile included.
    everything = [f["id"] for f in client.get("/api/v1/attendance").json()["items"]]
    assert seen == [i for i in everything if i <= seen[-1]]
    assert len(seen) > 12
