"""Schemathesis against `enrollment-stats serve`, with a write and admin key: every
operation, positive and negative data, stateful sequences. No server errors and no
response that its OpenAPI does not document (status, content type, schema)."""

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_cli
from tests.test_cli import serving

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    ]
)


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
                "run",
                f"{base}/openapi.json",
                "--header",
                f"Authorization: Bearer {key}",
                "--checks",
                CHECKS,
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
    assert "27 passed" in done.stdout  # every operation was exercised
    print(f"schemathesis: {generated} cases generated, all passed")
