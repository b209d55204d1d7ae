"""Write benchmark: what durable SQLite commits cost, measured in one run.

    python -m bench.writes            # 8 writers x 150 POSTs, SQLITE_SYNCHRONOUS=FULL then NORMAL

Each mode gets a fresh seeded database and one `serve` process on 127.0.0.1; the load
is bounded (a fixed number of POSTs of distinct figures). Prints writes/second and
latency per mode and the ratio FULL / NORMAL.
"""

import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench.http import BIN, free_port, server

WRITERS, EACH = 8, 150


def _run(mode: str, work: Path) -> dict[str, float]:
    db = work / f"{mode.lower()}.db"
    env = {
        "DATABASE_URL": f"sqlite:///{db}",
        "ACCESS_LOG": "false",
        "SQLITE_SYNCHRONOUS": mode,
        "WRITE_RATE_LIMIT": "0",
    }
    cli = str(BIN / "enrollment-stats")
    subprocess.run([cli, "seed"], env={**env, "PATH": str(BIN)}, check=True, capture_output=True)
    made = subprocess.run(
        [cli, "keys", "create", "--name", "bench", "--scope", "write"],
        env={**env, "PATH": str(BIN)},
        check=True,
        capture_output=True,
        text=True,
    )
    key = made.stdout.strip().splitlines()[-1]
    port = free_port()
    with server([cli, "serve", "--port", str(port)], env, port, "/ready") as base:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as http:
            for w in range(WRITERS):
                http.post("/api/v1/courses", json={"slug": f"w{w}", "name": f"W{w}"})

        def writer(w: int) -> list[float]:
            took = []
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as http:
                for i in range(EACH):
                    body = {
                        "course": f"w{w}",
                        "period": f"{1900 + i // 12}-{i % 12 + 1:02d}",
                        "completions": i,
                        "source_id": 1,
                    }
                    start = time.perf_counter()
                    answer = http.post("/api/v1/attendance", json=body)
                    took.append(time.perf_counter() - start)
                    assert answer.status_code == 201, answer.text
            return took

        start = time.perf_counter()
        with ThreadPoolExecutor(WRITERS) as pool:
            times = [t for ts in pool.map(writer, range(WRITERS)) for t in ts]
        wall = time.perf_counter() - start
    times.sort()
    return {
        "writes_per_s": len(times) / wall,
        "p50_ms": statistics.median(times) * 1000,
        "p99_ms": times[int(len(times) * 0.99)] * 1000,
    }


def main() -> None:
    """Measure both modes and print the comparison."""
    with tempfile.TemporaryDirectory() as tmp:
        results = {mode: _run(mode, Path(tmp)) for mode in ("FULL", "NORMAL")}
    for mode, r in results.items():
        print(
            f"synchronous={mode:<6} {r['writes_per_s']:8.0f} writes/s  "
            f"p50 {r['p50_ms']:6.1f} ms  p99 {r['p99_ms']:6.1f} ms"
        )
    ratio = results["FULL"]["writes_per_s"] / results["NORMAL"]["writes_per_s"]
    print(f"FULL / NORMAL throughput: {ratio:.2f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
