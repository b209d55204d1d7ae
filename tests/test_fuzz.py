"""Schemathesis against `enrollment-stats serve`, with a write and admin key: every
operation, positive and negative data, stateful sequences, and every check it has
(`--checks all`): no server error, nothing its OpenAPI does not document (status,
content type, headers, schema), schema-violating input refused, undeclared methods
405 with an exact Allow, writes refused without a key, deleted resources gone.
`schemathesis.toml` only lists the documented statuses of schema-valid requests."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.test_cli import serving

pytestmark = pytest.mark.slow  # processes, browsers or seconds of work: not in the fast lane

CONFIG = Path(__file__).resolve().parent.parent / "schemathesis.toml"


def test_schemathesis_finds_nothing(database_url: str, tmp_path: Path) -> None:
    key = run_cli(
        "keys",
        "create",
        "--name",
        "fuzz",
        "--scope",
        "write",
        "--scope",
        "admin",
        cwd=tmp_path,
        database_url=database_url,
    ).splitlines()[-1]
    st = str(Path(sys.executable).with_name("st"))
    with serving(tmp_path, database_url=database_url) as base:
        done = subprocess.run(
            [
                st,
                "--config-file",
                str(CONFIG),
                "run",
                f"{base}/openapi.json",
                "--header",
                f"Authorization: Bearer {key}",
                "--checks",
                "all",
                "--mode",
                "all",
                "--max-examples",
                "25",
                "--no-color",
                "--seed",
                "2019",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
            cwd=tmp_path,  # its crash cache stays out of the repository
        )
    summary = done.stdout[-3000:]
    assert done.returncode == 0, summary
    counts = re.search(r"(\d+) generated, (\d+) passed", done.stdout)
    assert counts is not None, summary
    generated, passed = map(int, counts.groups())
    assert generated == passed
    assert generated > 1000
    assert "Tested: 60" in done.stdout  # every operation, the 17 CSV tables included
    print(f"schemathesis: {generated} cases generated, all passed")
