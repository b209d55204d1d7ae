"""Limits: body size (413), page size, import rows, and writes per key (429)."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.conftest import Keys
from tests.test_read_api import assert_problem

FIGURE = {"course": "basic-sro", "period": "2019-09/2019-12", "completions": 600, "source_id": 1}


@pytest.fixture
def tight(database_url: str) -> Iterator[TestClient]:
    """The app with small limits, on this test's database."""
    settings = Settings(
        database_url=database_url,
        max_body_bytes=2048,
        import_max_body_bytes=4096,
        import_max_rows=3,
        write_rate_limit=3,
    )
    app = create_app(settings)
    with TestClient(app) as client:
        yield client
    app.state.engine.dispose()


def test_a_body_over_the_limit_is_413_and_stores_nothing(tight: TestClient, keys: Keys) -> None:
    headers = {"Authorization": f"Bearer {keys.write}"}
    big = {**FIGURE, "note": "x" * 3000}
    assert_problem(tight.post("/api/v1/attendance", json=big, headers=headers), 413)

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while streaming
        yield b'{"course": "basic-sro", "note": "'
        for _ in range(10):
            yield b"y" * 500
        yield b'"}'

    streamed = tight.post(
        "/api/v1/attendance",
        content=chunks(),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert_problem(streamed, 413)
    assert tight.get("/api/v1/attendance", params={"year": 2019}).json()["total"] == 6


def test_imports_have_their_own_limits(tight: TestClient, keys: Keys) -> None:
    headers = {"Authorization": f"Bearer {keys.write}"}
    three = [{**FIGURE, "course": c} for c in ("basic-sro", "advanced-sro", "sro-management")]
    # 3 KB: over the ordinary limit, under the import limit.
    padded = [{**row, "note": "n" * 900} for row in three]
    assert tight.post("/api/v1/attendance/import", json=padded, headers=headers).status_code == 200
    too_many = [
        {**FIGURE, "course": "school-security-officer", "period": f"2017-0{m}"} for m in range(1, 5)
    ]
    problem = assert_problem(
        tight.post("/api/v1/attendance/import", json=too_many, headers=headers), 422
    )
    assert "at most 3 rows" in str(problem["detail"])
    huge = [{**row, "note": "n" * 2000} for row in three]
    assert_problem(tight.post("/api/v1/attendance/import", json=huge, headers=headers), 413)


def test_writes_per_key_are_limited_with_retry_after(tight: TestClient, keys: Keys) -> None:
    headers = {"Authorization": f"Bearer {keys.write}"}
    for n in range(3):
        course = {"slug": f"c{n}", "name": f"C{n}"}
        assert tight.post("/api/v1/courses", json=course, headers=headers).status_code == 201
    limited = tight.post("/api/v1/courses", json={"slug": "c9", "name": "C9"}, headers=headers)
    assert_problem(limited, 429)
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert_problem(tight.get("/api/v1/courses/c9"), 404)
    # Another key has its own allowance; reads are never limited.
    other = {"Authorization": f"Bearer {keys.admin}"}
    assert (
        tight.post("/api/v1/courses", json={"slug": "c9", "name": "C9"}, headers=other).status_code
        == 201
    )
    assert tight.get("/api/v1/courses").status_code == 200
