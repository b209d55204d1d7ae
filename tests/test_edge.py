"""The outermost layer: CORS as a browser meets it, the headers every answer carries,
and an error anywhere in front of FastAPI still answered as a problem."""

import asyncio
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api.cors import CorsPolicy
from app.api.edge import Edge
from app.api.observability import Metrics
from app.main import create_app
from app.settings import Settings

ORIGIN = "https://dash.example"


def preflight(client: TestClient, origin: str, method: str, headers: str | None = None) -> Any:
    asked = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        asked["Access-Control-Request-Headers"] = headers
    return client.options("/api/v1/years/2019", headers=asked)


def test_a_preflight_allows_reads_with_the_headers_a_dashboard_sends(client: TestClient) -> None:
    allowed = preflight(client, ORIGIN, "GET", "If-None-Match, Accept")
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "*"
    assert allowed.headers["access-control-allow-methods"] == "GET, HEAD, OPTIONS"
    assert allowed.headers["access-control-max-age"] == "600"
    assert allowed.headers["x-content-type-options"] == "nosniff"  # the edge's own too


@pytest.mark.parametrize(
    ("method", "headers", "refused"),
    [
        ("POST", None, "method"),
        ("GET", "Authorization", "headers"),
        ("DELETE", "X-Key", "method, headers"),
    ],
)
def test_a_preflight_for_a_write_or_a_key_is_refused_by_name(
    client: TestClient, method: str, headers: str | None, refused: str
) -> None:
    """No page of another origin may send a key: writes stay with curl and the console."""
    answer = preflight(client, ORIGIN, method, headers)
    assert answer.status_code == 400
    assert answer.text == f"Disallowed CORS {refused}"
    assert "access-control-allow-origin" not in answer.headers


def test_configured_origins_are_the_only_ones_named(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, cors_origins=[ORIGIN]))
    with TestClient(app) as client:
        ours = preflight(client, ORIGIN, "GET")
        theirs = preflight(client, "https://other.example", "GET")
        read = client.get("/api/v1/years/2019", headers={"Origin": ORIGIN})
    app.state.engine.dispose()
    assert (ours.status_code, ours.headers["access-control-allow-origin"]) == (200, ORIGIN)
    assert (theirs.status_code, theirs.text) == (400, "Disallowed CORS origin")
    assert read.headers["access-control-allow-origin"] == ORIGIN
    assert read.headers["access-control-expose-headers"] == (
        "ETag, Location, Last-Modified, Link, Retry-After, X-Request-ID"
    )
    assert read.json()["total"] == 6730


def test_every_answer_varies_by_origin_beside_its_own_vary(client: TestClient) -> None:
    """A cache between a browser and us must not hand one origin's answer to another."""
    for path in ("/api/v1/years/2019", "/api/v1/years/2019.csv", "/dashboard", "/health"):
        answer = client.get(path, headers={"Origin": ORIGIN})
        assert "Origin" in answer.headers.get_list("vary"), path
    api = client.get("/api/v1/years/2019").headers
    assert api.get_list("vary") == ["Accept, Accept-Encoding", "Origin"]
    assert (
        api["vary"] == "Accept, Accept-Encoding, Origin"
    )  # as one list, which it is (RFC 9110 §5.3)


def test_an_error_in_front_of_fastapi_is_a_problem_with_the_edge_headers() -> None:
    """The layers in front of FastAPI's own entry have no error layer of FastAPI's: the
    edge answers a 500 problem itself, and counts it."""

    async def broken(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("a bug")

    metrics = Metrics()
    edge = Edge(broken, cors=CorsPolicy(["*"]), metrics=metrics, access_log=False)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/api/v1/years", "headers": []}
    asyncio.run(edge(scope, receive, send))
    start, body = sent
    headers = dict(start["headers"])
    assert start["status"] == 500
    assert headers[b"content-type"] == b"application/problem+json"
    assert b"x-request-id" in headers
    assert headers[b"x-frame-options"] == b"DENY"
    problem = json.loads(body["body"])
    assert problem["detail"] == "The server failed to answer; the error was logged."
    assert "a bug" not in body["body"].decode()  # never the error itself
    assert 'route="unmatched",status="500"} 1.0' in metrics.render().decode()
