"""Import benchmark: `enrollment-stats import` of ~1,000,000 synthetic figures.

    python -m bench.imports [--courses 2000] [--years 27]

Makes a migrated database with the courses and one source, writes the figures as
CSV (bench/generate.py), then runs the real CLI import once and reports its wall
time and the peak resident memory of that process.
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.generate import prepare, write_csv


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
    print(f"goal: under 15 s and 600 MB: {'met' if seconds < 15 and peak_mb < 600 else 'GAP'}")


if __name__ == "__main__":
    main()
