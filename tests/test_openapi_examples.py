"""The OpenAPI document describes every property, and its CSV examples are what the
service really answers on the seed."""

import csv
import io

from fastapi.testclient import TestClient

from app.api import csv_examples
from tests.conftest import Keys
from tests.test_writes import bearer

MOMENTS = {"recorded_at", "created_at", "updated_at", "at"}  # differ from one install to another


def rows(text: str) -> list[dict[str, str]]:
    """A CSV table with its moments masked (present or not, never their value)."""
    table = list(csv.DictReader(io.StringIO(text)))
    return [{k: ("<moment>" if k in MOMENTS and v else v) for k, v in r.items()} for r in table]


def test_every_property_of_every_schema_is_described(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    undescribed = [
        f"{name}.{prop}"
        for name, schema in schemas.items()
        for prop, value in (schema.get("properties") or {}).items()
        if not value.get("description")
    ]
    assert undescribed == []
    assert len(schemas) > 30  # the answers, the inputs and the problem


def test_each_csv_example_is_the_head_of_the_real_answer(client: TestClient, keys: Keys) -> None:
    spec = client.get("/openapi.json").json()
    shown = {
        path: item["get"]["responses"]["200"]["content"]["text/csv"].get("example")
        for path, item in spec["paths"].items()
        # the CSV operations (`{path}.csv`); a JSON answer also lists text/csv by Accept
        if list(item.get("get", {}).get("responses", {}).get("200", {}).get("content", {}))
        == ["text/csv"]
    }
    assert set(shown) == set(csv_examples.REQUESTS)  # every CSV operation has one

    def get(url: str) -> str:
        response = client.get(url, headers=bearer(keys.admin) if "/audit" in url else {})
        assert response.status_code == 200, (url, response.text)
        return response.text

    real = csv_examples.make(get)
    for path, example in shown.items():
        assert example is not None, path
        # The header exactly (names and order), then the first rows, moments aside.
        assert example.splitlines()[0] == real[path].splitlines()[0], (
            f"{path}: run `python -m app.api.csv_examples`"
        )
        assert rows(example) == rows(real[path]), path
