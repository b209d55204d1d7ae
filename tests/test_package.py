"""The whole dataset moves between instances as a Frictionless Data Package: export
from one database, import into an empty one (SQLite or PostgreSQL), and every GET
answer, revisions and `as_of` included, is the same."""

import csv
import io
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.conftest import CLI, Databases, on_postgres, run_cli, sqlite_url
from tests.test_cli import serving
from tests.test_conformance import bearer

pytestmark = pytest.mark.slow  # processes, browsers or seconds of work: not in the fast lane

FRICTIONLESS = str(Path(sys.executable).with_name("frictionless"))


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def fill(url: str, folder: Path) -> tuple[str, list[str]]:
    """A seeded database with a history: posts, a revision, a delete, new course and
    source, an upsert import; its admin key and moments between the writes."""
    run_cli("seed", cwd=folder, database_url=url)
    out = run_cli(
        "keys", "create", "--name", "boss", "--scope", "write", "--scope", "admin",
        cwd=folder, database_url=url,
    )  # fmt: skip
    key = out.splitlines()[-1]
    moments = [_now()]
    app = create_app(Settings(database_url=url))
    with TestClient(app) as client:
        auth = bearer(key)
        figure = {"course": "basic-sro", "period": "2018-01/2018-08", "completions": 1500}
        assert client.post("/api/v1/attendance", json={**figure, "source_id": 1}, headers=auth)
        moments.append(_now())
        etag = client.get("/api/v1/attendance/2").headers["etag"]
        revised = client.patch(
            "/api/v1/attendance/2",
            json={"completions": 2520, "note": "=corrected"},
            headers={**auth, "If-Match": etag},
        )
        assert revised.status_code == 200, revised.text
        course = {"slug": "new-course", "name": "New course", "first_offered_year": 2019}
        assert client.post("/api/v1/courses", json=course, headers=auth).status_code == 201
        source = {"title": "Spring report", "publisher": "NASRO", "published_on": "2019-06-01"}
        assert client.post("/api/v1/sources", json=source, headers=auth).status_code == 201
        posted = client.post(
            "/api/v1/attendance",
            json={"course": "new-course", "period": "2019-01/2019-03", "completions": 40,
                  "source_id": 2},
            headers=auth,
        )  # fmt: skip
        assert posted.status_code == 201, posted.text
        gone = posted.json()["id"]
        assert client.delete(f"/api/v1/attendance/{gone}", headers=auth).status_code == 204
        moments.append(_now())
        upsert = (
            "course,period,completions,source_id\n"
            "new-course,2019-04/2019-06,55,2\n"
            "sro-management,2019-01/2019-08,140,1\n"
        )
        answer = client.post(
            "/api/v1/attendance/import?mode=upsert",
            content=upsert,
            headers={**auth, "Content-Type": "text/csv"},
        )
        assert answer.json()["created"] == 1, answer.text
        # Vintages: a revision citing a later publication, and a source with no date.
        for source in (
            {"title": "Annual report 2019", "publisher": "NASRO", "published_on": "2020-01-15"},
            {"title": "Typed in from the register", "publisher": "NASRO"},
        ):
            assert client.post("/api/v1/sources", json=source, headers=auth).status_code == 201
        for figure_id, completions, source_id in ((4, 600, 3), (6, 170, 4)):
            revised = client.patch(
                f"/api/v1/attendance/{figure_id}",
                json={"completions": completions, "source_id": source_id},
                headers=auth,
            )
            assert revised.status_code == 200, revised.text
    app.state.engine.dispose()
    return key, moments


def urls(client: TestClient, moments: list[str]) -> list[str]:
    """Every list, year, statistic, figure and revision history, and `as_of` answers."""
    found = [
        "/api/v1/courses",
        "/api/v1/sources",
        "/api/v1/years",
        "/api/v1/attendance?limit=1000",
        "/api/v1/stats/changes?from=2018&to=2019",
        "/api/v1/stats/rolling?end=2019-08",
        "/api/v1/stats/shares?year=2019",
        "/api/v1/stats/records",
        "/api/v1/stats/totals?by=course_year",
        "/api/v1/audit?limit=1000",
        "/api/v1/data/figures.csv",
        "/api/v1/data/figure_revisions.csv",
    ]
    for c in client.get("/api/v1/courses").json()["items"]:
        found += [f"/api/v1/courses/{c['slug']}", f"/api/v1/courses/{c['slug']}/series"]
    for y in client.get("/api/v1/years").json()["items"]:
        found.append(f"/api/v1/years/{y['year']}")
    # Figure ids ever used: the live figures, and every figure with revisions (deleted
    # ones included).
    figures = csv.DictReader(io.StringIO(client.get("/api/v1/data/figures.csv").text))
    revisions = csv.DictReader(io.StringIO(client.get("/api/v1/data/figure_revisions.csv").text))
    ids = {int(r["id"]) for r in figures} | {int(r["figure_id"]) for r in revisions}
    for figure_id in sorted(ids):
        found += [f"/api/v1/attendance/{figure_id}", f"/api/v1/attendance/{figure_id}/revisions"]
    today = datetime.now(UTC).date().isoformat()
    for day in ("2019-09-16", "2020-01-15", today):
        found += [
            f"/api/v1/years/2019?vintage={day}",
            f"/api/v1/attendance?limit=1000&vintage={day}",
            f"/api/v1/stats/changes?from=2018&to=2019&vintage={day}",
        ]
    for moment in moments:
        found += [
            f"/api/v1/years/2019?as_of={moment}",
            f"/api/v1/attendance?limit=1000&as_of={moment}",
            f"/api/v1/stats/changes?from=2018&to=2019&as_of={moment}",
            f"/api/v1/stats/rolling?end=2019-08&as_of={moment}",
            f"/api/v1/attendance/2?as_of={moment}",
        ]
    return found


DIRECTIONS = ["sqlite-to-sqlite", "sqlite-to-postgresql", "postgresql-to-sqlite"]


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_a_package_moves_the_whole_dataset_get_by_get(
    direction: str, databases: Databases, tmp_path: Path
) -> None:
    if "postgresql" in direction and not on_postgres():
        pytest.skip("needs TEST_DATABASE_URL (PostgreSQL)")
    source = (
        databases.new() if direction.startswith("postgresql") else sqlite_url(tmp_path / "a.db")
    )
    target = databases.new() if direction.endswith("postgresql") else sqlite_url(tmp_path / "b.db")
    key, moments = fill(source, tmp_path)

    folder = tmp_path / "package"
    out = run_cli("export", "--package", str(folder), cwd=tmp_path, database_url=source)
    assert "7 courses" in out
    assert "4 sources" in out
    validated = subprocess.run(
        [FRICTIONLESS, "validate", str(folder / "datapackage.json")],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "INVALID" not in validated.stdout

    restored = run_cli("import", str(folder), cwd=tmp_path, database_url=target)
    # Revision rows: the first and second vintage of the two revised figures, the first
    # vintage and the delete of the deleted one; the other figures' one vintage is theirs.
    assert restored.startswith("restored 4 sources, 7 courses, 14 figures, 10 figure_revisions")
    # The admin key is the source's: keys are credentials of one instance, not data.
    target_key = run_cli(
        "keys", "create", "--name", "boss", "--scope", "write", "--scope", "admin",
        cwd=tmp_path, database_url=target,
    ).splitlines()[-1]  # fmt: skip

    apps = [create_app(Settings(database_url=u)) for u in (source, target)]
    with TestClient(apps[0]) as before, TestClient(apps[1]) as after:
        compared = urls(before, moments)
        deleted = 14  # new-course's Jan–Mar 2019, posted then deleted: its revisions stay
        assert len(compared) > 60
        for url in compared:
            a = before.get(url, headers=bearer(key))
            b = after.get(url, headers=bearer(target_key))
            assert a.status_code == b.status_code, (url, a.text, b.text)
            assert a.status_code == (404 if url == f"/api/v1/attendance/{deleted}" else 200), url
            assert a.content == b.content, url
        # What the comparison covers is what users see.
        note = after.get("/api/v1/attendance/2/revisions").json()["items"][-1]["note"]
        assert note == "=corrected"
        assert after.get("/api/v1/stats/rolling?end=2019-08&course=basic-sro").json()[
            "items"
        ][0]["total"] == 3293  # fmt: skip
        # New writes on the target get fresh ids after the restored ones (15 is the last).
        figure = {"course": "another-one", "period": "2019-01", "completions": 1, "source_id": 2}
        course = {"slug": "another-one", "name": "Another one"}
        assert after.post("/api/v1/courses", json=course, headers=bearer(target_key)).is_success
        made = after.post("/api/v1/attendance", json=figure, headers=bearer(target_key))
        assert made.status_code == 201, made.text
        assert made.json()["id"] == 16
    for app in apps:
        app.state.engine.dispose()


def test_a_package_is_restored_into_an_empty_database_only(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "a.db")
    run_cli("seed", cwd=tmp_path, database_url=url)
    run_cli("export", "--package", str(tmp_path / "p"), cwd=tmp_path, database_url=url)
    refused = subprocess.run(
        [CLI, "import", str(tmp_path / "p")],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 2
    assert "already holds sources" in refused.stderr
    assert "empty database only" in refused.stderr


def test_the_public_dataset_loads_from_one_url(database_url: str, tmp_path: Path) -> None:
    pandas = pytest.importorskip("pandas")
    with serving(tmp_path, database_url=database_url) as base:
        descriptor = httpx.get(f"{base}/api/v1/datapackage.json").json()
        assert [r["name"] for r in descriptor["resources"]] == [
            "sources",
            "courses",
            "figures",
            "figure_revisions",
        ]  # the audit log is not public
        assert descriptor["resources"][2]["path"] == "data/figures.csv"
        figures = pandas.read_csv(f"{base}/api/v1/data/figures.csv")
        assert len(figures) == 12
        assert str(figures["completions"].dtype) == "int64"
        assert figures.loc[figures.id == 2, "completions"].item() == 2516
        # frictionless reads the descriptor and every table from the server.
        validated = subprocess.run(
            [FRICTIONLESS, "validate", f"{base}/api/v1/datapackage.json"],
            capture_output=True, text=True, check=False, timeout=300,
        )  # fmt: skip
        assert validated.returncode == 0, validated.stdout + validated.stderr
        assert validated.stdout.count("VALID") == 4
        response = httpx.get(f"{base}/api/v1/data/courses.csv")
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert response.headers["etag"]
        again = httpx.get(
            f"{base}/api/v1/data/courses.csv", headers={"If-None-Match": response.headers["etag"]}
        )
        assert again.status_code == 304
        assert httpx.get(f"{base}/api/v1/data/audit_log.csv").status_code in (404, 422)
