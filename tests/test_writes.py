"""Admins' writes over HTTP, with keys made by the real CLI: auth, rules, revisions,
as_of, If-Match, idempotency, import and the audit log."""

import json
import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.conftest import Keys, run_cli
from tests.test_read_api import assert_problem


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


SEP_DEC = {"course": "basic-sro", "period": "2019-09/2019-12", "completions": 600, "source_id": 1}


def state(client: TestClient) -> dict[str, Any]:
    """What a user sees: every figure and every year's totals."""
    return {
        "figures": client.get("/api/v1/attendance").json(),
        "years": client.get("/api/v1/years").json(),
        "y2019": client.get("/api/v1/years/2019").json(),
    }


WRITES = [
    ("POST", "/api/v1/courses", {"slug": "new-course", "name": "New"}),
    ("PATCH", "/api/v1/courses/basic-sro", {"description": "x"}),
    ("DELETE", "/api/v1/courses/basic-sro", None),
    (
        "POST",
        "/api/v1/sources",
        {"title": "T", "publisher": "P", "published_on": "2020-01-01"},
    ),
    ("POST", "/api/v1/attendance", SEP_DEC),
    ("PUT", "/api/v1/attendance/2", {**SEP_DEC, "period": "2019-01/2019-08"}),
    ("PATCH", "/api/v1/attendance/2", {"completions": 2520}),
    ("DELETE", "/api/v1/attendance/2", None),
    ("POST", "/api/v1/attendance/import", [SEP_DEC]),
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
@pytest.mark.parametrize("auth", ["none", "not-bearer", "garbage", "unknown", "revoked"])
def test_writes_without_a_valid_key_are_401(
    client: TestClient, keys: Keys, method: str, path: str, body: Any, auth: str
) -> None:
    before = state(client)
    headers = {
        "none": {},
        "not-bearer": {"Authorization": f"Basic {keys.write}"},
        "garbage": bearer("not-a-key"),
        "unknown": bearer(keys.write[:-4] + "AAAA"),
        "revoked": bearer(keys.revoked),
    }[auth]
    response = client.request(method, path, json=body, headers=headers)
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert state(client) == before


@pytest.mark.parametrize("auth", ["none", "revoked"])
def test_audit_needs_a_key(client: TestClient, keys: Keys, auth: str) -> None:
    headers = {} if auth == "none" else bearer(keys.revoked)
    assert_problem(client.get("/api/v1/audit", headers=headers), 401)


def test_audit_needs_the_admin_scope(client: TestClient, keys: Keys) -> None:
    body = assert_problem(client.get("/api/v1/audit", headers=bearer(keys.write)), 403)
    assert "admin" in str(body["detail"])
    assert client.get("/api/v1/audit", headers=bearer(keys.admin)).status_code == 200


def test_admin_keys_can_write(client: TestClient, keys: Keys) -> None:
    response = client.post("/api/v1/attendance", json=SEP_DEC, headers=bearer(keys.admin))
    assert response.status_code == 201


def test_a_sep_dec_figure_completes_basic_sro_2019(client: TestClient, keys: Keys) -> None:
    response = client.post("/api/v1/attendance", json=SEP_DEC, headers=bearer(keys.write))
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/api/v1/attendance/{body['id']}"
    assert (body["period"], body["period_label"], body["completions"]) == (
        "2019-09/2019-12",
        "Sep–Dec 2019",
        600,
    )
    assert body["revision"] == 1
    assert client.get(response.headers["location"]).json() == body
    series = client.get("/api/v1/courses/basic-sro/series").json()["items"]
    assert series[1] == {
        "year": 2019,
        "total": 3116,
        "months_covered": 12,
        "complete": True,
        "months_label": "Jan–Dec",
    }


def test_a_whole_year_figure_supersedes_jan_aug(client: TestClient, keys: Keys) -> None:
    whole = {"course": "basic-sro", "year": 2019, "completions": 3800, "source_id": 1}
    response = client.post("/api/v1/attendance", json=whole, headers=bearer(keys.write))
    assert response.status_code == 201, response.text
    assert response.json()["period"] == "2019-01/2019-12"
    year = client.get("/api/v1/years/2019").json()
    basic = next(c for c in year["courses"] if c["course"] == "basic-sro")
    assert (basic["total"], basic["months_covered"], basic["complete"]) == (3800, 12, True)
    assert year["total"] == 6730 - 2516 + 3800


@pytest.mark.parametrize(
    ("body", "status", "rule", "named"),
    [
        # R1: the same course and period again.
        ({**SEP_DEC, "period": "2019-01/2019-08"}, 409, "R1", "figure 2"),
        # R2: Jun–Dec partly overlaps Jan–Aug.
        ({**SEP_DEC, "period": "2019-06/2019-12"}, 409, "R2", "figure 2"),
        # R3: a nested figure larger than the one containing it.
        ({**SEP_DEC, "period": "2019-01/2019-04", "completions": 3000}, 422, "R3", "figure 2"),
        # R3 the other way: a container smaller than what it holds.
        ({**SEP_DEC, "period": "2019", "completions": 2000}, 422, "R3", "figure 2"),
        # R4: a period that has not ended.
        ({**SEP_DEC, "period": "2099-01/2099-03"}, 422, "R4", "current month"),
        # R4: before the course existed.
        (
            {**SEP_DEC, "course": "adolescent-mental-health", "period": "2017"},
            422,
            "R4",
            "first offered in 2018",
        ),
    ],
)
def test_rules_refuse_and_store_nothing(
    client: TestClient, keys: Keys, body: dict[str, Any], status: int, rule: str, named: str
) -> None:
    before = state(client)
    response = client.post("/api/v1/attendance", json=body, headers=bearer(keys.write))
    problem = assert_problem(response, status)
    assert named in str(problem["detail"])
    assert any(str(e["message"]).startswith(f"{rule}:") for e in problem["errors"])  # type: ignore[union-attr]
    assert state(client) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**SEP_DEC, "completions": -1}, "completions"),
        ({**SEP_DEC, "completions": 10_000_001}, "completions"),
        ({**SEP_DEC, "completions": "many"}, "completions"),
        ({**SEP_DEC, "period": "2019-08/2019-01"}, "body"),
        ({**SEP_DEC, "period": "2019-11/2020-02"}, "body"),
        ({**SEP_DEC, "status": "guess"}, "status"),
        ({**SEP_DEC, "course": "no-such-course"}, "course"),
        ({**SEP_DEC, "source_id": 99}, "source_id"),
        ({**SEP_DEC, "extra": 1}, "extra"),
        ({"course": "basic-sro", "completions": 5, "source_id": 1}, "body"),
    ],
)
def test_bad_payloads_are_422_and_store_nothing(
    client: TestClient, keys: Keys, body: dict[str, Any], field: str
) -> None:
    before = state(client)
    response = client.post("/api/v1/attendance", json=body, headers=bearer(keys.write))
    problem = assert_problem(response, 422)
    assert field in [e["field"] for e in problem["errors"]]  # type: ignore[union-attr]
    assert state(client) == before


def test_malformed_json_is_a_422_problem(client: TestClient, keys: Keys) -> None:
    response = client.post(
        "/api/v1/attendance",
        content=b"{not json",
        headers={**bearer(keys.write), "Content-Type": "application/json"},
    )
    assert_problem(response, 422)


def test_if_match_guards_against_lost_updates(client: TestClient, keys: Keys) -> None:
    first = client.get("/api/v1/attendance/2")
    etag = first.headers["etag"]
    assert etag == '"2-1"'
    ok = client.patch(
        "/api/v1/attendance/2",
        json={"completions": 2520},
        headers={**bearer(keys.write), "If-Match": etag},
    )
    assert ok.status_code == 200, ok.text
    assert ok.headers["etag"] == '"2-2"'
    stale = client.patch(
        "/api/v1/attendance/2",
        json={"completions": 2530},
        headers={**bearer(keys.write), "If-Match": etag},
    )
    assert_problem(stale, 412)
    stale_delete = client.delete(
        "/api/v1/attendance/2", headers={**bearer(keys.write), "If-Match": etag}
    )
    assert_problem(stale_delete, 412)
    assert client.get("/api/v1/attendance/2").json()["completions"] == 2520


def test_idempotency_key_replays_and_refuses_another_body(client: TestClient, keys: Keys) -> None:
    headers = {**bearer(keys.write), "Idempotency-Key": "sep-dec-2019"}
    first = client.post("/api/v1/attendance", json=SEP_DEC, headers=headers)
    assert first.status_code == 201
    again = client.post("/api/v1/attendance", json=SEP_DEC, headers=headers)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    assert client.get("/api/v1/attendance", params={"year": 2019}).json()["total"] == 7
    other = client.post("/api/v1/attendance", json={**SEP_DEC, "completions": 601}, headers=headers)
    problem = assert_problem(other, 422)
    assert "Idempotency-Key" in str(problem["detail"])
    # Without the key the same body is a second POST: R1 refuses it.
    assert_problem(client.post("/api/v1/attendance", json=SEP_DEC, headers=bearer(keys.write)), 409)


def test_revisions_and_as_of(client: TestClient, keys: Keys) -> None:
    # The moment the last seeded figure was recorded: everything seeded, nothing revised.
    as_of = client.get("/api/v1/attendance/12").json()["recorded_at"]
    time.sleep(0.01)
    revised = client.patch(
        "/api/v1/attendance/2",
        json={"completions": 2520, "note": "Corrected after an audit."},
        headers=bearer(keys.write),
    ).json()
    assert (revised["revision"], revised["completions"]) == (2, 2520)

    revisions = client.get("/api/v1/attendance/2/revisions").json()["items"]
    assert [
        (r["revision"], r["action"], r["completions"], r["recorded_by"]) for r in revisions
    ] == [
        (1, "create", 2516, "seed"),
        (2, "update", 2520, "office"),
    ]
    assert revisions[1]["note"] == "Corrected after an audit."
    assert revisions[1]["source_id"] == 1

    old = client.get("/api/v1/attendance/2", params={"as_of": as_of}).json()
    assert (old["completions"], old["revision"]) == (2516, 1)
    assert client.get("/api/v1/attendance/2").json()["completions"] == 2520
    y_old = client.get("/api/v1/years/2019", params={"as_of": as_of}).json()
    assert y_old["total"] == 6730
    assert client.get("/api/v1/years/2019").json()["total"] == 6734
    changes_old = client.get(
        "/api/v1/stats/changes", params={"from": 2018, "to": 2019, "as_of": as_of}
    ).json()
    assert changes_old["all_courses"]["to_total"] == 6730
    series_old = client.get("/api/v1/courses/basic-sro/series", params={"as_of": as_of}).json()[
        "items"
    ]
    assert series_old[1]["total"] == 2516
    listed = client.get("/api/v1/attendance", params={"as_of": as_of, "year": 2019}).json()
    assert {f["id"]: f["completions"] for f in listed["items"]}[2] == 2516
    # Before anything was recorded there was nothing.
    empty = client.get("/api/v1/attendance", params={"as_of": "2000-01-01"}).json()
    assert empty["total"] == 0


def test_delete_keeps_history(client: TestClient, keys: Keys) -> None:
    created = client.post("/api/v1/attendance", json=SEP_DEC, headers=bearer(keys.write)).json()
    fid = created["id"]
    time.sleep(0.01)
    response = client.delete(f"/api/v1/attendance/{fid}", headers=bearer(keys.write))
    assert response.status_code == 204
    assert_problem(client.get(f"/api/v1/attendance/{fid}"), 404)
    assert client.get("/api/v1/years/2019").json()["courses"][0]["total"] == 2516
    revisions = client.get(f"/api/v1/attendance/{fid}/revisions").json()["items"]
    assert [r["action"] for r in revisions] == ["create", "delete"]
    then = client.get(f"/api/v1/attendance/{fid}", params={"as_of": created["recorded_at"]})
    assert then.status_code == 200
    assert then.json()["completions"] == 600
    series_then = client.get(
        "/api/v1/courses/basic-sro/series", params={"as_of": created["recorded_at"]}
    ).json()["items"]
    assert series_then[1]["total"] == 3116


def test_bad_as_of_is_a_422(client: TestClient) -> None:
    problem = assert_problem(client.get("/api/v1/years", params={"as_of": "yesterday"}), 422)
    assert problem["errors"] == [{"field": "as_of", "message": "not an ISO 8601 date or timestamp"}]


def test_courses_and_sources_writes(client: TestClient, keys: Keys) -> None:
    course = {"slug": "threat-assessment", "name": "Threat Assessment", "first_offered_year": 2019}
    made = client.post("/api/v1/courses", json=course, headers=bearer(keys.write))
    assert made.status_code == 201
    assert made.headers["location"] == "/api/v1/courses/threat-assessment"
    assert_problem(client.post("/api/v1/courses", json=course, headers=bearer(keys.write)), 409)
    bad_slug = {**course, "slug": "Threat Assessment"}
    assert_problem(client.post("/api/v1/courses", json=bad_slug, headers=bearer(keys.write)), 422)
    patched = client.patch(
        "/api/v1/courses/threat-assessment",
        json={"description": "Identifying threats."},
        headers=bearer(keys.write),
    ).json()
    assert patched["description"] == "Identifying threats."
    assert patched["name"] == "Threat Assessment"
    # A course with figures cannot go; one without can.
    assert_problem(client.delete("/api/v1/courses/basic-sro", headers=bearer(keys.write)), 409)
    assert client.get("/api/v1/courses/basic-sro").status_code == 200
    gone = client.delete("/api/v1/courses/threat-assessment", headers=bearer(keys.write))
    assert gone.status_code == 204
    assert_problem(client.get("/api/v1/courses/threat-assessment"), 404)

    source = {
        "title": "NASRO annual report 2019",
        "publisher": "NASRO",
        "published_on": "2020-03-01",
        "url": "https://example.org/report",
    }
    made_source = client.post("/api/v1/sources", json=source, headers=bearer(keys.write))
    assert made_source.status_code == 201
    assert made_source.json()["id"] == 2
    assert_problem(client.post("/api/v1/sources", json=source, headers=bearer(keys.write)), 409)


def test_import_with_one_bad_row_stores_nothing_and_names_it(
    client: TestClient, keys: Keys
) -> None:
    before = state(client)
    rows = [
        SEP_DEC,
        {**SEP_DEC, "course": "advanced-sro", "completions": 200},
        {**SEP_DEC, "course": "sro-management", "period": "2019-06/2019-12"},  # R2
        {**SEP_DEC, "course": "advanced-sro"},  # R1 against row 2
    ]
    response = client.post("/api/v1/attendance/import", json=rows, headers=bearer(keys.write))
    problem = assert_problem(response, 422)
    errors = problem["errors"]
    assert isinstance(errors, list)
    assert [(e["row"], e["field"]) for e in errors] == [(3, "period"), (4, "period")]
    assert errors[0]["message"].startswith("R2:")
    assert "repeats row 2" in errors[1]["message"]
    assert "nothing was stored" in str(problem["detail"])
    assert state(client) == before


def test_import_checks_rows_against_each_other_for_r3(client: TestClient, keys: Keys) -> None:
    rows = [
        {**SEP_DEC, "period": "2019-09/2019-10", "completions": 400},
        {**SEP_DEC, "period": "2019-11/2019-12", "completions": 300},
        {**SEP_DEC, "completions": 600},  # Sep–Dec holds 700 already
    ]
    response = client.post("/api/v1/attendance/import", json=rows, headers=bearer(keys.write))
    problem = assert_problem(response, 422)
    assert [e["row"] for e in problem["errors"]] == [3]  # type: ignore[union-attr]


def test_an_import_into_empty_course_years_names_each_broken_rule(
    client: TestClient, keys: Keys
) -> None:
    """Course-years with no stored figures are checked all at once (one sorted sweep);
    a broken rule still sends its course-year row by row to name the row at fault."""
    headers = {**bearer(keys.write), "Content-Type": "text/csv"}
    good = (
        "course,period,completions,source_id\n"
        "basic-sro,2017,1000,1\n"
        "basic-sro,2017-01/2017-06,400,1\n"
        "basic-sro,2016-01/2016-06,400,1\n"
        "advanced-sro,2017,100,1\n"
        "advanced-sro,2017-01/2017-03,80,1\n"
    )
    bad = (
        "basic-sro,2017-01/2017-06,300,1\n"  # row 6: R1, repeats row 2
        "basic-sro,2016-04/2016-09,100,1\n"  # row 7: R2 with row 3
        "advanced-sro,2017-04/2017-06,30,1\n"  # row 8: R3, 80 + 30 > 100
        f"basic-sro,{date.today().year + 1}-01,5,1\n"  # row 9: R4, in the future
        "adolescent-mental-health,2017,5,1\n"  # row 10: R4, before it was first offered
    )
    before = state(client)
    refused = client.post("/api/v1/attendance/import", content=good + bad, headers=headers)
    errors = assert_problem(refused, 422)["errors"]
    assert isinstance(errors, list)
    assert [(e["row"], e["field"], e["message"][:3]) for e in errors] == [
        (6, "period", "R1:"),
        (7, "period", "R2:"),
        (8, "completions", "R3:"),
        (9, "period", "R4:"),
        (10, "year", "R4:"),
    ]
    assert "repeats row 2" in errors[0]["message"]
    assert "first offered in 2018" in errors[4]["message"]
    assert state(client) == before

    stored = client.post("/api/v1/attendance/import", content=good, headers=headers)
    assert stored.json()["created"] == 5
    y2017 = client.get("/api/v1/years/2017").json()
    assert (y2017["total"], y2017["months_covered"], y2017["complete"]) == (1100, 12, True)
    y2016 = client.get("/api/v1/years/2016").json()
    assert (y2016["total"], y2016["months_covered"], y2016["complete"]) == (400, 6, False)


def test_csv_upsert_reports_created_revised_unchanged(client: TestClient, keys: Keys) -> None:
    csv_body = (
        "course,period,completions,status,note,source_id\n"
        "basic-sro,2019-01/2019-08,2516,final,,1\n"  # unchanged
        "advanced-sro,2019-01/2019-08,600,final,Recounted,1\n"  # revised
        "basic-sro,2019-09/2019-12,600,provisional,,1\n"  # created
    )
    headers = {**bearer(keys.write), "Content-Type": "text/csv"}
    strict = client.post("/api/v1/attendance/import", content=csv_body, headers=headers)
    assert_problem(strict, 422)
    response = client.post(
        "/api/v1/attendance/import", params={"mode": "upsert"}, content=csv_body, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "rows": 3,
        "created": 1,
        "revised": 1,
        "unchanged": 1,
        "dry_run": False,
    }
    advanced = client.get(
        "/api/v1/attendance", params={"course": "advanced-sro", "year": 2019}
    ).json()["items"][0]
    assert (advanced["completions"], advanced["note"], advanced["revision"]) == (
        600,
        "Recounted",
        2,
    )
    assert client.get("/api/v1/courses/basic-sro/series").json()["items"][1]["total"] == 3116
    again = client.post(
        "/api/v1/attendance/import", params={"mode": "upsert"}, content=csv_body, headers=headers
    )
    assert again.json() == {
        "rows": 3,
        "created": 0,
        "revised": 0,
        "unchanged": 3,
        "dry_run": False,
    }


def test_audit_log_lists_each_write_with_the_key_name(client: TestClient, keys: Keys) -> None:
    w = bearer(keys.write)
    fid = client.post("/api/v1/attendance", json=SEP_DEC, headers=w).json()["id"]
    client.patch(f"/api/v1/attendance/{fid}", json={"completions": 610}, headers=w)
    client.delete(f"/api/v1/attendance/{fid}", headers=bearer(keys.admin))
    client.post("/api/v1/courses", json={"slug": "c", "name": "C"}, headers=w)
    entries = client.get(
        "/api/v1/audit",
        params={"resource": f"/api/v1/attendance/{fid}"},
        headers=bearer(keys.admin),
    ).json()["items"]
    assert [(e["action"], e["actor"]) for e in entries] == [
        ("figure.create", "office"),
        ("figure.update", "office"),
        ("figure.delete", "boss"),
    ]
    assert entries[1]["before"]["completions"] == 600
    assert entries[1]["after"]["completions"] == 610
    assert entries[2]["after"] is None
    assert entries[0]["key_prefix"] == keys.write[:12]
    by_office = client.get(
        "/api/v1/audit", params={"actor": "office"}, headers=bearer(keys.admin)
    ).json()
    assert [e["action"] for e in by_office["items"]][-3:] == [
        "figure.create",
        "figure.update",
        "course.create",
    ]


def test_keys_never_reach_the_audit_log_or_responses(client: TestClient, keys: Keys) -> None:
    client.post("/api/v1/attendance", json=SEP_DEC, headers=bearer(keys.write))
    everything = client.get("/api/v1/audit", headers=bearer(keys.admin)).text
    secret = keys.write.split("_", 2)[2]
    assert secret not in everything
    assert keys.write[:12] in everything  # the prefix identifies it


@pytest.mark.slow
def test_ten_concurrent_posts_of_one_period_store_one_figure(
    served: tuple[str, Keys],
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    base, keys = served

    def post(_: int) -> int:
        r = httpx.post(f"{base}/api/v1/attendance", json=SEP_DEC, headers=bearer(keys.write))
        return r.status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = sorted(pool.map(post, range(10)))
    assert statuses == [201] + [409] * 9
    listed = httpx.get(f"{base}/api/v1/attendance", params={"course": "basic-sro"}).json()
    assert [f["period"] for f in listed["items"]].count("2019-09/2019-12") == 1


def test_a_deleted_figures_id_is_never_given_again(client: TestClient, keys: Keys) -> None:
    w = bearer(keys.write)
    first = client.post("/api/v1/attendance", json=SEP_DEC, headers=w).json()["id"]
    assert client.delete(f"/api/v1/attendance/{first}", headers=w).status_code == 204
    again = client.post("/api/v1/attendance", json=SEP_DEC, headers=w)
    assert again.status_code == 201
    assert again.json()["id"] > first
    old = client.get(f"/api/v1/attendance/{first}/revisions").json()["items"]
    assert [r["action"] for r in old] == ["create", "delete"]
    new = client.get(f"/api/v1/attendance/{again.json()['id']}/revisions").json()["items"]
    assert [r["action"] for r in new] == ["create"]


def test_a_body_that_is_not_text_is_a_422(client: TestClient, keys: Keys) -> None:
    response = client.post(
        "/api/v1/courses",
        content=b"\xff\xfe\x00",
        headers={**bearer(keys.write), "Content-Type": "application/json"},
    )
    assert_problem(response, 422)


@pytest.mark.slow
def test_keys_list_shows_when_a_key_was_last_used(
    client: TestClient, keys: Keys, database_url: str, tmp_path: Path
) -> None:
    """A key's use is recorded (to the minute: not a write lock on every request)."""

    def last_used() -> dict[str, str | None]:
        listed = run_cli("keys", "list", "--json", cwd=tmp_path, database_url=database_url)
        rows = [json.loads(line) for line in listed.splitlines()]
        return {row["name"]: row["last_used_at"] for row in rows}

    assert last_used()["office"] is None
    headers = {"Authorization": f"Bearer {keys.write}"}
    for month in (9, 10, 11):
        body = {"course": "basic-sro", "period": f"2019-{month:02d}", "completions": 50}
        response = client.post("/api/v1/attendance", json={**body, "source_id": 1}, headers=headers)
        assert response.status_code == 201
    first = last_used()
    assert first["office"] is not None
    assert first["boss"] is None
    client.post(
        "/api/v1/attendance",
        json={"course": "basic-sro", "period": "2019-12", "completions": 50, "source_id": 1},
        headers=headers,
    )
    assert last_used()["office"] == first["office"]
