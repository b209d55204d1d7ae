"""Every figure as one CSV (`/api/v1/data/figures.csv`) from a database of a million
figures: the time, the bytes, and the server's peak memory (VmHWM), in one run.

    python -m bench.generate --sqlite /tmp/big.db        # 1,026,000 figures
    python -m bench.stream --database /tmp/big.db
"""

import argparse
import os
import subprocess
import time
from pathlib import Path

import httpx

from bench.http import free_port, service_cmd


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory so far, in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", type=Path, required=True, help="a SQLite file")
    args = parser.parse_args()
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{args.database.resolve()}",
        "ACCESS_LOG": "false",
        "LOG_LEVEL": "warning",
    }
    proc = subprocess.Popen(service_cmd(port), env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("serve did not start")
            time.sleep(0.2)
        before = peak_rss_mb(proc.pid)
        started = time.perf_counter()
        size = lines = 0
        with httpx.stream("GET", f"{base}/api/v1/data/figures.csv", timeout=600) as answer:
            answer.raise_for_status()
            for chunk in answer.iter_bytes():
                size += len(chunk)
                lines += chunk.count(b"\n")
        took = time.perf_counter() - started
        print(f"figures.csv: {lines - 1:,} rows, {size / 1e6:,.1f} MB in {took:.1f} s")
        print(f"server peak RSS: {before:,.0f} MB before, {peak_rss_mb(proc.pid):,.0f} MB after")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
