"""JSON-stat and SDMX, read by the statistics world's own clients (pyjstat and
jsonstat-validator; sdmx1, the reference SDMX implementation; pandas for SDMX-CSV 1.0,
which sdmx1 does not read) against the real app on the seeded database."""

import io
import json
from datetime import UTC, datetime
from urllib.parse import quote

import pandas as pd
import pytest
import sdmx
from fastapi.testclient import TestClient
from jsonstat_validator import validate_jsonstat
from pyjstat import pyjstat

from tests.conftest import AddFigure, Keys

SDMX = "/api/v1/sdmx"
ML = "application/vnd.sdmx.structurespecificdata+xml;version=2.1"
SDMX_JSON = "application/vnd.sdmx.data+json;version=1.0.0"
CSV_1 = "application/vnd.sdmx.data+csv;version=1.0.0"
CSV_2 = "application/vnd.sdmx.data+csv;version=2.0.0"
# pyjstat's readers go through `from_json_stat`, which warns that it is old.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pyjstat")


def _frame(dataset: dict) -> pd.DataFrame:
    """The dataset as pyjstat's `Dataset` (the reader it recommends) gives it to pandas."""
    return pyjstat.Dataset.read(json.dumps(dataset)).write("dataframe", naming="id")


def test_pyjstat_reads_the_release_from_the_completions_dataset(client: TestClient) -> None:
    answer = client.get("/api/v1/datasets/completions")
    assert answer.status_code == 200
    dataset = answer.json()
    assert validate_jsonstat(dataset)
    frame = _frame(dataset)
    assert len(frame) == 12
    assert frame["value"].sum() == 10_680
    by = frame.set_index(["course", "period"])["value"]
    assert by["basic-sro", "2019-01/2019-08"] == 2516
    assert by["adolescent-mental-health", "2018-01/2018-12"] == 871
    # labels for people: the partial period says so
    labels = dataset["dimension"]["period"]["category"]["label"]
    assert labels == {"2018-01/2018-12": "2018", "2019-01/2019-08": "Jan–Aug 2019"}
    assert dataset["role"] == {"time": ["period"]}
    assert dataset["source"].startswith("National Association of School Resource Officers")
    assert dataset["updated"].endswith("Z")
    assert "status" not in dataset  # every seeded figure is final
    old = pyjstat.from_json_stat(dataset)[0]  # the older reader, with labels
    assert len(old) == 12
    assert old["value"].sum() == 10_680
    assert set(old["Period"]) == {"2018", "Jan–Aug 2019"}


def test_year_totals_mark_the_incomplete_year(client: TestClient) -> None:
    dataset = client.get("/api/v1/datasets/year-totals").json()
    assert validate_jsonstat(dataset)
    frame = _frame(dataset)
    assert len(frame) == 12
    totals = frame.groupby("year")["value"].sum()
    assert (totals["2018"], totals["2019"]) == (3950, 6730)
    # every 2019 value is marked `i`, explained, with the months it covers
    years = dataset["dimension"]["year"]["category"]
    assert years["label"] == {"2018": "2018", "2019": "2019 (Jan–Aug only)"}
    assert set(dataset["status"].values()) == {"i"}
    assert sorted(int(i) for i in dataset["status"]) == [1, 3, 5, 7, 9, 11]
    assert "incomplete" in dataset["extension"]["status"]["i"]
    assert dataset["extension"]["coverage"]["1"] == {"months_covered": 8, "months_label": "Jan–Aug"}
    assert any("Status i" in note for note in dataset["note"])


def test_the_collection_links_each_dataset_and_is_valid(client: TestClient) -> None:
    collection = client.get("/api/v1/datasets").json()
    assert validate_jsonstat(collection)
    assert collection["class"] == "collection"
    links = [item["href"] for item in collection["link"]["item"]]
    assert links == [
        "http://127.0.0.1:8000/api/v1/datasets/completions",
        "http://127.0.0.1:8000/api/v1/datasets/year-totals",
    ]
    for href in links:  # each link is served, and valid
        assert validate_jsonstat(client.get(href.removeprefix("http://127.0.0.1:8000")).json())


def test_datasets_take_the_filters_and_vintages_of_attendance(
    client: TestClient, add_figure: AddFigure
) -> None:
    one = client.get("/api/v1/datasets/completions?course=basic-sro&year=2019").json()
    assert (one["size"], one["value"]) == ([1, 1], [2516])
    before = client.get("/api/v1/datasets/year-totals?vintage=2019-09-15").json()
    assert validate_jsonstat(before)
    assert (before["size"], before["value"]) == ([0, 0], [])  # published on 2019-09-16
    add_figure("basic-sro", "2019-09", 40)
    now = _frame(client.get("/api/v1/datasets/completions?course=basic-sro").json())
    assert len(now) == 3  # two in-force figures and the new month
    totals = client.get("/api/v1/datasets/year-totals?course=basic-sro&year=2019").json()
    assert totals["value"] == [2556]
    assert totals["extension"]["coverage"]["0"]["months_label"] == "Jan–Sep"
    assert client.get("/api/v1/datasets/completions?course=no-such").status_code == 404
    bad = client.get("/api/v1/datasets/year-totals?year_from=2019&year_to=2018")
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"


def test_a_sparse_cube_sends_its_values_by_index(client: TestClient, add_figure: AddFigure) -> None:
    for month in range(1, 13):
        add_figure("sro-management", f"2020-{month:02d}", month)
    dataset = client.get("/api/v1/datasets/completions").json()
    assert validate_jsonstat(dataset)
    assert dataset["size"] == [6, 14]
    assert isinstance(dataset["value"], dict)
    assert len(dataset["value"]) == 24
    frame = _frame(dataset).dropna()
    assert len(frame) == 24
    assert frame["value"].sum() == 10_680 + 78


def test_datasets_answer_304_to_their_etag(client: TestClient) -> None:
    first = client.get("/api/v1/datasets/year-totals")
    again = client.get(
        "/api/v1/datasets/year-totals", headers={"if-none-match": first.headers["etag"]}
    )
    assert again.status_code == 304


def _structure(client: TestClient) -> sdmx.message.StructureMessage:
    answer = client.get(f"{SDMX}/dataflow/ENRSTATS/COMPLETIONS/1.0?references=all")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/vnd.sdmx.structure+xml;version=2.1"
    message = sdmx.read_sdmx(io.BytesIO(answer.content))
    assert isinstance(message, sdmx.message.StructureMessage)
    return message


def test_sdmx1_reads_the_dataflow_and_its_structure(client: TestClient) -> None:
    message = _structure(client)
    flow = message.dataflow["COMPLETIONS"]
    dsd = message.structure["DSD_COMPLETIONS"]
    assert flow.structure is dsd
    assert [d.id for d in dsd.dimensions] == ["COURSE", "TIME_PERIOD"]
    assert [m.id for m in dsd.measures] == ["OBS_VALUE"]
    assert {a.id for a in dsd.attributes} >= {"OBS_STATUS", "COVERAGE_MONTHS", "UNIT_MEASURE"}
    courses = message.codelist["CL_COURSE"]
    assert len(courses) == 6
    assert str(courses["basic-sro"].name) == "Basic SRO"
    assert dsd.dimensions.get("COURSE").local_representation.enumerated is courses


@pytest.mark.parametrize(
    ("path", "kinds"),
    [
        ("/dataflow/all/all/latest", {"dataflow"}),
        (
            "/datastructure/ENRSTATS/DSD_COMPLETIONS?references=children",
            {"structure", "codelist", "concept_scheme"},
        ),
        ("/codelist/ENRSTATS/CL_COURSE/1.0", {"codelist"}),
        ("/codelist?references=parents", {"codelist", "structure"}),
        ("/conceptscheme/all/CS_COMPLETIONS", {"concept_scheme"}),
    ],
)
def test_structure_queries_answer_what_they_name(
    client: TestClient, path: str, kinds: set[str]
) -> None:
    answer = client.get(SDMX + path)
    assert answer.status_code == 200, answer.text
    message = sdmx.read_sdmx(io.BytesIO(answer.content))
    found = {
        kind
        for kind in ("dataflow", "structure", "codelist", "concept_scheme")
        # sdmx1 makes a stub for each artefact a message only refers to
        if any(not a.is_external_reference for a in getattr(message, kind).values())
    }
    assert found == kinds


def _observations(client: TestClient, path: str, accept: str) -> pd.Series:
    answer = client.get(SDMX + path, headers={"accept": accept})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == accept
    structure = _structure(client)
    if "csv" in accept:  # sdmx1 reads CSV when told so, against the dataflow
        given = {"format": "csv", "structure": structure.dataflow["COMPLETIONS"]}
    else:  # and XML and JSON against the data structure
        given = {"structure": structure.structure["DSD_COMPLETIONS"]}
    message = sdmx.read_sdmx(io.BytesIO(answer.content), **given)
    return sdmx.to_pandas(message)


@pytest.mark.parametrize("accept", [ML, SDMX_JSON, CSV_2])
def test_sdmx1_reads_the_release_in_each_data_format(client: TestClient, accept: str) -> None:
    values = _observations(client, "/data/COMPLETIONS/all", accept)
    assert len(values) == 12
    assert values.sum() == 10_680
    assert values["basic-sro", "2018"] == 2273
    assert values["basic-sro", "2019-01-01/P8M"] == 2516  # Jan–Aug, never "2019"
    two = _observations(client, "/data/COMPLETIONS/basic-sro", accept)
    assert len(two) == 2
    assert two.sum() == 2273 + 2516


def test_sdmx_attributes_say_status_coverage_and_unit(client: TestClient) -> None:
    answer = client.get(f"{SDMX}/data/COMPLETIONS/basic-sro")
    dsd = _structure(client).structure["DSD_COMPLETIONS"]
    message = sdmx.read_sdmx(io.BytesIO(answer.content), structure=dsd)
    frame = sdmx.to_pandas(message, attributes="o")
    assert frame.loc[("basic-sro", "2019-01-01/P8M"), "COVERAGE_MONTHS"] == "8"
    assert frame.loc[("basic-sro", "2018"), "COVERAGE_MONTHS"] == "12"
    assert set(frame["OBS_STATUS"]) == {"A"}
    assert set(frame["UNIT_MEASURE"]) == {"PS"}


def test_sdmx_csv_1_has_the_columns_the_standard_names(client: TestClient) -> None:
    answer = client.get(f"{SDMX}/data/ENRSTATS,COMPLETIONS,1.0/all", headers={"accept": CSV_1})
    frame = pd.read_csv(io.StringIO(answer.text))
    assert list(frame.columns) == [
        "DATAFLOW",
        "COURSE",
        "TIME_PERIOD",
        "OBS_VALUE",
        "OBS_STATUS",
        "COVERAGE_MONTHS",
        "UNIT_MEASURE",
    ]
    assert set(frame["DATAFLOW"]) == {"ENRSTATS:COMPLETIONS(1.0)"}
    assert len(frame) == 12
    assert frame["OBS_VALUE"].sum() == 10_680
    plain = client.get(f"{SDMX}/data/COMPLETIONS/all", headers={"accept": "text/csv"})
    assert plain.headers["content-type"].startswith("text/csv")
    assert plain.text == answer.text


def test_sdmx_periods_keys_and_vintages_narrow_the_data(
    client: TestClient, add_figure: AddFigure
) -> None:
    before = datetime.now(UTC).isoformat()
    add_figure("advanced-sro", "2019-09/2019-11", 30)
    since = _observations(client, "/data/COMPLETIONS/all?startPeriod=2019", SDMX_JSON)
    assert len(since) == 7
    assert since["advanced-sro", "2019-09-01/P3M"] == 30
    autumn = _observations(client, "/data/COMPLETIONS/all?startPeriod=2019-Q4", SDMX_JSON)
    assert list(autumn.index) == [("advanced-sro", "2019-09-01/P3M")]  # Sep–Nov shares Q4
    to_2018 = _observations(client, "/data/COMPLETIONS/all?endPeriod=2018-12", ML)
    assert len(to_2018) == 6
    assert to_2018.sum() == 3950
    two = _observations(client, "/data/COMPLETIONS/basic-sro+advanced-sro", ML)
    assert len(two) == 5
    then = _observations(client, f"/data/COMPLETIONS/all?as_of={quote(before)}", ML)
    assert len(then) == 12
    assert then.sum() == 10_680
    unpublished = client.get(f"{SDMX}/data/COMPLETIONS/all?vintage=2019-09-15")
    assert unpublished.status_code == 404  # nothing was published before the release


def test_sdmx_refusals_are_problems(client: TestClient) -> None:
    cases = {
        "/data/OTHER/all": 404,
        "/data/ENRSTATS,COMPLETIONS,2.0/all": 404,
        "/data/COMPLETIONS/no-such-course": 404,
        "/data/COMPLETIONS/a.b": 422,
        "/data/COMPLETIONS/all?startPeriod=2019-13": 422,
        "/data/COMPLETIONS/all?startPeriod=soon": 422,
        "/dataflow/OTHER/COMPLETIONS/1.0": 404,
        "/dataflow/all/all/latest?references=cousins": 422,
        "/registry/all": 422,
    }
    for path, status in cases.items():
        answer = client.get(SDMX + path)
        assert (path, answer.status_code) == (path, status)
        assert answer.headers["content-type"] == "application/problem+json"
    refused = client.get(
        f"{SDMX}/data/COMPLETIONS/all",
        headers={"accept": "application/vnd.sdmx.data+csv;version=3.0.0"},
    )
    assert refused.status_code == 406
    assert CSV_1 in refused.json()["available"]


def test_sdmx_answers_304_to_their_etag_per_format(client: TestClient) -> None:
    xml = client.get(f"{SDMX}/data/COMPLETIONS/all")
    csv = client.get(f"{SDMX}/data/COMPLETIONS/all", headers={"accept": CSV_1})
    assert xml.headers["etag"] != csv.headers["etag"]
    again = client.get(
        f"{SDMX}/data/COMPLETIONS/all",
        headers={"accept": CSV_1, "if-none-match": csv.headers["etag"]},
    )
    assert again.status_code == 304
    other = client.get(
        f"{SDMX}/data/COMPLETIONS/all",
        headers={"accept": CSV_2, "if-none-match": csv.headers["etag"]},
    )
    assert other.status_code == 200
    assert other.text.startswith("STRUCTURE,")


@pytest.mark.slow  # starts the service
def test_the_clients_read_a_served_instance(served: tuple[str, object]) -> None:
    base, _ = served
    # sdmx1 names the agency by the source's id: the service's agency (a setting)
    source = {"id": "ENRSTATS", "url": f"{base}/api/v1/sdmx", "name": "enrollment-stats"}
    sdmx.add_source(source, override=True)
    client = sdmx.Client("ENRSTATS")
    structure = client.dataflow("COMPLETIONS")  # asks for references=all
    assert [code.id for code in structure.codelist["CL_COURSE"]][:2] == [
        "basic-sro",
        "advanced-sro",
    ]
    values = sdmx.to_pandas(client.data("COMPLETIONS", key="basic-sro"))
    assert len(values) == 2
    assert values.sum() == 2273 + 2516
    every = sdmx.to_pandas(client.data("COMPLETIONS"))
    assert len(every) == 12
    assert every.sum() == 10_680
    frame = pyjstat.Dataset.read(f"{base}/api/v1/datasets/completions").write("dataframe")
    assert len(frame) == 12
    assert frame["value"].sum() == 10_680
    collection = pyjstat.Collection.read(f"{base}/api/v1/datasets")
    assert next(item["href"] for item in collection["link"]["item"]).endswith("/completions")


def test_a_provisional_figure_is_marked_in_each_format(client: TestClient, keys: Keys) -> None:
    figure = {"course": "sro-management", "period": "2019-09", "completions": 12}
    posted = client.post(
        "/api/v1/attendance",
        json={**figure, "status": "provisional", "source_id": 1},
        headers={"authorization": f"Bearer {keys.write}"},
    )
    assert posted.status_code == 201, posted.text
    dataset = client.get("/api/v1/datasets/completions?course=sro-management").json()
    assert validate_jsonstat(dataset)
    assert dataset["dimension"]["period"]["category"]["index"][2] == "2019-09/2019-09"
    assert dataset["status"] == {"2": "p"}
    assert dataset["extension"]["status"]["p"].startswith("provisional")
    csv = client.get(f"{SDMX}/data/COMPLETIONS/sro-management", headers={"accept": CSV_1})
    rows = pd.read_csv(io.StringIO(csv.text))
    assert rows.iloc[-1][["TIME_PERIOD", "OBS_VALUE", "OBS_STATUS"]].tolist() == [
        "2019-09",
        12,
        "P",
    ]
