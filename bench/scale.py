"""Scale-out benchmark, in one run: SQLite beside PostgreSQL (one node, two nodes),
an `as_of` flood at a million figures, and a worker's memory under many distinct
cacheable requests.

    python -m bench.scale --postgres postgresql+psycopg://user:pass@127.0.0.1/db
    python -m bench.scale --postgres URL --big     # also the 1,026,000-figure as_of runs

Needs wrk (apt-get install wrk). The PostgreSQL database should be empty: `serve`
migrates and seeds it. Everything listens on 127.0.0.1; every load is bounded.
"""

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench.http import BIN, free_port, server, service_cmd, wrk

QUIET = {"ACCESS_LOG": "false", "LOG_LEVEL": "warning"}


def reads(base: str, label: str) -> dict[str, float]:
    """Cached, 304 and cached-list reads of one node: requests/second."""
    etag = httpx.get(f"{base}/api/v1/years/2019").headers["etag"]
    httpx.get(f"{base}/api/v1/attendance")
    found = {
        "cached /years/2019": wrk(f"{base}/api/v1/years/2019")["rps"],
        "304 /years/2019": wrk(f"{base}/api/v1/years/2019", f"If-None-Match: {etag}")["rps"],
        "cached /attendance": wrk(f"{base}/api/v1/attendance")["rps"],
    }
    for name, rps in found.items():
        print(f"  {label:<12} {name:<22} {rps:>9,.0f} req/s", flush=True)
    return found


def cold(env: dict[str, str], label: str) -> float:
    port = free_port()
    with server(service_cmd(port), {**env, "RESPONSE_CACHE": "false"}, port, "/ready") as base:
        rps = wrk(f"{base}/api/v1/years/2019")["rps"]
    print(f"  {label:<12} {'cold /years/2019':<22} {rps:>9,.0f} req/s", flush=True)
    return rps


def two_nodes(env: dict[str, str]) -> float:
    """Cached /years/2019 through two `serve` processes at once (two wrk, one each)."""
    ports = [free_port(), free_port()]
    with (
        server(service_cmd(ports[0]), env, ports[0], "/ready") as a,
        server(service_cmd(ports[1]), env, ports[1], "/ready") as b,
    ):
        for base in (a, b):
            httpx.get(f"{base}/api/v1/years/2019")
        results: list[float] = []

        def load(base: str) -> None:
            results.append(wrk(f"{base}/api/v1/years/2019", connections=16)["rps"])

        threads = [threading.Thread(target=load, args=(base,)) for base in (a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    total = sum(results)
    print(f"  {'postgresql':<12} {'2 nodes, cached':<22} {total:>9,.0f} req/s", flush=True)
    return total


def memory(env: dict[str, str], budget_mb: int = 64) -> tuple[float, float]:
    """RSS (MB) of one worker before and after 1,000 distinct cacheable pages of up to
    1,000 figures each (distinct cursors), plus 1,000 requests with a parameter the
    route does not declare."""
    from app.services.pagination import encode_cursor

    port = free_port()
    with server(service_cmd(port), env, port, "/ready") as base:
        pid = _listening_pid(port)
        before = _rss_mb(pid)
        with httpx.Client(base_url=base, timeout=60) as http:
            for n in range(1000):
                page = {"limit": 1000, "cursor": encode_cursor(n * 997)}
                http.get("/api/v1/attendance", params=page).raise_for_status()
                http.get("/api/v1/attendance", params={"limit": 1000, "junk": n})
        after = _rss_mb(pid)
    print(
        f"  one worker RSS: {before:.0f} MB -> {after:.0f} MB after 2,000 requests "
        f"(cache budget {budget_mb} MB)",
        flush=True,
    )
    return before, after


def _listening_pid(port: int) -> int:
    out = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True)
    return int(out.stdout.split("pid=")[1].split(",")[0])


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def as_of_flood(db_url: str) -> list[tuple[str, bool]]:
    """At a million figures: cold as_of latency, then 24 concurrent distinct as_of
    requests while /health is timed."""
    env = {"DATABASE_URL": db_url, **QUIET, "RESPONSE_CACHE": "false"}
    port = free_port()
    goals = []
    with server(service_cmd(port), env, port, "/ready") as base:
        for url in (
            "/api/v1/years?as_of=2030-01-01T00:00:00.000001Z",
            "/api/v1/years/2010?as_of=2030-01-01T00:00:00.000001Z",
            "/api/v1/stats/changes?from=2018&to=2019&course=course-00042&as_of=2030-01-01",
            "/api/v1/stats/changes?from=2018&to=2019&as_of=2030-01-01",
        ):
            times = []
            for _ in range(20):
                t = time.perf_counter()
                httpx.get(base + url, timeout=60).raise_for_status()
                times.append((time.perf_counter() - t) * 1000)
            times.sort()
            p99 = times[-1]
            print(
                f"  as_of cold {url:<78} p50 {statistics.median(times):6.1f} ms  p99 {p99:6.1f} ms",
                flush=True,
            )
            goals.append((f"1M as_of p99 < 100 ms: {url}", p99 < 100))

    env_cached = {"DATABASE_URL": db_url, **QUIET}
    port = free_port()
    with server(service_cmd(port), env_cached, port, "/ready") as base:
        statuses: list[int] = []
        health: list[float] = []
        done = threading.Event()

        def flood(n: int) -> None:
            with httpx.Client(base_url=base, timeout=120) as http:
                for k in range(5):
                    moment = f"2029-{1 + n % 12:02d}-{1 + k:02d}T{n % 24:02d}:{k:02d}:00.{n:06d}Z"
                    statuses.append(http.get("/api/v1/years", params={"as_of": moment}).status_code)

        def probe() -> None:
            with httpx.Client(base_url=base, timeout=60) as http:
                while not done.is_set():
                    t = time.perf_counter()
                    http.get("/health").raise_for_status()
                    health.append((time.perf_counter() - t) * 1000)

        prober = threading.Thread(target=probe)
        prober.start()
        with ThreadPoolExecutor(24) as pool:
            list(pool.map(flood, range(24)))
        done.set()
        prober.join()
    health.sort()
    p99 = health[int(len(health) * 0.99)] if health else 0.0
    errors = sum(1 for s in statuses if s >= 500)
    print(
        f"  as_of flood: {len(statuses)} requests, statuses {sorted(set(statuses))}, "
        f"5xx {errors}; /health p99 {p99:.1f} ms over {len(health)} probes",
        flush=True,
    )
    goals.append(("flood: no 5xx", errors == 0))
    goals.append(("flood: /health p99 < 50 ms", p99 < 50))
    return goals


def big_database(work: Path) -> str:
    """1,026,000 figures imported through the CLI (one revision each)."""
    from bench.generate import prepare, write_csv

    db, figures = work / "big.db", work / "figures.csv"
    write_csv(figures, 2000, 27)
    prepare(db, 2000)
    t = time.perf_counter()
    subprocess.run(
        [str(BIN / "enrollment-stats"), "import", str(figures)],
        env={"DATABASE_URL": f"sqlite:///{db}", "PATH": str(BIN)},
        check=True,
        capture_output=True,
    )
    print(f"\n1,026,000 figures imported in {time.perf_counter() - t:.0f} s", flush=True)
    return f"sqlite:///{db}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", required=True, help="URL of an empty PostgreSQL database")
    parser.add_argument("--big", action="store_true", help="also the as_of runs at 1M figures")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="es-scale-"))
    sqlite_env = {"DATABASE_URL": f"sqlite:///{work / 'bench.db'}", **QUIET}
    pg_env = {"DATABASE_URL": args.postgres, **QUIET}

    found: dict[str, dict[str, float]] = {}
    for label, env in (("sqlite", sqlite_env), ("postgresql", pg_env)):
        port = free_port()
        with server(service_cmd(port), env, port, "/ready") as base:
            found[label] = reads(base, label)
        found[label]["cold /years/2019"] = cold(env, label)
    port = free_port()
    with server(service_cmd(port), pg_env, port, "/ready") as base:
        httpx.get(f"{base}/api/v1/years/2019")
        one = wrk(f"{base}/api/v1/years/2019", connections=32)["rps"]
    print(f"  {'postgresql':<12} {'1 node, cached':<22} {one:>9,.0f} req/s", flush=True)
    both = two_nodes(pg_env)

    print("\nPostgreSQL / SQLite:")
    goals = []
    for name in found["sqlite"]:
        ratio = found["postgresql"][name] / found["sqlite"][name]
        print(f"  {name:<22} {ratio:6.1%}")
        want = 0.35 if name.startswith("cold") else 0.80
        goals.append((f"PostgreSQL {name} >= {want:.0%} of SQLite", ratio >= want))
    print(f"  two nodes / one node (PostgreSQL, cached): {both / one:.2f}x")
    goals.append(("two PostgreSQL nodes >= 1.8x one (cached)", both >= 1.8 * one))
    if args.big:
        big = big_database(work)
        before, after = memory({"DATABASE_URL": big, **QUIET})
        goals.append(("1M: worker RSS grows < budget + 200 MB", after - before < 64 + 200))
        goals += as_of_flood(big)
    print("\ngoals:")
    for text, ok in goals:
        print(f"  {'met ' if ok else 'GAP '} {text}")


if __name__ == "__main__":
    main()
