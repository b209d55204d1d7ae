"""The CSV examples of the OpenAPI document: the header and first rows of real answers
on the seed, kept in `csv_examples.json` beside this module.

`python -m app.api.csv_examples` makes them anew from a freshly seeded database;
tests/test_openapi_examples.py fails when the running code answers otherwise.
"""

import json
import sys
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

FILE = Path(__file__).with_name("csv_examples.json")
ROWS = 3  # the header and this many rows
# Each CSV operation of the OpenAPI document, as a request on the seed.
REQUESTS = {
    "/api/v1/attendance.csv": "/api/v1/attendance.csv",
    "/api/v1/attendance/{figure_id}.csv": "/api/v1/attendance/2.csv",
    "/api/v1/attendance/{figure_id}/revisions.csv": "/api/v1/attendance/2/revisions.csv",
    "/api/v1/audit.csv": "/api/v1/audit.csv",
    "/api/v1/courses.csv": "/api/v1/courses.csv",
    "/api/v1/courses/{slug}.csv": "/api/v1/courses/basic-sro.csv",
    "/api/v1/courses/{slug}/series.csv": "/api/v1/courses/adolescent-mental-health/series.csv",
    "/api/v1/data/{table}.csv": "/api/v1/data/figures.csv",
    "/api/v1/sources.csv": "/api/v1/sources.csv",
    "/api/v1/sources/{source_id}.csv": "/api/v1/sources/1.csv",
    "/api/v1/updates.csv": "/api/v1/updates.csv",
    "/api/v1/stats/changes.csv": "/api/v1/stats/changes.csv?from=2018&to=2019",
    "/api/v1/stats/records.csv": "/api/v1/stats/records.csv",
    "/api/v1/stats/rolling.csv": "/api/v1/stats/rolling.csv",
    "/api/v1/stats/shares.csv": "/api/v1/stats/shares.csv",
    "/api/v1/stats/totals.csv": "/api/v1/stats/totals.csv",
    "/api/v1/years.csv": "/api/v1/years.csv",
    "/api/v1/years/{year}.csv": "/api/v1/years/2019.csv",
}


@cache
def examples() -> dict[str, str]:
    """The stored examples, by the OpenAPI path of their operation."""
    found: dict[str, str] = json.loads(FILE.read_text(encoding="utf-8"))
    return found


def head(text: str) -> str:
    """The header and first rows of a CSV answer."""
    return "".join(text.splitlines(keepends=True)[: ROWS + 1])


def make(get: Callable[[str], str]) -> dict[str, str]:
    """Every example, from `get(url)`, the body of a GET on a seeded service."""
    return {path: head(get(url)) for path, url in REQUESTS.items()}


def main() -> None:
    """Write `csv_examples.json` from a new seeded database (admin key made for audit)."""
    from fastapi.testclient import TestClient

    from app.db import migrate
    from app.db.session import make_engine, make_sessionmaker, transaction
    from app.main import create_app
    from app.resources import resource_dir
    from app.services import keys, seed
    from app.settings import Settings

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'examples.db'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        with transaction(make_sessionmaker(engine, write=True)) as session:
            seed.seed(session, resource_dir("seed_data"))
            _, key = keys.create_key(session, name="examples", scopes=["write", "admin"])
        engine.dispose()
        app = create_app(Settings(database_url=url, access_log=False))
        with TestClient(app) as client:
            auth = {"Authorization": f"Bearer {key}"}

            def get(path: str) -> str:
                response = client.get(path, headers=auth if "/audit" in path else {})
                response.raise_for_status()
                return str(response.text)

            made = make(get)
        app.state.engine.dispose()
    FILE.write_text(json.dumps(made, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    sys.stdout.write(f"wrote {len(made)} examples to {FILE}\n")


if __name__ == "__main__":
    main()
