"""The real command line: `serve` as a process answering HTTP, `migrate`, `seed`."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

CLI = str(Path(sys.executable).with_name("enrollment-stats"))


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `enrollment-stats ARGS` in `cwd` with the default (working-folder) database."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run(
        [CLI, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=True
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(cwd: Path, *args: str) -> Iterator[str]:
    """`enrollment-stats serve` in `cwd`; yields its base URL once /ready answers 200."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    proc = subprocess.Popen(
        [CLI, "serve", "--port", str(port), *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.communicate()[0]
            try:
                if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "serve did not become ready in 60 s"
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_serve_migrates_seeds_and_answers_http(tmp_path: Path) -> None:
    with serving(tmp_path) as base:
        year = httpx.get(f"{base}/api/v1/years/2019").json()
        assert (year["total"], year["months_covered"], year["complete"]) == (6730, 8, False)
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
    migrated = run_cli("migrate", cwd=tmp_path)
    assert "database at migration" in migrated.stdout
    first = run_cli("seed", cwd=tmp_path)
    assert "6 courses, 1 sources, 12 figures added" in first.stdout
    second = run_cli("seed", cwd=tmp_path)
    assert "0 courses, 0 sources, 0 figures added" in second.stdout
