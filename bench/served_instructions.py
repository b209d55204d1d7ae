"""Instructions per request of a whole server process, uvicorn's own work included.

    python -m bench.served_instructions     # needs valgrind (apt-get install valgrind)

`bench.instructions` counts the app alone; a ratio to the raw app over HTTP also
holds uvicorn's work, which the app's answer changes (every response header it sends
is checked by two regular expressions). Here each server runs under
`valgrind --tool=callgrind`: the same warm-up, then FEW or MANY requests on one
keep-alive connection, and the difference of the two totals over MANY - FEW is one
request. Cases: the raw app (`bench.raw_asgi`) with the body of `/api/v1/years/2019`;
the raw app sending a hit's own headers as well; a cached `/api/v1/years/2019` and
its 304 from `enrollment-stats serve` with the default settings (the access log on).
The raw app runs with the service's server settings (no `server` header). About
eight minutes.
"""

import glob
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench.http import free_port, raw_cmd, server, service_cmd

FEW, MANY = 200, 1200
PATH = "/api/v1/years/2019"


def count(cmd: list[str], env: dict[str, str], port: int, headers: dict[str, str], n: int) -> int:
    """Instructions of a server process that answers a warm-up and then `n` requests."""
    out = Path(tempfile.mkdtemp(prefix="es-served-")) / "callgrind.out"
    proc = subprocess.Popen(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}.%p", *cmd],
        env={**os.environ, **env, "PYTHONHASHSEED": "0"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        conn = ready(port)
        for _ in range(20):  # the first fills the response cache
            ask(conn, {})
        want = 304 if "If-None-Match" in headers else 200
        for _ in range(n):
            if ask(conn, headers) != want:  # a miss or an error would be counted as a hit
                raise RuntimeError(f"{cmd}: an answer other than {want}")
        conn.close()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=300)
    totals = [
        int(m.group(1))
        for name in glob.glob(f"{out}.*")
        for m in [re.search(r"^(?:summary|totals): (\d+)", Path(name).read_text(), re.M)]
        if m
    ]
    if not totals:
        raise RuntimeError(f"{cmd}: no callgrind output")
    return max(totals)


def ready(port: int) -> http.client.HTTPConnection:
    """A connection to the server once it answers (under valgrind, a minute or two)."""
    deadline = time.monotonic() + 600
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            conn.request("GET", PATH)
            conn.getresponse().read()
            return conn
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def ask(conn: http.client.HTTPConnection, headers: dict[str, str]) -> int:
    conn.request("GET", PATH, headers=headers)
    answer = conn.getresponse()
    answer.read()
    return answer.status


def per_request(cmd: list[str], env: dict[str, str], headers: dict[str, str]) -> float:
    """(MANY - FEW) requests' instructions over their number, both runs side by side."""
    with ThreadPoolExecutor(2) as pool:
        runs = [
            pool.submit(count, cmd(port), env, port, headers, n)
            for port, n in ((free_port(), FEW), (free_port(), MANY))
        ]
        few, many = (run.result() for run in runs)
    return (many - few) / (MANY - FEW)


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="es-served-"))
    env = {"DATABASE_URL": f"sqlite:///{work / 'enrollment-stats.db'}"}
    cli = str(Path(sys.executable).parent / "enrollment-stats")
    subprocess.run([cli, "seed"], env={**os.environ, **env}, check=True, capture_output=True)
    # A hit's body and headers, from the service itself (not under valgrind).
    port = free_port()
    with server(service_cmd(port), env, port, "/ready") as base:
        httpx.get(base + PATH)  # fills the response cache
        hit = httpx.get(base + PATH)
    (work / "body.json").write_bytes(hit.content)
    sent = [(k, v) for k, v in hit.headers.multi_items() if k != "date"]
    (work / "headers.json").write_text(json.dumps(sent))
    etag = hit.headers["etag"]
    raw = {"BENCH_BODY": str(work / "body.json")}
    with_headers = {**raw, "BENCH_HEADERS": str(work / "headers.json")}
    cases = [
        ("raw app", raw_cmd, raw, {}),
        ("raw app, a hit's headers", raw_cmd, with_headers, {}),
        (f"cached {PATH}", service_cmd, env, {}),
        (f"304 {PATH}", service_cmd, env, {"If-None-Match": etag}),
    ]
    print("instructions per request of the whole server process (callgrind):")
    counted = {}
    for name, cmd, case_env, headers in cases:
        counted[name] = per_request(cmd, case_env, headers)
        print(f"  {name:<36} {counted[name]:>10,.0f}", flush=True)
    base = counted["raw app"]
    for name, *_ in cases[2:]:
        print(f"  raw app / {name:<26} {base / counted[name]:>10.1%}")


if __name__ == "__main__":
    main()
