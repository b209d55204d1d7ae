"""`/api/v1/updates/stream` over real HTTP, as a dashboard's EventSource hears it
(httpx-sse): writes through another node and by the CLI in another process, resuming
with Last-Event-ID, and the bound on subscribers."""

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from httpx_sse import ServerSentEvent, connect_sse

from tests.conftest import Keys, run_cli
from tests.test_cli import serving

pytestmark = pytest.mark.slow  # starts servers
STREAM = "/api/v1/updates/stream"
WAIT = httpx.Timeout(10.0)  # no event in this long fails the test rather than hanging it


def _versions(events: Iterator[ServerSentEvent]) -> Iterator[dict]:
    for event in events:
        assert event.event == "version"
        data = json.loads(event.data)
        assert event.id == str(data["version"])
        yield data


def _post(base: str, keys: Keys, period: str) -> None:
    answer = httpx.post(
        f"{base}/api/v1/attendance",
        json={"course": "sro-management", "period": period, "completions": 5, "source_id": 1},
        headers={"authorization": f"Bearer {keys.write}"},
    )
    assert answer.status_code == 201, answer.text


def _first_status(http: httpx.Client, url: str) -> int:
    """The status of a stream request, and (200) its first event read."""
    with connect_sse(http, "GET", url) as source:
        if source.response.status_code == 200:
            assert next(iter(source.iter_sse())).event == "version"
        return source.response.status_code


def test_the_stream_hears_another_node_and_the_cli(
    database_url: str, keys: Keys, tmp_path: Path
) -> None:
    with (
        serving(tmp_path, database_url=database_url) as node_a,
        serving(tmp_path, database_url=database_url) as node_b,
        httpx.Client(timeout=WAIT) as http,
        connect_sse(http, "GET", f"{node_a}{STREAM}") as source,
    ):
        assert source.response.headers["content-type"].startswith("text/event-stream")
        assert source.response.headers["cache-control"] == "no-store"
        heard = _versions(source.iter_sse())
        first = next(heard)["version"]
        _post(node_b, keys, "2019-09")  # a write through the other node
        written = time.monotonic()
        after_post = next(heard)
        assert after_post["version"] > first
        assert time.monotonic() - written < 2.0  # "within a second", with room for CI
        figures = tmp_path / "more.csv"
        figures.write_text("course,period,completions,source_id\nsro-management,2019-10,7,1\n")
        run_cli("import", str(figures), cwd=tmp_path, database_url=database_url)
        after_import = next(heard)
        assert after_import["version"] > after_post["version"]
        # what the stream said is what the updates list says
        listed = httpx.get(f"{node_a}/api/v1/updates?since_version={first}").json()["items"]
        assert [i["version"] for i in listed] == [after_post["version"], after_import["version"]]


def test_last_event_id_resumes_with_a_summary(
    database_url: str, keys: Keys, tmp_path: Path
) -> None:
    with serving(tmp_path, database_url=database_url) as base, httpx.Client(timeout=WAIT) as http:
        with connect_sse(http, "GET", f"{base}{STREAM}") as source:
            seen = next(_versions(source.iter_sse()))["version"]
        _post(base, keys, "2019-09")
        _post(base, keys, "2019-10")
        resumed = {"last-event-id": str(seen)}
        with connect_sse(http, "GET", f"{base}{STREAM}", headers=resumed) as source:
            summary = next(_versions(source.iter_sse()))
        assert summary["since"] == seen
        assert summary["missed"] == summary["version"] - seen == 2
        missed = httpx.get(base + summary["updates"]).json()["items"]
        assert [i["period"] for i in missed] == ["2019-09/2019-09", "2019-10/2019-10"]
        current = {"last-event-id": str(summary["version"])}
        with connect_sse(http, "GET", f"{base}{STREAM}", headers=current) as source:
            assert next(_versions(source.iter_sse())) == {"version": summary["version"]}


def test_subscribers_beyond_the_bound_get_503(database_url: str, tmp_path: Path) -> None:
    bound = {"EVENTS_MAX_SUBSCRIBERS": "2"}
    with (
        serving(tmp_path, database_url=database_url, env=bound) as base,
        httpx.Client(timeout=WAIT) as http,
        connect_sse(http, "GET", f"{base}{STREAM}") as one,
        connect_sse(http, "GET", f"{base}{STREAM}") as two,
    ):
        # (kept: an iterator let go closes its response, and the server frees the place)
        heard = [one.iter_sse(), two.iter_sse()]
        assert [next(h).event for h in heard] == ["version", "version"]
        refused = httpx.get(f"{base}{STREAM}")
        assert refused.status_code == 503
        assert refused.headers["content-type"] == "application/problem+json"
        assert int(refused.headers["retry-after"]) > 0
        assert httpx.get(f"{base}/health").status_code == 200  # the worker still serves
        assert httpx.get(f"{base}/api/v1/years/2019").json()["total"] == 6730
        # the subscribers left: a place is free again
        for h in heard:
            h.close()  # the two subscribers leave: a place is free again, once the
        deadline = time.monotonic() + 10  # server has seen them go
        while (status := _first_status(http, f"{base}{STREAM}")) == 503:
            assert time.monotonic() < deadline, "the places were never freed"
        assert status == 200


def test_a_quiet_stream_sends_heartbeats(database_url: str, tmp_path: Path) -> None:
    quick = {"EVENTS_HEARTBEAT_SECONDS": "0.2"}
    with (
        serving(tmp_path, database_url=database_url, env=quick) as base,
        httpx.Client(timeout=WAIT) as http,
        http.stream("GET", f"{base}{STREAM}") as answer,
    ):
        lines = answer.iter_lines()
        assert next(lines).startswith("id: ")
        comments = []
        for line in lines:  # nothing is written meanwhile: only heartbeats come
            if line.startswith(":"):
                comments.append(line)
            if len(comments) == 2:
                break
        assert comments == [": heartbeat", ": heartbeat"]


def test_a_stopping_server_ends_its_streams(database_url: str, tmp_path: Path) -> None:
    with (
        serving(tmp_path, database_url=database_url) as base,
        httpx.Client(timeout=WAIT) as http,
        connect_sse(http, "GET", f"{base}{STREAM}") as source,
    ):
        heard = source.iter_sse()
        assert next(heard).event == "version"
        base.proc.terminate()  # SIGTERM, as a deployment stops a worker
        assert list(heard) == []  # the stream ends, cleanly, rather than hanging
        base.proc.wait(timeout=20)  # (uvicorn raises the signal again once it is done)
        port = base.rsplit(":", 1)[1]
        log = (tmp_path / f"serve-{port}.log").read_text()
        assert "Application shutdown complete" in log
