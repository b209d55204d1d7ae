"""Hostile input never gets a 500 or a stack trace: every error is a problem document."""

import json
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Keys
from tests.test_read_api import assert_problem

GET_ROUTES = [
    ("/api/v1/courses", ["limit", "cursor"]),
    ("/api/v1/courses/{x}", []),
    ("/api/v1/courses/{x}/series", ["as_of"]),
    ("/api/v1/years", ["as_of"]),
    ("/api/v1/years/{x}", ["as_of"]),
    ("/api/v1/attendance", ["course", "year", "year_from", "year_to", "as_of", "limit", "cursor"]),
    ("/api/v1/attendance/{x}", ["as_of"]),
    ("/api/v1/attendance/{x}/revisions", []),
    ("/api/v1/stats/totals", ["by", "course", "year_from", "year_to", "as_of"]),
    ("/api/v1/stats/changes", ["from", "to", "course", "as_of"]),
    ("/api/v1/stats/shares", ["year", "as_of"]),
    ("/api/v1/stats/records", ["year", "course", "as_of"]),
    ("/api/v1/sources", ["limit", "cursor"]),
    ("/api/v1/sources/{x}", []),
]

nasty = st.one_of(
    st.text(max_size=30),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["", "0", "-1", "2019", "1e9", "NaN", "2019-13-45", "%00", "' OR 1=1 --"]),
)


def assert_no_server_error(response: Any) -> None:
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    route=st.sampled_from(GET_ROUTES),
    segment=nasty,
    data=st.data(),
)
@pytest.mark.slow
def test_get_routes_survive_any_parameters(
    client: TestClient, route: tuple[str, list[str]], segment: str, data: Any
) -> None:
    path, names = route
    params = {n: data.draw(nasty) for n in data.draw(st.sets(st.sampled_from(names or ["x"])))}
    url = path.replace("{x}", quote(segment, safe="") or "x")
    assert_no_server_error(client.get(url, params=params))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=10,
)
figure_like = st.fixed_dictionaries(
    {},
    optional={
        "course": st.sampled_from(["basic-sro", "nope", ""]) | st.text(max_size=10),
        "period": st.sampled_from(["2019-09/2019-12", "2019", "2019-13", "x"])
        | st.text(max_size=15),
        "year": st.integers(-5, 10**6),
        "start_month": st.integers(-1, 14),
        "end_month": st.integers(-1, 14),
        "completions": st.integers(-5, 10**12) | st.text(max_size=5),
        "status": st.sampled_from(["final", "provisional", "x"]),
        "source_id": st.integers(-1, 10**12),
        "note": st.text(max_size=20) | st.none(),
    },
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@pytest.mark.slow
@given(body=figure_like | json_values, method=st.sampled_from(["POST", "PUT", "PATCH"]))
def test_figure_writes_survive_any_body(
    client: TestClient, keys: Keys, body: Any, method: str
) -> None:
    path = "/api/v1/attendance" if method == "POST" else "/api/v1/attendance/2"
    headers = {"Authorization": f"Bearer {keys.write}", "Content-Type": "application/json"}
    # json.dumps writes NaN and Infinity too, which a strict client would refuse to send.
    response = client.request(method, path, content=json.dumps(body), headers=headers)
    assert_no_server_error(response)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@pytest.mark.slow
@given(rows=st.lists(figure_like | json_values, max_size=5), csv=st.text(max_size=200))
def test_imports_survive_any_rows(client: TestClient, keys: Keys, rows: Any, csv: str) -> None:
    headers = {"Authorization": f"Bearer {keys.write}"}
    as_json = {**headers, "Content-Type": "application/json"}
    assert_no_server_error(
        client.post("/api/v1/attendance/import", content=json.dumps(rows), headers=as_json)
    )
    as_csv = {**headers, "Content-Type": "text/csv"}
    text = "course,period,completions,source_id\n" + csv
    assert_no_server_error(
        client.post("/api/v1/attendance/import", content=text.encode(), headers=as_csv)
    )


@pytest.mark.parametrize(
    "url",
    ["/api/v1/attendance?course=a%00b", "/api/v1/courses/a%00b", "/api/v1/years?as_of=2019%00"],
)
def test_nul_characters_in_urls_are_refused(client: TestClient, url: str) -> None:
    body = assert_problem(client.get(url), 422)
    assert body["errors"] == [{"field": "url", "message": "NUL characters are not allowed"}]


def test_nul_characters_in_bodies_are_refused(client: TestClient, keys: Keys) -> None:
    headers = {"Authorization": f"Bearer {keys.write}"}
    figure = {"course": "basic-sro", "period": "2019-09/2019-12", "completions": 6, "source_id": 1}
    assert_problem(
        client.post("/api/v1/attendance", json={**figure, "note": "a\x00b"}, headers=headers), 422
    )
    csv_body = "course,period,completions,source_id,note\nbasic-sro,2019-09/2019-12,6,1,a\x00b\n"
    response = client.post(
        "/api/v1/attendance/import",
        content=csv_body.encode(),
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert_problem(response, 422)
    assert client.get("/api/v1/attendance", params={"year": 2019}).json()["total"] == 6
