"""Every figure as one CSV (`/api/v1/data/figures.csv`) and as one Parquet file
(`figures.parquet`) from a database of a million figures: the time, the bytes, and
the peak memory (VmHWM) of a server started afresh for each, in one run.

    python -m bench.generate --sqlite /tmp/big.db        # 1,026,000 figures
    python -m bench.stream --database /tmp/big.db --server-bin /tmp/prod/bin

`--server-bin` is the `bin` folder of a virtual environment the service was installed
in as a deployment installs it (`pip install -c constraints.txt .`, no extras): with
pandas installed (the test extra), pyarrow imports it the first time it builds an
array from Python values, and the server's peak grows by pandas' 35 MB too.
"""

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from bench.http import BIN, free_port, service_cmd


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory so far, in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def download(database: Path, name: str, bin_dir: Path) -> None:
    """Start a server, download `/api/v1/data/{name}`, report, stop it."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database.resolve()}",
        "ACCESS_LOG": "false",
        "LOG_LEVEL": "warning",
    }
    proc = subprocess.Popen(service_cmd(port, bin_dir=bin_dir), env=env, stdout=subprocess.DEVNULL)
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
        with tempfile.TemporaryFile() as out:
            with httpx.stream("GET", f"{base}/api/v1/data/{name}", timeout=600) as answer:
                answer.raise_for_status()
                for chunk in answer.iter_bytes():
                    out.write(chunk)
            took = time.perf_counter() - started
            size = out.tell()
            out.seek(0)
            if name.endswith(".parquet"):
                import pyarrow.parquet as pq

                rows = pq.ParquetFile(out).metadata.num_rows
            else:
                rows = sum(chunk.count(b"\n") for chunk in iter(lambda: out.read(1 << 20), b"")) - 1
        after = peak_rss_mb(proc.pid)
        print(
            f"{name}: {rows:,} rows, {size / 1e6:,.1f} MB in {took:.1f} s; server peak RSS "
            f"{before:,.0f} MB before, {after:,.0f} MB after (growth {after - before:,.0f} MB)"
        )
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", type=Path, required=True, help="a SQLite file")
    parser.add_argument(
        "--server-bin",
        type=Path,
        default=BIN,
        help="the bin folder whose enrollment-stats serves (default: this environment's)",
    )
    args = parser.parse_args()
    for name in ("figures.csv", "figures.parquet"):
        download(args.database, name, args.server_bin)


if __name__ == "__main__":
    main()
