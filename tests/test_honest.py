"""Honest at a glance (API.md, third round): every number of the contract over HTTP, on
the seed and on the seed with one more figure, and the two time axes (`as_of`,
`vintage`) with a revision citing a later publication."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import AddFigure, Keys
from tests.test_read_api import assert_problem
from tests.test_writes import bearer


def changes(client: TestClient, **params: str | int) -> dict[str, Any]:
    response = client.get("/api/v1/stats/changes", params={"from": 2018, "to": 2019, **params})
    assert response.status_code == 200, response.text
    return dict(response.json())


def row(body: dict[str, Any], course: str) -> dict[str, Any]:
    return dict(next(r for r in body["items"] if r["course"] == course))


# --- projected change and headline ---------------------------------------------------


def test_the_seed_projected_change_of_every_row_and_aggregate(client: TestClient) -> None:
    body = changes(client)
    whole, established = body["all_courses"], body["excluding_new_courses"]
    assert (whole["to_projected"], whole["projection_method"]) == (10095.0, "linear")
    assert whole["change_projected_pct"] == 155.6
    assert whole["change_pct"] == 70.4  # the plain figure stays, beside the projection
    assert (established["to_projected"], established["change_projected_pct"]) == (5344.5, 73.6)
    assert established["change_pct"] == 15.7
    assert row(body, "basic-sro")["change_projected_pct"] == 66.0
    assert row(body, "adolescent-mental-health")["change_projected_pct"] == 445.4
    for item in body["items"]:
        assert item["projection_method"] == "linear"


def test_the_seed_headline_names_both_periods_totals_and_both_changes(
    client: TestClient,
) -> None:
    body = changes(client)
    headline = body["all_courses"]["headline"]
    for part in ("Jan–Aug 2019", "2018", "6,730", "3,950", "+70.4%", "+155.6%", "linear"):
        assert part in headline, (part, headline)
    assert headline == (
        "6,730 completions in Jan–Aug 2019 against 3,950 in 2018 (8 months against 12): "
        "+70.4% as reported; projected to a full year (linear), 2019 would be 10,095, "
        "+155.6%."
    )
    established = body["excluding_new_courses"]["headline"]
    assert established.startswith("Without Adolescent Mental Health (first offered in or")
    for part in ("3,563", "3,079", "+15.7%", "+73.6%", "5,345"):  # 5,344.5 rounds up
        assert part in established, (part, established)


def test_a_same_months_figure_makes_basic_sro_seasonal_and_the_aggregate_mixed(
    client: TestClient, add_figure: AddFigure
) -> None:
    add_figure("basic-sro", "2018-01/2018-08", 1500)
    body = changes(client)
    basic = row(body, "basic-sro")
    assert (basic["to_projected"], basic["projection_method"]) == (3812.6, "seasonal")
    assert (basic["projection_basis"], basic["change_projected_pct"]) == ([2018], 67.7)
    assert basic["to_annualized"] == 3774.0  # the linear value stays apart
    whole = body["all_courses"]
    # Basic SRO seasonal, the other five linear: 10095 − 3774 + 2516 × 2273 / 1500.
    assert (whole["to_projected"], whole["projection_method"]) == (10133.6, "mixed")
    assert whole["projection_basis"] == [2018]
    assert whole["change_projected_pct"] == 156.5
    assert "(mixed)" in whole["headline"]


def test_a_headline_never_labels_a_total_with_months_it_goes_beyond(
    client: TestClient, add_figure: AddFigure
) -> None:
    """Basic SRO's Sep–Dec 2019 makes its 2019 whole while the other courses cover
    Jan–Aug: the all-course 7,330 is not "Jan–Aug 2019", and no month count is claimed."""
    add_figure("basic-sro", "2019-09/2019-12", 600)
    headline = changes(client)["all_courses"]["headline"]
    assert headline.startswith(
        "7,330 completions in 2019 so far (Jan–Aug for every course, more for some) "
        "against 3,950 in 2018: +85.6% as reported; projected to a full year (linear)"
    )
    assert "months against" not in headline
    # Basic SRO, complete, counts as observed: 3,116 + the others' linear 6,321.
    assert "2019 would be 9,437, +138.9%." in headline


def test_a_complete_to_year_has_no_projection(client: TestClient, add_figure: AddFigure) -> None:
    add_figure("basic-sro", "2017", 2000)
    body = client.get("/api/v1/stats/changes", params={"from": 2017, "to": 2018}).json()
    basic = row(body, "basic-sro")
    assert (basic["to_projected"], basic["change_projected_pct"]) == (None, None)
    assert basic["change_pct"] == 13.7
    assert body["all_courses"]["change_projected_pct"] is None
    assert "projected" not in body["all_courses"]["headline"]


# --- years without figures, filters that claim no aggregate ---------------------------


@pytest.mark.parametrize(("frm", "to"), [(2017, 2019), (2018, 2020), (2016, 2017)])
def test_a_year_without_figures_is_404_as_on_years(client: TestClient, frm: int, to: int) -> None:
    response = client.get("/api/v1/stats/changes", params={"from": frm, "to": to})
    missing = frm if frm < 2018 else to
    assert_problem(response, 404)
    assert response.json()["detail"] == f"No figures for {missing}."
    assert_problem(client.get(f"/api/v1/years/{missing}"), 404)


def test_a_course_filter_claims_no_aggregate_anywhere(client: TestClient) -> None:
    rolling = client.get("/api/v1/stats/rolling", params={"course": "basic-sro"}).json()
    assert rolling["all_courses"] is None
    assert [r["course"] for r in rolling["items"]] == ["basic-sro"]
    table = client.get("/api/v1/stats/rolling.csv", params={"course": "basic-sro"}).text
    assert "(all courses)" not in table
    by_year = client.get("/api/v1/stats/totals", params={"course": "basic-sro"}).json()
    assert [(i["course"], i["year"], i["total"]) for i in by_year["items"]] == [
        ("basic-sro", 2018, 2273),
        ("basic-sro", 2019, 2516),
    ]
    assert "(all courses)" not in client.get("/api/v1/stats/totals.csv?course=basic-sro").text
    one = client.get("/api/v1/stats/changes.csv?from=2018&to=2019&course=basic-sro").text
    assert "(all courses)" not in one
    assert "(established courses)" not in one


def test_defaults_are_the_latest_figures(client: TestClient) -> None:
    assert client.get("/api/v1/stats/shares").json()["year"] == 2019
    rolling = client.get("/api/v1/stats/rolling").json()
    assert (rolling["start"], rolling["end"]) == ("2018-09", "2019-08")
    assert rolling == client.get("/api/v1/stats/rolling", params={"end": "2019-08"}).json()


# --- zeros before a course existed ----------------------------------------------------


def test_months_before_a_course_existed_are_zero_in_rolling_windows(
    client: TestClient, add_figure: AddFigure
) -> None:
    params = {"course": "adolescent-mental-health"}
    (seed_only,) = client.get("/api/v1/stats/rolling", params=params).json()["items"]
    # First offered in 2018: 2017 is no gap, and no reason names it.
    assert seed_only["previous_reason"] == "2018 has no figure for Jan–Aug and none can be derived"
    assert "2017" not in seed_only["reason"]
    add_figure("adolescent-mental-health", "2018-01/2018-08", 500)
    body = client.get(
        "/api/v1/stats/rolling", params={"end": "2019-08", "course": "adolescent-mental-health"}
    ).json()
    (amh,) = body["items"]
    assert (amh["total"], amh["previous_total"], amh["change"]) == (3538, 500, 3038)
    assert [(p["label"], p["total"], p["derived"]) for p in amh["parts"]] == [
        ("Sep–Dec 2018", 371, True),
        ("Jan–Aug 2019", 3167, False),
    ]
    assert [(p["label"], p["total"], p["derivation"]) for p in amh["previous_parts"]] == [
        ("Sep–Dec 2017", 0, "zero: the course was first offered in 2018"),
        ("Jan–Aug 2018", 500, None),
    ]
    assert amh["previous_reason"] is None


def test_basic_sro_with_a_jan_aug_2018_figure_rolls_to_3289(
    client: TestClient, add_figure: AddFigure
) -> None:
    add_figure("basic-sro", "2018-01/2018-08", 1500)
    (basic,) = client.get("/api/v1/stats/rolling", params={"course": "basic-sro"}).json()["items"]
    assert basic["total"] == 773 + 2516
    # Basic SRO has no first year: 2017 is a real gap, and the reason says so.
    assert basic["previous_reason"] == "2017 has no figure for Sep–Dec and none can be derived"


# --- two time axes --------------------------------------------------------------------


def later_source(client: TestClient, keys: Keys, published_on: str | None) -> int:
    body: dict[str, Any] = {"title": "NASRO annual report", "publisher": "NASRO"}
    if published_on is not None:
        body["published_on"] = published_on
    response = client.post("/api/v1/sources", json=body, headers=bearer(keys.write))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def revise_basic_2019(client: TestClient, keys: Keys, source_id: int, completions: int) -> None:
    response = client.patch(
        "/api/v1/attendance/2",
        json={"completions": completions, "source_id": source_id},
        headers=bearer(keys.write),
    )
    assert response.status_code == 200, response.text


def year_2019(client: TestClient, **params: str) -> int:
    response = client.get("/api/v1/years/2019", params=params)
    assert response.status_code == 200, response.text
    return int(response.json()["total"])


def test_the_seed_is_vintage_2019_09_16(client: TestClient) -> None:
    assert year_2019(client, vintage="2019-09-16") == 6730
    assert_problem(client.get("/api/v1/years/2019", params={"vintage": "2019-09-15"}), 404)
    assert client.get("/api/v1/years", params={"vintage": "2019-09-15"}).json()["items"] == []
    figures = client.get("/api/v1/attendance", params={"vintage": "2019-09-16"}).json()
    assert figures["total"] == 12


def test_a_revision_citing_a_later_publication_is_in_its_vintage_only(
    client: TestClient, keys: Keys
) -> None:
    before = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    revise_basic_2019(client, keys, later_source(client, keys, "2020-01-15"), 2600)
    assert year_2019(client) == 6730 - 2516 + 2600
    assert year_2019(client, vintage="2019-09-16") == 6730  # as the release published it
    assert year_2019(client, vintage="2020-01-14") == 6730
    assert year_2019(client, vintage="2020-01-15") == 6814
    # as_of keeps its meaning, and both axes together select by both.
    assert year_2019(client, as_of=before) == 6730
    assert year_2019(client, as_of=before, vintage="2020-01-15") == 6730
    old = client.get("/api/v1/attendance/2", params={"vintage": "2019-12-31"}).json()
    assert (old["completions"], old["revision"]) == (2516, 1)
    body = changes(client, vintage="2019-09-16")
    assert body["all_courses"]["to_total"] == 6730
    assert row(body, "basic-sro")["change_projected_pct"] == 66.0
    revisions = client.get("/api/v1/attendance/2/revisions").json()
    assert [(r["revision"], r["published_on"], r["vintage_from"]) for r in revisions["items"]] == [
        (1, "2019-09-16", "2019-09-16"),
        (2, "2020-01-15", "2020-01-15"),
    ]
    assert (revisions["total"], revisions["next_cursor"]) == (2, None)


def test_a_source_without_a_date_counts_from_the_day_it_was_recorded(
    client: TestClient, keys: Keys
) -> None:
    revise_basic_2019(client, keys, later_source(client, keys, None), 2600)
    today = datetime.now(UTC).date()
    assert year_2019(client, vintage=today.isoformat()) == 6814
    assert year_2019(client, vintage=(today - timedelta(days=1)).isoformat()) == 6730
    (_, second) = client.get("/api/v1/attendance/2/revisions").json()["items"]
    assert (second["published_on"], second["vintage_from"]) == (None, today.isoformat())


def test_a_deletion_counts_from_the_day_it_was_recorded(client: TestClient, keys: Keys) -> None:
    deleted = client.delete("/api/v1/attendance/2", headers=bearer(keys.write))
    assert deleted.status_code == 204
    today = datetime.now(UTC).date()
    assert year_2019(client, vintage=today.isoformat()) == 6730 - 2516
    assert year_2019(client, vintage=(today - timedelta(days=1)).isoformat()) == 6730


@pytest.mark.parametrize("value", ["2019-9-16", "2019-02-30", "yesterday", "2019-09-16T00:00:00Z"])
def test_a_vintage_that_is_not_a_date_is_422(client: TestClient, value: str) -> None:
    response = client.get("/api/v1/years/2019", params={"vintage": value})
    assert_problem(response, 422)
    assert response.json()["errors"] == [{"field": "vintage", "message": "not a date YYYY-MM-DD"}]


def test_every_read_that_takes_as_of_takes_vintage(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path, item in spec["paths"].items():
        names = {p["name"] for p in item.get("get", {}).get("parameters", [])}
        if "as_of" in names:
            assert "vintage" in names, path


# --- unknown parameters, one list envelope --------------------------------------------


def test_an_unknown_parameter_is_422_naming_it(client: TestClient) -> None:
    assert client.get("/api/v1/attendance").status_code == 200  # cached, then asked again
    response = client.get("/api/v1/attendance", params={"yeer": 2019})
    assert_problem(response, 422)
    body = response.json()
    assert body["errors"][0]["field"] == "yeer"
    assert "year" in body["accepted"]
    assert "year_from" in body["detail"]
    sorted_ = client.get("/api/v1/attendance", params={"sort": "x", "year": 2019})
    assert [e["field"] for e in sorted_.json()["errors"]] == ["sort"]


def test_a_cache_buster_is_accepted_and_ignored(client: TestClient) -> None:
    plain = client.get("/api/v1/years/2019")
    busted = client.get("/api/v1/years/2019", params={"_": "1733270400000"})
    assert busted.status_code == 200
    assert busted.json() == plain.json()
    assert busted.headers["etag"] == plain.headers["etag"]


def test_unknown_parameters_on_writes_are_422_and_store_nothing(
    client: TestClient, keys: Keys
) -> None:
    figure = {"course": "basic-sro", "period": "2019-09", "completions": 5, "source_id": 1}
    response = client.post(
        "/api/v1/attendance", params={"dryrun": "true"}, json=figure, headers=bearer(keys.write)
    )
    assert_problem(response, 422)
    assert client.get("/api/v1/attendance").json()["total"] == 12


def test_every_list_answer_has_items_total_and_next_cursor(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    lists = {name: s for name, s in schemas.items() if "items" in s.get("properties", {})}
    assert {"YearList", "Totals", "Revisions", "Records", "Shares", "Changes"} <= set(lists)
    for name, schema in lists.items():
        assert {"total", "next_cursor"} <= set(schema["properties"]), name
    for path in ("/api/v1/years", "/api/v1/stats/totals", "/api/v1/attendance/2/revisions"):
        body = client.get(path).json()
        assert (body["total"], body["next_cursor"]) == (len(body["items"]), None), path


def test_a_future_vintage_answers_what_is_published_so_far(client: TestClient) -> None:
    """A vintage in the future answers what has been published so far."""
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    assert year_2019(client, vintage=tomorrow) == 6730
