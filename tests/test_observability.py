"""Request ids, JSON access logs without keys, Prometheus metrics."""

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from app.api.observability import Metrics
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


def test_requests_added_up_per_turn_expose_as_observed_one_by_one() -> None:
    """Counted requests reach the exposition exactly as prometheus_client's own
    `inc()` and `observe()` would put them: count, sum and every bucket, bounds
    included (a bucket holds durations up to and including its bound)."""
    seconds = [0.0004, 0.001, 0.0011, 0.0025, 0.003, 0.05, 0.3, 1.0, 2.4, 5.0, 7.5, 60.0]
    batched, reference = Metrics(), Metrics()
    for status, durations in ((200, seconds), (304, seconds[::3])):
        for s in durations:
            reference.requests.labels("GET", "/api/v1/years/{year}", str(status)).inc()
            reference.duration.labels("GET", "/api/v1/years/{year}").observe(s)
    expected = reference.render().decode()
    assert 'http_requests_total{method="GET",route="/api/v1/years/{year}",status="304"} 4.0' in (
        expected
    )
    assert 'le="0.001",method="GET",route="/api/v1/years/{year}"} 3.0' in expected

    async def turn() -> tuple[str, str]:
        for status, durations in ((200, seconds), (304, seconds[::3])):
            series = batched.series("GET", "/api/v1/years/{year}", status)
            for s in durations:
                batched.count(series, s)
        during = batched.render().decode()
        next_turn = asyncio.Event()  # set by a callback queued after the flush
        asyncio.get_running_loop().call_soon(next_turn.set)
        await next_turn.wait()
        return during, batched.render().decode()

    during, after = asyncio.run(turn())
    assert 'status="200"} 0.0' in during  # still being added up
    assert after == expected
    batched.flush()  # nothing counted since: nothing added
    assert batched.render().decode() == expected


@pytest.mark.slow
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
