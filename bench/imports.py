"""Import benchmark: `enrollment-stats import` of ~1,000,000 synthetic figures.

    python -m bench.imports [--courses 2000] [--years 27]

Makes a migrated database with the courses and one source, writes the figures as
CSV (bench/generate.py), then runs the real CLI import once and reports its wall
time and the peak resident memory of that process.
"""

import argparse
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.generate import prepare, write_csv

REFERENCE_RAW_SECONDS = 0.8  # the machine: sqlite3 executemany of 1,000,000 rows


def raw_insert_seconds(path: Path, rows: int) -> float:
    """The machine's floor: plain `sqlite3.executemany` of `rows` ten-column rows into a
    table with no index or constraint, as in the issue's reference measurement."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(
        "CREATE TABLE t (a INTEGER, b INTEGER, c INTEGER, d INTEGER, e INTEGER, "
        "f TEXT, g TEXT, h INTEGER, i INTEGER, j TEXT)"
    )
    data = [
        (i % 2000, 1998 + i % 27, 1, 12, i % 997, "final", None, 1, 1, "2026-11-28")
        for i in range(rows)
    ]
    start = time.perf_counter()
    db.execute("BEGIN")
    db.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", data)
    db.execute("COMMIT")
    seconds = time.perf_counter() - start
    db.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--courses", type=int, default=2000)
    parser.add_argument("--years", type=int, default=27)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="es-import-"))
    db, figures = work / "bench.db", work / "figures.csv"
    prepare(db, args.courses)
    rows = write_csv(figures, args.courses, args.years)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}"}
    cli = str(Path(sys.executable).with_name("enrollment-stats"))
    start = time.perf_counter()
    done = subprocess.run(
        [cli, "import", str(figures)], env=env, capture_output=True, text=True, check=True
    )
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(done.stdout.strip())
    print(
        f"{rows:,} figures: {seconds:.1f} s, peak RSS {peak_mb:.0f} MB "
        f"({figures.stat().st_size / 1e6:.0f} MB of CSV)"
    )
    raw = raw_insert_seconds(work / "raw.db", rows)
    scaled_goal = 15 * raw / REFERENCE_RAW_SECONDS
    print(
        f"this machine's floor, sqlite3 executemany of {rows:,} plain rows: {raw:.1f} s "
        f"(issue's machine: {REFERENCE_RAW_SECONDS} s); import = {seconds / raw:.1f}x the floor"
    )
    print(f"goal: under 15 s and 600 MB: {'met' if seconds < 15 and peak_mb < 600 else 'GAP'}")
    print(
        f"goal scaled by the floor (15 s x {raw:.1f} / {REFERENCE_RAW_SECONDS}): "
        f"under {scaled_goal:.0f} s: {'met' if seconds < scaled_goal else 'GAP'}"
    )
    # The single-node issue's goals, as ratios to the floor of this run.
    ratio = seconds / raw
    print(f"goal: at most 6x the floor: {'met' if ratio <= 6 else 'GAP'} ({ratio:.1f}x)")
    print(f"stretch: at most 4x the floor: {'met' if ratio <= 4 else 'GAP'}")
    print(f"goal: peak RSS under 400 MB: {'met' if peak_mb < 400 else 'GAP'} ({peak_mb:.0f} MB)")


if __name__ == "__main__":
    main()
