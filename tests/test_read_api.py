"""Read endpoints serve the seeded release, exactly in the contract's shapes."""

import pytest
from fastapi.testclient import TestClient

RELEASE = {
    # slug: (name, 2018 whole year, 2019 Jan–Aug)
    "basic-sro": ("Basic SRO", 2273, 2516),
    "advanced-sro": ("Advanced SRO", 531, 599),
    "crime-prevention-through-environmental-design": (
        "Crime Prevention through Environmental Design",
        98,
        165,
    ),
    "school-security-officer": ("School Security Officer", 64, 147),
    "sro-management": ("SRO Management", 113, 136),
    "adolescent-mental-health": ("Adolescent Mental Health", 871, 3167),
}
PROBLEM = "application/problem+json"


def assert_problem(response: object, status: int) -> dict[str, object]:
    """The response is an RFC 9457 problem with `status`; returns its body."""
    from httpx import Response

    assert isinstance(response, Response)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail", "instance"} <= body.keys()
    assert "Traceback" not in response.text
    return dict(body)


def test_courses_list_all_six_with_names(client: TestClient) -> None:
    body = client.get("/api/v1/courses").json()
    assert body["total"] == 6
    assert body["next_cursor"] is None
    assert {c["slug"]: c["name"] for c in body["items"]} == {
        slug: name for slug, (name, _, _) in RELEASE.items()
    }


def test_one_course_shape(client: TestClient) -> None:
    body = client.get("/api/v1/courses/basic-sro").json()
    assert body["slug"] == "basic-sro"
    assert body["name"] == "Basic SRO"
    assert body["description"] is None
    assert body["audience"] is None
    assert body["first_offered_year"] is None
    amh = client.get("/api/v1/courses/adolescent-mental-health").json()
    assert amh["first_offered_year"] == 2018


@pytest.mark.parametrize("slug", RELEASE)
def test_every_seeded_figure_is_served_with_its_period(client: TestClient, slug: str) -> None:
    _, y2018, y2019 = RELEASE[slug]
    body = client.get("/api/v1/attendance", params={"course": slug}).json()
    assert body["total"] == 2
    by_year = {f["year"]: f for f in body["items"]}
    whole, partial = by_year[2018], by_year[2019]
    assert (whole["completions"], whole["start_month"], whole["end_month"]) == (y2018, 1, 12)
    assert whole["period"] == "2018-01/2018-12"
    assert whole["period_label"] == "2018"
    assert (partial["completions"], partial["start_month"], partial["end_month"]) == (y2019, 1, 8)
    assert partial["period"] == "2019-01/2019-08"
    assert partial["period_label"] == "Jan–Aug 2019"
    assert partial["course"] == slug
    assert partial["status"] == "final"
    assert partial["revision"] == 1
    assert partial["recorded_at"].endswith("Z")
    assert client.get(f"/api/v1/attendance/{partial['id']}").json() == partial
    source = client.get(f"/api/v1/sources/{partial['source_id']}").json()
    assert source["published_on"] == "2019-09-16"


def test_attendance_filters(client: TestClient) -> None:
    assert client.get("/api/v1/attendance", params={"year": 2019}).json()["total"] == 6
    assert client.get("/api/v1/attendance", params={"year_from": 2019}).json()["total"] == 6
    assert client.get("/api/v1/attendance", params={"year_to": 2018}).json()["total"] == 6
    both = {"year_from": 2018, "year_to": 2019}
    assert client.get("/api/v1/attendance", params=both).json()["total"] == 12
    none = client.get("/api/v1/attendance", params={"year": 2020}).json()
    assert none == {"items": [], "total": 0, "next_cursor": None}
    one = client.get("/api/v1/attendance", params={"course": "basic-sro", "year": 2019}).json()
    assert [f["completions"] for f in one["items"]] == [2516]


def test_years_totals(client: TestClient) -> None:
    assert client.get("/api/v1/years").json() == {
        "items": [
            {
                "year": 2018,
                "total": 3950,
                "months_covered": 12,
                "complete": True,
                "months_label": "Jan–Dec",
            },
            {
                "year": 2019,
                "total": 6730,
                "months_covered": 8,
                "complete": False,
                "months_label": "Jan–Aug",
            },
        ],
        "total": 2,
        "next_cursor": None,
    }
    y2019 = client.get("/api/v1/years/2019").json()
    assert (y2019["year"], y2019["total"], y2019["months_covered"], y2019["complete"]) == (
        2019,
        6730,
        8,
        False,
    )
    assert {c["course"]: c["total"] for c in y2019["courses"]} == {
        slug: t for slug, (_, _, t) in RELEASE.items()
    }
    assert all(c["months_covered"] == 8 and not c["complete"] for c in y2019["courses"])
    y2018 = client.get("/api/v1/years/2018").json()
    assert (y2018["total"], y2018["months_covered"], y2018["complete"]) == (3950, 12, True)


def test_adolescent_mental_health_series(client: TestClient) -> None:
    assert client.get("/api/v1/courses/adolescent-mental-health/series").json() == {
        "course": "adolescent-mental-health",
        "name": "Adolescent Mental Health",
        "items": [
            {
                "year": 2018,
                "total": 871,
                "months_covered": 12,
                "complete": True,
                "months_label": "Jan–Dec",
            },
            {
                "year": 2019,
                "total": 3167,
                "months_covered": 8,
                "complete": False,
                "months_label": "Jan–Aug",
            },
        ],
        "total": 2,
        "next_cursor": None,
    }


@pytest.mark.parametrize("limit", [1, 5, 7, 12])
def test_pagination_walks_all_twelve_figures_once(client: TestClient, limit: int) -> None:
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        body = client.get("/api/v1/attendance", params=params).json()
        assert body["total"] == 12
        assert len(body["items"]) <= limit
        seen += [f["id"] for f in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == seen
    assert len(set(seen)) == 12
    assert pages == -(-12 // limit)


def test_sources(client: TestClient) -> None:
    body = client.get("/api/v1/sources").json()
    assert body["total"] == 1
    assert body["items"][0]["title"].startswith("National Organization Trains Record Numbers")
    assert body["items"][0]["published_on"] == "2019-09-16"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/courses/no-such-course",
        "/api/v1/courses/no-such-course/series",
        "/api/v1/attendance?course=no-such-course",
        "/api/v1/attendance/999",
        "/api/v1/sources/999",
        "/api/v1/years/1999",
        "/no/such/route",
    ],
)
def test_unknown_things_are_404_problems(client: TestClient, path: str) -> None:
    assert_problem(client.get(path), 404)


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/attendance?year=abc", "year"),
        ("/api/v1/attendance?year=20190", "year"),
        ("/api/v1/attendance?limit=0", "limit"),
        ("/api/v1/attendance?limit=1001", "limit"),
        ("/api/v1/attendance?limit=-1", "limit"),
        ("/api/v1/attendance?cursor=not-a-cursor", "cursor"),
        ("/api/v1/attendance?cursor=eyJhZnRlciI6IngifQ", "cursor"),
        ("/api/v1/attendance?year_from=2019&year_to=2018", "year_from"),
        ("/api/v1/attendance/99999999999999999999", "figure_id"),
        ("/api/v1/sources/0", "source_id"),
        ("/api/v1/courses?limit=1.5", "limit"),
    ],
)
def test_bad_query_values_are_422_problems(client: TestClient, path: str, field: str) -> None:
    body = assert_problem(client.get(path), 422)
    errors = body["errors"]
    assert isinstance(errors, list)
    assert field in [e["field"] for e in errors]


@pytest.mark.parametrize(
    "path", ["/api/v1/attendance/abc", "/api/v1/years/nineteen", "/api/v1/sources/-1"]
)
def test_ids_that_are_not_numbers_name_no_resource(client: TestClient, path: str) -> None:
    body = assert_problem(client.get(path), 404)
    assert body["detail"] == f"No resource at {path}."


def test_health_and_ready(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


def test_ready_is_503_on_an_unmigrated_database(tmp_path: object) -> None:
    from pathlib import Path

    from app.main import create_app
    from app.settings import Settings

    assert isinstance(tmp_path, Path)
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}"))
    with TestClient(app) as client:
        assert_problem(client.get("/ready"), 503)
        assert client.get("/health").status_code == 200
    app.state.engine.dispose()


def test_openapi_documents_every_operation(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]

    def has_example(schema: dict[str, object], depth: int = 0) -> bool:
        if "example" in schema or "examples" in schema:
            return True
        if depth > 3:
            return False
        ref = schema.get("$ref")
        if isinstance(ref, str):
            return has_example(schemas[ref.rsplit("/", 1)[1]], depth + 1)
        nested = [schema.get("items"), *dict(schema.get("properties") or {}).values()]
        return any(isinstance(s, dict) and has_example(s, depth + 1) for s in nested)

    operations = [(p, m, op) for p, item in spec["paths"].items() for m, op in item.items()]
    assert len(operations) >= 15
    for path, method, op in operations:
        where = f"{method.upper()} {path}"
        assert op.get("summary"), where
        assert op.get("description"), where
        success = [s for s in op["responses"] if s.startswith("2")]
        assert len(success) == 1, where
        if success[0] != "204":
            content = op["responses"][success[0]]["content"]
            ok = (
                content.get("application/json")
                or content.get("text/csv")
                or content.get("text/plain")
            )
            if ok is None:  # a binary file (Parquet) says so; SDMX-ML shows an example
                assert all(
                    c["schema"].get("format") == "binary" or "example" in c
                    for c in content.values()
                ), where
            else:
                assert "example" in ok or has_example(ok["schema"]), where
        errors = {s: r for s, r in op["responses"].items() if int(s) >= 400}
        if op.get("parameters"):
            assert "422" in errors, where
        for response in errors.values():
            assert list(response["content"]) == ["application/problem+json"], where
    assert spec["components"]["schemas"]["Problem"]["required"] == [
        "type",
        "title",
        "status",
        "detail",
        "instance",
    ]
    assert client.get("/docs").status_code == 200
