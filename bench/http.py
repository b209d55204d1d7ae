"""HTTP benchmark: this service against the stack's ceiling and Datasette, in one run.

    python -m bench.http              # needs wrk (apt-get install wrk); Datasette optional
    python -m bench.http --big        # also the aggregate endpoints at ~1,000,000 figures

Everything listens on 127.0.0.1; every load is bounded (wrk -d). Each case is
measured three times, each right after the raw ASGI app (same bytes), and judged by
the median of the three ratios; prints them with the goals of docs/performance.md,
each met or not (about four minutes).
"""

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
DURATION = "5s"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(cmd: list[str], env: dict[str, str], port: int, ready: str) -> Iterator[str]:
    """Start a server process; yield its base URL once `ready` answers 200."""
    proc = subprocess.Popen(
        cmd, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + ready, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise RuntimeError(
                f"{cmd[0]} did not start: {proc.stderr.read() if proc.stderr else ''}"
            )
        yield base
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def wrk(url: str, *headers: str, connections: int = 32) -> dict[str, float]:
    """Requests/second and latency percentiles (ms) of `wrk -t1 -c32 -d5s --latency`."""
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{DURATION}", "--latency"]
    for h in headers:
        cmd += ["-H", h]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["errors"] = float(non2xx.group(1)) if non2xx else 0.0
    for pct in ("50", "99"):
        m = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)", out)
        if m:
            value, unit = float(m.group(1)), m.group(2)
            result[f"p{pct}"] = (
                value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
            )
    return result


def service_cmd(port: int, workers: int = 1, bin_dir: Path = BIN) -> list[str]:
    return [
        str(bin_dir / "enrollment-stats"),
        *("serve", "--port", str(port), "--workers", str(workers)),
    ]


def raw_cmd(port: int) -> list[str]:
    """The raw app on uvicorn, with the service's server settings (no `server` header)."""
    return [
        str(BIN / "uvicorn"),
        "bench.raw_asgi:app",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
        "--no-server-header",
    ]


class Paired:
    """Each case measured ROUNDS times, each time right after the raw app, and judged by
    the median of those ratios: whatever else the machine runs moves both halves of a
    pair alike, where one ceiling for the whole run let a minute of load decide."""

    ROUNDS = 3

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.rows: list[tuple[str, float, float, list[float]]] = []

    def measure(self, name: str, url: str, *headers: str) -> float:
        """The median ratio of `url` to the raw app over the rounds."""
        ratios, served, ceiling = [], [], []
        for _ in range(self.ROUNDS):
            raw = wrk(self.raw)["rps"]
            ours = wrk(url, *headers)
            assert ours["errors"] == 0, f"{name}: {ours['errors']:.0f} non-2xx/3xx answers"
            ratios.append(ours["rps"] / raw)
            served.append(ours["rps"])
            ceiling.append(raw)
        row = (name, statistics.median(served), statistics.median(ceiling), ratios)
        self.rows.append(row)
        each = " ".join(f"{r:.1%}" for r in ratios)
        print(
            f"  {name:<50} {row[1]:>8,.0f} req/s  raw {row[2]:>7,.0f}  "
            f"ratio {statistics.median(ratios):>6.1%}  ({each})",
            flush=True,
        )
        return statistics.median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", action="store_true", help="also measure at ~1M figures")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="es-bench-"))
    db = work / "enrollment-stats.db"
    env = {"DATABASE_URL": f"sqlite:///{db}", "ACCESS_LOG": "false", "LOG_LEVEL": "warning"}
    cold_env = {**env, "RESPONSE_CACHE": "false"}
    print(f"requests/second, each case {Paired.ROUNDS} times right after the raw ASGI app:")

    port, raw_port = free_port(), free_port()
    # Hits with the project's default settings (the access log on), as the issue measured.
    hits_env = {"DATABASE_URL": env["DATABASE_URL"]}
    with server(service_cmd(port), hits_env, port, "/ready") as base:
        years = httpx.get(f"{base}/api/v1/years/2019")
        (work / "years.json").write_bytes(years.content)
        etag = years.headers["etag"]
        with server(raw_cmd(raw_port), {"BENCH_BODY": str(work / "years.json")}, raw_port, "/"):
            paired = Paired(f"http://127.0.0.1:{raw_port}/")
            cached_years = paired.measure("cached  /api/v1/years/2019", f"{base}/api/v1/years/2019")
            cached_changes = paired.measure(
                "cached  /api/v1/stats/changes?from=2018&to=2019",
                f"{base}/api/v1/stats/changes?from=2018&to=2019",
            )
            cached_gzip = paired.measure(
                "cached, gzip  /api/v1/stats/changes?from=2018&to=2019",
                f"{base}/api/v1/stats/changes?from=2018&to=2019",
                "Accept-Encoding: gzip",
            )
            revalidate = paired.measure(
                "304     /api/v1/years/2019", f"{base}/api/v1/years/2019", f"If-None-Match: {etag}"
            )
            attendance_rps = wrk(f"{base}/api/v1/attendance")["rps"]
            print(f"  {'cached  /api/v1/attendance (12)':<50} {attendance_rps:>8,.0f} req/s")
            cold_port = free_port()
            with server(service_cmd(cold_port), cold_env, cold_port, "/ready") as cold:
                cold1 = paired.measure(
                    "cold, 1 worker   /api/v1/years/2019", f"{cold}/api/v1/years/2019"
                )
                cold_att = paired.measure(
                    "cold, 1 worker   /api/v1/attendance", f"{cold}/api/v1/attendance"
                )
                cold_att_rps = paired.rows[-1][1]
            cold_port = free_port()
            with server(service_cmd(cold_port, workers=2), cold_env, cold_port, "/ready") as cold:
                cold2 = paired.measure(
                    "cold, 2 workers  /api/v1/years/2019", f"{cold}/api/v1/years/2019"
                )
            ceiling = statistics.median(row[2] for row in paired.rows)

    datasette = None
    if (BIN / "datasette").exists():
        port = free_port()
        ds_cmd = [str(BIN / "datasette"), "serve", str(db), "--port", str(port), "-i", str(db)]
        with server(ds_cmd, {}, port, "/-/versions.json") as base:
            datasette = wrk(f"{base}/enrollment-stats/figures.json?_shape=objects&_size=100")["rps"]
            print(f"  {'Datasette: the 12 figures as JSON':<50} {datasette:>8,.0f} req/s")

    goals = [
        ("cached /years/2019 >= 25% of raw ASGI", cached_years >= 0.25),
        ("cached /stats/changes >= 25% of raw ASGI", cached_changes >= 0.25),
        ("304 revalidation >= 30% of raw ASGI", revalidate >= 0.30),
        ("cold /years/2019 >= 1,500 req/s at one worker", cold1 * ceiling >= 1500),
        (
            # The reference machine has a 36,000 req/s ceiling; this one is slower.
            "cold /years/2019 >= 1,500/36,000 of raw ASGI (the goal scaled by the ceiling)",
            cold1 >= 1500 / 36000,
        ),
        ("two workers >= 1.8x one (cold)", cold2 >= 1.8 * cold1),
    ]
    # The single-node issue's goals: median ratios to the raw ASGI app.
    goals += [
        ("cached /years/2019 >= 50% of raw ASGI", cached_years >= 0.50),
        ("cached /stats/changes >= 50% of raw ASGI", cached_changes >= 0.50),
        # compressed once, when stored: a gzip hit sends stored bytes like any hit
        ("cached gzip /stats/changes >= 50% of raw ASGI", cached_gzip >= 0.50),
        ("304 revalidation >= 60% of raw ASGI", revalidate >= 0.60),
        ("cold /years/2019 >= 10% of raw ASGI", cold1 >= 0.10),
        ("cold /attendance >= 6% of raw ASGI", cold_att >= 0.06),
    ]
    if datasette is not None:
        goals.append(("/attendance >= 3x Datasette (cached)", attendance_rps >= 3 * datasette))
        goals.append(("/attendance >= 3x Datasette (cold)", cold_att_rps >= 3 * datasette))
    if args.big:
        goals += big(work)
    print("\ngoals:")
    for text, ok in goals:
        print(f"  {'met ' if ok else 'GAP '} {text}")


def big(work: Path) -> list[tuple[str, bool]]:
    """Aggregate endpoints, cold, at ~1,000,000 figures."""
    from bench.generate import write_sqlite

    db = work / "big.db"
    t = time.perf_counter()
    n = write_sqlite(db, 2000, 27)
    print(f"\n{n:,} figures generated in {time.perf_counter() - t:.0f} s")
    env = {
        "DATABASE_URL": f"sqlite:///{db}",
        "ACCESS_LOG": "false",
        "LOG_LEVEL": "warning",
        "RESPONSE_CACHE": "false",
    }
    port = free_port()
    with server(service_cmd(port), env, port, "/ready") as base:
        series = wrk(f"{base}/api/v1/courses/course-00042/series", connections=4)
        one = wrk(
            f"{base}/api/v1/stats/changes?from=2023&to=2024&course=course-00042", connections=4
        )
        timings = []
        for _ in range(5):
            t = time.perf_counter()
            httpx.get(
                f"{base}/api/v1/stats/changes?from=2023&to=2024", timeout=60
            ).raise_for_status()
            timings.append(time.perf_counter() - t)
    print(
        f"  series, one course, cold        p50 {series['p50']:.1f} ms  p99 {series['p99']:.1f} ms"
    )
    print(f"  changes, one course, cold       p50 {one['p50']:.1f} ms  p99 {one['p99']:.1f} ms")
    print(
        f"  changes, all 2,000 courses      best {min(timings):.2f} s  worst {max(timings):.2f} s"
    )
    return [
        ("1M: series p99 < 50 ms cold", series["p99"] < 50),
        ("1M: one-course changes p99 < 50 ms cold", one["p99"] < 50),
        ("1M: all-course changes < 1 s cold", max(timings) < 1),
    ]


if __name__ == "__main__":
    main()
