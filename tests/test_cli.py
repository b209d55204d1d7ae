"""The real command line: `serve` as a process answering HTTP, `migrate`, `seed`."""

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import CLI, run_cli

pytestmark = pytest.mark.slow  # processes, browsers or seconds of work: not in the fast lane


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served(str):
    """A served instance's base URL, with its process (`proc`)."""

    proc: "subprocess.Popen[bytes]"


@contextmanager
def serving(
    cwd: Path, *args: str, database_url: str | None = None, env: dict[str, str] | None = None
) -> Iterator[Served]:
    """`enrollment-stats serve` in `cwd`; yields its base URL once /ready answers 200.

    Its output goes to `serve-<port>.log` in `cwd`: a pipe nobody reads would fill
    up and stop the server in the middle of a busy test.
    """
    port = free_port()
    given = env or {}
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | given
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    log = cwd / f"serve-{port}.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [CLI, "serve", "--port", str(port), *args],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "serve did not become ready in 60 s"
            time.sleep(0.2)
        served = Served(base)
        served.proc = proc
        yield served
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_serve_migrates_seeds_and_answers_http(tmp_path: Path) -> None:
    with serving(tmp_path) as base:
        answer = httpx.get(f"{base}/api/v1/years/2019")
        year = answer.json()
        assert (year["total"], year["months_covered"], year["complete"]) == (6730, 8, False)
        assert "date" in answer.headers
        assert "server" not in answer.headers  # no software named (docs/deployment.md)
        assert httpx.get(f"{base}/api/v1/years/2018").json()["total"] == 3950
        missing = httpx.get(f"{base}/api/v1/courses/nope")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        home = httpx.get(f"{base}/", follow_redirects=False)
        assert home.status_code in (302, 307)
    assert (tmp_path / "enrollment-stats.db").is_file()

    # A second start on the same file neither re-seeds nor loses anything.
    with serving(tmp_path) as base:
        assert httpx.get(f"{base}/api/v1/attendance").json()["total"] == 12


def test_migrate_then_seed_twice(tmp_path: Path) -> None:
    assert "database at migration" in run_cli("migrate", cwd=tmp_path)
    assert "6 courses, 1 sources, 12 figures added" in run_cli("seed", cwd=tmp_path)
    assert "0 courses, 0 sources, 0 figures added" in run_cli("seed", cwd=tmp_path)


def test_export_round_trips_through_import(tmp_path: Path) -> None:
    run_cli("seed", cwd=tmp_path)
    out = tmp_path / "figures.csv"
    run_cli("export", "--output", str(out), cwd=tmp_path)
    lines = out.read_text().splitlines()
    assert lines[0] == "course,period,completions,status,note,source_id"
    assert len(lines) == 13
    assert "basic-sro,2019-01/2019-08,2516,final,,1" in lines
    again = run_cli("import", str(out), "--mode", "upsert", cwd=tmp_path)
    assert "imported 12 rows: 0 created, 0 revised, 12 unchanged" in again


def test_import_file_all_or_nothing(tmp_path: Path) -> None:
    run_cli("seed", cwd=tmp_path)
    good = tmp_path / "good.json"
    good.write_text(
        '[{"course": "basic-sro", "period": "2019-09/2019-12", "completions": 600, "source_id": 1}]'
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "course,period,completions,source_id\n"
        "advanced-sro,2019-09/2019-12,200,1\n"
        "sro-management,2019-09/2019-12,-5,1\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    failed = subprocess.run(
        [CLI, "import", str(bad)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert failed.returncode == 2
    assert "row 2, completions" in failed.stderr
    assert "nothing was stored" in failed.stderr
    assert "imported 1 rows: 1 created" in run_cli("import", str(good), cwd=tmp_path)
    exported = run_cli("export", cwd=tmp_path)
    assert "basic-sro,2019-09/2019-12,600" in exported
    assert "advanced-sro,2019-09/2019-12" not in exported


def test_keys_list_and_revoke(tmp_path: Path) -> None:
    key = run_cli("keys", "create", "--name", "office", "--scope", "write", cwd=tmp_path)
    plaintext = key.splitlines()[-1]
    assert plaintext.startswith("esk_")
    listed = run_cli("keys", "list", "--json", cwd=tmp_path)
    assert '"name": "office"' in listed
    assert plaintext not in listed
    assert plaintext[:12] in listed
    run_cli("keys", "revoke", plaintext[:12], cwd=tmp_path)
    assert '"revoked_at": null' not in run_cli("keys", "list", "--json", cwd=tmp_path)
