"""Statistics over HTTP reproduce the release, and say when years are not alike."""

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import AddFigure
from tests.test_read_api import assert_problem

# API.md's table for 2018 -> 2019 (Jan–Aug).
TABLE = [
    # course, from_total, to_total, change, change_pct, to_annualized
    ("basic-sro", 2273, 2516, 243, 10.7, 3774.0),
    ("advanced-sro", 531, 599, 68, 12.8, 898.5),
    ("crime-prevention-through-environmental-design", 98, 165, 67, 68.4, 247.5),
    ("school-security-officer", 64, 147, 83, 129.7, 220.5),
    ("sro-management", 113, 136, 23, 20.4, 204.0),
    ("adolescent-mental-health", 871, 3167, 2296, 263.6, 4750.5),
]


def changes(client: TestClient, **params: str | int) -> dict[str, object]:
    response = client.get("/api/v1/stats/changes", params={"from": 2018, "to": 2019, **params})
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.mark.parametrize(("course", "frm", "to", "change", "pct", "annualized"), TABLE)
def test_release_comparison_row(
    client: TestClient, course: str, frm: int, to: int, change: int, pct: float, annualized: float
) -> None:
    body = changes(client)
    assert (body["from"], body["to"]) == (2018, 2019)
    items = body["items"]
    assert isinstance(items, list)
    row = next(r for r in items if r["course"] == course)
    assert row["from_total"] == frm
    assert row["to_total"] == to
    assert (row["from_months"], row["to_months"]) == (12, 8)
    assert row["change"] == change
    assert row["change_pct"] == pct
    assert row["comparable"] is False
    assert row["to_annualized"] == annualized
    assert row["estimate_method"] == "linear"
    assert row["record"] is True
    assert row["from_same_months_total"] is None
    assert row["change_same_months"] is None
    assert row["change_same_months_pct"] is None
    assert row["comparable_note"] == "2019 covers Jan–Aug; 2018 has no Jan–Aug figure"


def test_release_comparison_covers_every_course_in_order(client: TestClient) -> None:
    items = changes(client)["items"]
    assert isinstance(items, list)
    assert [r["course"] for r in items] == [row[0] for row in TABLE]


def test_release_all_courses_row(client: TestClient) -> None:
    overall = changes(client)["all_courses"]
    assert isinstance(overall, dict)
    assert overall["from_total"] == 3950
    assert overall["to_total"] == 6730
    assert (overall["from_months"], overall["to_months"]) == (12, 8)
    assert overall["change"] == 2780
    assert overall["change_pct"] == 70.4
    assert overall["comparable"] is False
    assert overall["to_annualized"] == 10095.0
    assert overall["estimate_method"] == "linear"
    assert overall["record"] is True


def test_like_for_like_when_the_earlier_year_has_the_same_months(
    client: TestClient, add_figure: AddFigure
) -> None:
    add_figure("basic-sro", "2018-01/2018-08", 1500)
    series = client.get("/api/v1/courses/basic-sro/series").json()["items"]
    assert series[0] == {
        "year": 2018,
        "total": 2273,
        "months_covered": 12,
        "complete": True,
        "months_label": "Jan–Dec",
    }

    row = changes(client, course="basic-sro")["items"][0]  # type: ignore[index]
    assert row["from_total"] == 2273  # the nested Jan–Aug figure is not double counted
    assert row["change"] == 243
    assert row["comparable"] is False
    assert row["from_same_months_total"] == 1500
    assert row["change_same_months"] == 1016
    assert row["change_same_months_pct"] == 67.7
    assert row["comparable_note"] == "2019 covers Jan–Aug; compared like for like with Jan–Aug 2018"

    # Other courses have no Jan–Aug 2018 figure, so the all-course row has none either.
    overall = changes(client)["all_courses"]
    assert isinstance(overall, dict)
    assert overall["from_same_months_total"] is None
    assert overall["from_total"] == 3950


def test_like_for_like_from_several_nested_figures(
    client: TestClient, add_figure: AddFigure
) -> None:
    add_figure("sro-management", "2018-01/2018-04", 40)
    add_figure("sro-management", "2018-05/2018-08", 35)
    row = changes(client, course="sro-management")["items"][0]  # type: ignore[index]
    assert (row["from_same_months_total"], row["change_same_months"]) == (75, 61)
    assert row["change_same_months_pct"] == 81.3


def test_completed_years_are_comparable(client: TestClient, add_figure: AddFigure) -> None:
    add_figure("basic-sro", "2019-09/2019-12", 600)
    row = changes(client, course="basic-sro")["items"][0]  # type: ignore[index]
    assert (row["to_total"], row["to_months"], row["comparable"]) == (3116, 12, True)
    assert row["to_annualized"] is None
    assert row["comparable_note"] is None
    assert (row["from_same_months_total"], row["change_same_months"]) == (2273, 843)
    year = client.get("/api/v1/years/2019").json()
    basic = next(c for c in year["courses"] if c["course"] == "basic-sro")
    assert (basic["total"], basic["months_covered"], basic["complete"]) == (3116, 12, True)
    assert (year["total"], year["months_covered"], year["complete"]) == (7330, 8, False)


def test_whole_year_figure_supersedes_jan_aug(client: TestClient, add_figure: AddFigure) -> None:
    add_figure("basic-sro", "2019", 3800)
    series = client.get("/api/v1/courses/basic-sro/series").json()["items"]
    assert series[1] == {
        "year": 2019,
        "total": 3800,
        "months_covered": 12,
        "complete": True,
        "months_label": "Jan–Dec",
    }


def test_shares(client: TestClient) -> None:
    y2019 = client.get("/api/v1/stats/shares", params={"year": 2019}).json()
    assert y2019["year_total"] == 6730
    # A partial year's shares say so: they are shares of its eight months.
    assert (y2019["months_covered"], y2019["complete"], y2019["months_label"]) == (
        8,
        False,
        "Jan–Aug",
    )
    assert (y2019["total"], y2019["next_cursor"]) == (6, None)  # the list envelope
    assert client.get("/api/v1/stats/shares").json() == y2019  # the latest year
    shares = {i["course"]: i["share_pct"] for i in y2019["items"]}
    assert shares["adolescent-mental-health"] == 47.1
    assert shares["basic-sro"] == 37.4
    assert [i["course"] for i in y2019["items"][:2]] == ["adolescent-mental-health", "basic-sro"]
    y2018 = client.get("/api/v1/stats/shares", params={"year": 2018}).json()
    assert y2018["items"][0] == {
        "course": "basic-sro",
        "name": "Basic SRO",
        "total": 2273,
        "share_pct": 57.5,
    }


def test_records(client: TestClient) -> None:
    body = client.get("/api/v1/stats/records").json()
    items = body["items"]
    assert len(items) == body["total"] == 6  # six courses, each in 2019
    assert all(i["year"] == 2019 and i["course"] for i in items)
    (overall,) = body["all_courses"]  # never an item with a null course
    assert (overall["year"], overall["total"], overall["previous_best"]) == (2019, 6730, 3950)
    assert (overall["previous_best_year"], overall["months_covered"]) == (2018, 8)
    in_2018 = client.get("/api/v1/stats/records", params={"year": 2018}).json()
    assert (in_2018["items"], in_2018["all_courses"]) == ([], [])
    one = client.get("/api/v1/stats/records", params={"course": "basic-sro"}).json()
    assert [(i["course"], i["year"], i["total"]) for i in one["items"]] == [
        ("basic-sro", 2019, 2516)
    ]
    assert one["all_courses"] is None


def test_totals_groupings(client: TestClient) -> None:
    by_year = client.get("/api/v1/stats/totals").json()
    assert by_year["by"] == "year"
    assert [(i["year"], i["total"], i["months_covered"]) for i in by_year["items"]] == [
        (2018, 3950, 12),
        (2019, 6730, 8),
    ]
    by_course = client.get("/api/v1/stats/totals", params={"by": "course"}).json()["items"]
    assert {i["course"]: i["total"] for i in by_course}["basic-sro"] == 2273 + 2516
    both = client.get(
        "/api/v1/stats/totals", params={"by": "course_year", "year_from": 2019}
    ).json()["items"]
    assert len(both) == 6
    assert {i["course"]: i["total"] for i in both}["adolescent-mental-health"] == 3167


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/stats/changes?from=abc&to=2019", 422),
        ("/api/v1/stats/changes?from=2019&to=2018", 422),
        ("/api/v1/stats/changes?from=2019&to=2019", 422),
        ("/api/v1/stats/changes?to=2019", 422),
        ("/api/v1/stats/changes?from=2018&to=2019&course=nope", 404),
        ("/api/v1/stats/shares?year=abc", 422),
        ("/api/v1/stats/changes?from=2017&to=2019", 404),
        ("/api/v1/stats/changes?from=2018&to=2020", 404),
        ("/api/v1/stats/shares?year=2017", 404),
        ("/api/v1/stats/totals?by=month", 422),
        ("/api/v1/stats/totals?course=nope", 404),
        ("/api/v1/stats/records?year=-5", 422),
        ("/api/v1/stats/records?course=nope", 404),
        ("/api/v1/stats/shares?yeer=2019", 422),
        ("/api/v1/stats/rolling?end=2019-13", 422),
        ("/api/v1/stats/rolling?end=2019-8", 422),
        ("/api/v1/stats/rolling?end=1899-12", 422),
        ("/api/v1/stats/rolling?end=2019-08&months=0", 422),
        ("/api/v1/stats/rolling?end=2019-08&months=121", 422),
        ("/api/v1/stats/rolling?end=2019-08&course=nope", 404),
    ],
)
def test_bad_stats_parameters(client: TestClient, path: str, status: int) -> None:
    assert_problem(client.get(path), status)


CONTRIBUTIONS = {
    "basic-sro": 6.2,
    "advanced-sro": 1.7,
    "crime-prevention-through-environmental-design": 1.7,
    "school-security-officer": 2.1,
    "sro-management": 0.6,
    "adolescent-mental-health": 58.1,
}


def test_contributions_to_change_add_up_to_the_headline(client: TestClient) -> None:
    body = client.get("/api/v1/stats/changes", params={"from": 2018, "to": 2019}).json()
    found = {row["course"]: row["contribution_pp"] for row in body["items"]}
    assert found == CONTRIBUTIONS
    assert body["all_courses"]["change_pct"] == 70.4
    assert round(sum(found.values()), 1) == 70.4


def test_the_new_course_effect(client: TestClient) -> None:
    body = client.get("/api/v1/stats/changes", params={"from": 2018, "to": 2019}).json()
    effect = body["excluding_new_courses"]
    assert effect["excluded"] == ["adolescent-mental-health"]
    assert (effect["from_total"], effect["to_total"]) == (3079, 3563)
    assert (effect["change"], effect["change_pct"], effect["comparable"]) == (484, 15.7, False)
    assert "Adolescent Mental Health" in effect["note"]  # names, not slugs, in prose


def test_a_course_filter_claims_no_aggregate(client: TestClient) -> None:
    params = {"from": 2018, "to": 2019, "course": "basic-sro"}
    body = client.get("/api/v1/stats/changes", params=params).json()
    assert (body["all_courses"], body["excluding_new_courses"]) == (None, None)
    assert [r["course"] for r in body["items"]] == ["basic-sro"]
    # Still a share of the all-course change, as without the filter.
    assert body["items"][0]["contribution_pp"] == 6.2
    table = client.get("/api/v1/stats/changes.csv", params=params).text.splitlines()
    assert len(table) == 2  # the header and the course's row: no aggregate row
    assert table[1].startswith("2018,2019,basic-sro,Basic SRO,")


def rolling(client: TestClient, **params: str | int) -> dict[str, Any]:
    response = client.get("/api/v1/stats/rolling", params={"end": "2019-08", **params})
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_projections_from_the_seed_alone_are_linear(client: TestClient) -> None:
    for row, (course, *_, annualized) in zip(changes(client)["items"], TABLE, strict=True):  # type: ignore[call-overload]
        assert row["course"] == course
        assert (row["to_projected"], row["projection_method"]) == (annualized, "linear")
        assert row["projection_basis"] == []
        assert row["to_annualized"] == annualized


def test_a_same_months_figure_makes_the_projection_seasonal(
    client: TestClient, add_figure: AddFigure
) -> None:
    before = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    add_figure("basic-sro", "2018-01/2018-08", 1500)
    row = changes(client, course="basic-sro")["items"][0]  # type: ignore[index]
    # 2516 × 2273 / 1500
    assert (row["to_projected"], row["projection_method"]) == (3812.6, "seasonal")
    assert row["projection_basis"] == [2018]
    assert (row["to_annualized"], row["estimate_method"]) == (3774.0, "linear")
    # Other courses have no Jan–Aug 2018: still linear.
    amh = changes(client)["items"][5]  # type: ignore[index]
    assert (amh["to_projected"], amh["projection_method"]) == (4750.5, "linear")
    # As the data stood before the figure was posted: linear again.
    then = changes(client, course="basic-sro", as_of=before)["items"][0]  # type: ignore[index]
    assert (then["to_projected"], then["projection_method"]) == (3774.0, "linear")
    assert then["projection_basis"] == []


def test_a_complete_year_has_no_projection(client: TestClient, add_figure: AddFigure) -> None:
    add_figure("basic-sro", "2019-09/2019-12", 600)
    row = changes(client, course="basic-sro")["items"][0]  # type: ignore[index]
    assert (row["to_projected"], row["projection_method"], row["projection_basis"]) == (
        None,
        None,
        [],
    )


def test_rolling_twelve_months_from_the_seed_alone_is_unavailable(client: TestClient) -> None:
    body = rolling(client)
    assert (body["start"], body["end"], body["months"]) == ("2018-09", "2019-08", 12)
    assert body["label"] == "Sep 2018–Aug 2019"
    assert (body["previous_start"], body["previous_end"]) == ("2017-09", "2018-08")
    assert [r["course"] for r in body["items"]] == [row[0] for row in TABLE]
    for row in body["items"]:
        assert (row["total"], row["available"], row["parts"]) == (None, False, [])
        assert row["reason"] == "2018 has no figure for Sep–Dec and none can be derived"
        assert (row["change"], row["change_pct"]) == (None, None)
    overall = body["all_courses"]
    assert (overall["total"], overall["available"]) == (None, False)
    assert overall["reason"].startswith("not determined for 6 of 6 courses")


def test_rolling_twelve_months_derived_by_subtraction(
    client: TestClient, add_figure: AddFigure
) -> None:
    before = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    add_figure("basic-sro", "2018-01/2018-08", 1500)
    row = rolling(client, course="basic-sro")["items"][0]
    assert (row["course"], row["total"], row["available"], row["reason"]) == (
        "basic-sro",
        3289,
        True,
        None,
    )
    assert row["parts"] == [
        {
            "year": 2018,
            "period": "2018-09/2018-12",
            "label": "Sep–Dec 2018",
            "total": 773,
            "derived": True,
            "derivation": "2018 − Jan–Aug 2018",
        },
        {
            "year": 2019,
            "period": "2019-01/2019-08",
            "label": "Jan–Aug 2019",
            "total": 2516,
            "derived": False,
            "derivation": None,
        },
    ]
    # The window a year earlier needs Sep–Dec 2017: there is nothing for 2017.
    assert row["previous_reason"] == "2017 has no figure for Sep–Dec and none can be derived"
    assert (row["previous_total"], row["change"]) == (None, None)

    body = rolling(client)
    assert body["all_courses"]["available"] is False
    assert body["all_courses"]["reason"].startswith("not determined for 5 of 6 courses")

    # Eight months ending in August 2018 are the posted figure itself.
    eight = rolling(client, end="2018-08", months=8, course="basic-sro")["items"][0]
    assert (eight["total"], [p["label"] for p in eight["parts"]]) == (1500, ["Jan–Aug 2018"])

    # As the data stood before the figure was posted, nothing could be derived.
    then = rolling(client, course="basic-sro", as_of=before)["items"][0]
    assert (then["total"], then["available"]) == (None, False)


def test_rolling_window_and_previous_window_give_the_change(
    client: TestClient, add_figure: AddFigure
) -> None:
    add_figure("sro-management", "2018-09/2018-12", 40)
    add_figure("sro-management", "2017", 100)
    add_figure("sro-management", "2017-09/2017-12", 30)
    add_figure("sro-management", "2019-01/2019-04", 70)
    row = rolling(client, course="sro-management", end="2019-04", months=8)["items"][0]
    # Sep 2018–Apr 2019 = 40 + 70; Sep 2017–Apr 2018 = 30 + (nothing for Jan–Apr 2018).
    assert (row["total"], row["previous_total"]) == (110, None)
    assert row["previous_reason"] == "2018 has no figure for Jan–Apr and none can be derived"
    full = rolling(client, course="sro-management", end="2018-12")["items"][0]
    # 2018 itself (113) against 2017 (100).
    assert (full["total"], full["previous_total"], full["change"], full["change_pct"]) == (
        113,
        100,
        13,
        13.0,
    )


def test_rolling_as_csv_carries_the_window_and_writes_out_the_parts(
    client: TestClient, add_figure: AddFigure
) -> None:
    add_figure("basic-sro", "2018-01/2018-08", 1500)
    text = client.get("/api/v1/stats/rolling", params={"end": "2019-08", "format": "csv"}).text
    table = list(csv.DictReader(io.StringIO(text)))
    assert list(table[0])[:5] == ["start", "end", "months", "course", "name"]
    assert {(r["start"], r["end"], r["months"]) for r in table} == {("2018-09", "2019-08", "12")}
    assert (table[0]["course"], table[0]["total"]) == ("basic-sro", "3289")
    assert table[0]["parts"] == "Sep–Dec 2018 = 773 (2018 − Jan–Aug 2018); Jan–Aug 2019 = 2516"
    assert (table[1]["available"], table[1]["parts"]) == ("false", "")
    assert (table[-1]["course"], table[-1]["name"]) == ("(all courses)", "All courses")
    assert table[-1]["available"] == "false"


def test_a_seasonal_projection_rests_on_the_five_most_recent_complete_years(
    client: TestClient, add_figure: AddFigure
) -> None:
    for year in range(2012, 2018):
        add_figure("basic-sro", str(year), 1200)
        add_figure("basic-sro", f"{year}-01/{year}-08", 800)
    add_figure("basic-sro", "2018-01/2018-08", 1500)
    row = changes(client, course="basic-sro")["items"][0]  # type: ignore[index]
    assert row["projection_basis"] == [2014, 2015, 2016, 2017, 2018]
    # 2516 × (4 × 1200 + 2273) / (4 × 800 + 1500)
    assert (row["to_projected"], row["projection_method"]) == (3786.3, "seasonal")
