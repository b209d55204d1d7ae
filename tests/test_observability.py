"""Request ids, JSON access logs without keys, Prometheus metrics."""

import json
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from tests.conftest import Keys
from tests.test_cli import serving


def test_request_ids_are_echoed_or_made(client: TestClient) -> None:
    given = client.get("/api/v1/years", headers={"X-Request-ID": "dash-42"})
    assert given.headers["x-request-id"] == "dash-42"
    made = client.get("/api/v1/years").headers["x-request-id"]
    assert len(made) == 32
    assert made != client.get("/api/v1/years").headers["x-request-id"]
    hostile = client.get("/api/v1/years", headers={"X-Request-ID": "x" * 500})
    assert len(hostile.headers["x-request-id"]) == 32
    assert client.get("/api/v1/courses/nope").headers["x-request-id"]


def test_metrics_count_requests_by_route_and_status(client: TestClient) -> None:
    first = client.get("/api/v1/courses/basic-sro")
    client.get("/api/v1/courses/basic-sro")  # from the response cache
    client.get("/api/v1/courses/basic-sro", headers={"If-None-Match": first.headers["etag"]})
    client.get("/api/v1/courses/nope")
    body = client.get("/metrics")
    assert body.headers["content-type"].startswith("text/plain")
    text = body.text
    route = 'method="GET",route="/api/v1/courses/{slug}"'
    assert f'http_requests_total{{{route},status="200"}} 2' in text
    assert f'http_requests_total{{{route},status="304"}} 1' in text
    assert f'http_requests_total{{{route},status="404"}} 1' in text
    assert f"http_request_duration_seconds_count{{{route}}} 4" in text
    buckets = [
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("http_request_duration_seconds_bucket{") and route in line
    ]
    assert len(buckets) == 13  # cumulative, as Prometheus histograms are
    assert buckets == sorted(buckets)
    assert buckets[-1] == 4
    assert 'route="unmatched"' not in text
    assert "enrollment_figures 12" in text


def test_access_log_is_json_with_request_ids_and_never_a_key(
    database_url: str, keys: Keys, tmp_path: Path
) -> None:
    with serving(tmp_path, database_url=database_url) as base:
        port = base.rsplit(":", 1)[1]
        headers = {"Authorization": f"Bearer {keys.write}", "X-Request-ID": "write-1"}
        body = {
            "course": "basic-sro",
            "period": "2019-09/2019-12",
            "completions": 600,
            "source_id": 1,
        }
        assert (
            httpx.post(f"{base}/api/v1/attendance", json=body, headers=headers).status_code == 201
        )
        bad = {"Authorization": f"Bearer {keys.write}x", "X-Request-ID": "write-2"}
        assert httpx.post(f"{base}/api/v1/attendance", json=body, headers=bad).status_code == 401
    log = (tmp_path / f"serve-{port}.log").read_text()
    assert keys.write.split("_", 2)[2] not in log
    assert "Bearer" not in log
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    by_id = {line["request_id"]: line for line in lines}
    assert by_id["write-1"]["status"] == 201
    assert by_id["write-1"]["route"] == "/api/v1/attendance"
    assert by_id["write-2"]["status"] == 401
    assert all({"ts", "method", "path", "status", "duration_ms"} <= line.keys() for line in lines)


def test_ready_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    from app.main import create_app
    from app.settings import Settings
    from tests.test_read_api import assert_problem

    missing = tmp_path / "no-such-folder" / "db.sqlite"
    app = create_app(Settings(database_url=f"sqlite:///{missing}"))
    with TestClient(app) as client:
        body = assert_problem(client.get("/ready"), 503)
        assert "unreachable" in str(body["detail"])
        assert client.get("/health").json() == {"status": "ok"}
    app.state.engine.dispose()
