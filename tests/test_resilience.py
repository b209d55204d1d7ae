"""Concurrent writers against `serve --workers 2`, and a server killed mid-import."""

import os
import signal
import sqlite3
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from threading import Event

import httpx
import pytest

from bench.generate import prepare, write_csv
from tests.conftest import CLI, Keys, on_postgres

pytestmark = pytest.mark.slow  # processes, browsers or seconds of work: not in the fast lane


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_eight_writers_store_all_2000_figures_while_reads_go_on(
    served: tuple[str, Keys],
) -> None:
    base, keys = served
    with httpx.Client(base_url=base, headers=bearer(keys.write), timeout=60) as http:
        for w in range(8):
            made = http.post("/api/v1/courses", json={"slug": f"load-{w}", "name": f"Load {w}"})
            assert made.status_code == 201

    def writer(w: int) -> list[int]:
        statuses = []
        with httpx.Client(base_url=base, headers=bearer(keys.write), timeout=60) as http:
            for i in range(250):
                year, month = 2000 + i // 12, i % 12 + 1
                body = {
                    "course": f"load-{w}",
                    "period": f"{year}-{month:02d}",
                    "completions": i,
                    "source_id": 1,
                }
                statuses.append(http.post("/api/v1/attendance", json=body).status_code)
        return statuses

    done = Event()

    def reader() -> list[int]:
        statuses = []
        with httpx.Client(base_url=base, timeout=60) as http:
            while not done.is_set():
                statuses.append(http.get("/api/v1/years/2019").status_code)
        return statuses

    with ThreadPoolExecutor(max_workers=9) as pool:
        reads = pool.submit(reader)
        writes = list(pool.map(writer, range(8)))
        done.set()
    statuses = [s for w in writes for s in w]
    assert len(statuses) == 2000
    assert set(statuses) == {201}
    read_statuses = reads.result()
    assert len(read_statuses) > 10
    assert set(read_statuses) == {200}
    total = httpx.get(f"{base}/api/v1/attendance", params={"limit": 1}).json()["total"]
    assert total == 12 + 2000
    series = httpx.get(f"{base}/api/v1/courses/load-3/series").json()["items"]
    assert series[0] == {
        "year": 2000,
        "total": sum(range(12)),
        "months_covered": 12,
        "complete": True,
        "months_label": "Jan–Dec",
    }


def test_eight_concurrent_posts_of_one_period_store_one(served: tuple[str, Keys]) -> None:
    base, keys = served
    body = {"course": "basic-sro", "period": "2019-09/2019-12", "completions": 600, "source_id": 1}

    def post(_: int) -> int:
        return httpx.post(
            f"{base}/api/v1/attendance", json=body, headers=bearer(keys.write)
        ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(post, range(8)))
    assert statuses == [201] + [409] * 7
    rows = httpx.get(f"{base}/api/v1/attendance", params={"course": "basic-sro"}).json()["items"]
    assert [r["period"] for r in rows].count("2019-09/2019-12") == 1


@pytest.mark.skipif(on_postgres(), reason="checks the SQLite file itself")
def test_sigkill_in_the_middle_of_an_import_leaves_all_or_nothing(tmp_path: Path) -> None:
    db, figures = tmp_path / "crash.db", tmp_path / "figures.csv"
    prepare(db, 300)
    rows = write_csv(figures, 300, 27)  # 153,900 figures: several seconds of work
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}"}

    wal = db.with_name(db.name + "-wal")
    proc = subprocess.Popen(
        [CLI, "import", str(figures)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    # The event: the import is storing (its uncommitted rows fill the write-ahead log).
    # It commits once, at the end, with far more than this in the log.
    while proc.poll() is None and not (wal.exists() and wal.stat().st_size > 4 << 20):
        time.sleep(0.001)
    assert proc.poll() is None, "the import ended before it stored anything"
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    def state() -> tuple[str, int, int]:
        con = sqlite3.connect(db)
        try:
            ok = con.execute("PRAGMA integrity_check").fetchone()[0]
            figures_n = con.execute("SELECT count(*) FROM figures").fetchone()[0]
            revisions_n = con.execute("SELECT count(*) FROM figure_revisions").fetchone()[0]
        finally:
            con.close()
        return ok, figures_n, revisions_n

    assert state() == ("ok", 0, 0)  # killed before its single commit: nothing stored
    # The database still works: the same import now goes through whole.
    subprocess.run(
        [CLI, "import", str(figures), "--mode", "upsert"], env=env, check=True, capture_output=True
    )
    assert state() == ("ok", rows, 0)  # new figures: their one vintage is in `figures`
