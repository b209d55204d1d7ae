"""Instructions per request, counted by callgrind: deterministic where the clock is not.

    python -m bench.instructions            # needs valgrind (apt-get install valgrind)

The app is called in process (no server, no sockets) on a seeded SQLite file, the way
uvicorn calls it. For each case, two runs under `valgrind --tool=callgrind` make the
same warm-up requests and then 100 or 600 more; the difference of their totals over 500
is what one request costs, start-up and warm-up cancelled out. Hits run with the
default settings (the access log on, written to a pipe), cold reads with the
response cache off and the access log off, as `bench.http` measures them. Each case
takes about two minutes (two runs side by side).

`APP_ROOT=/path/to/an/older/checkout python -m bench.instructions` counts another
version of the app with the same cases, for before-and-after figures.
"""

import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent.parent
ROOT = Path(os.environ.get("APP_ROOT", HERE))
FEW, MANY = 100, 600
CASES = {
    "cached /api/v1/years/2019": ("/api/v1/years/2019", "hit"),
    "304 /api/v1/years/2019": ("/api/v1/years/2019", "304"),
    "cached /api/v1/stats/changes": ("/api/v1/stats/changes?from=2018&to=2019", "hit"),
    "cold /api/v1/years/2019": ("/api/v1/years/2019", "cold"),
    "cold /api/v1/attendance": ("/api/v1/attendance", "cold"),
}


def inner(database: str, target: str, mode: str, count: int) -> None:
    """Run in the measured process: warm up, then `count` requests."""
    sys.path.insert(0, str(ROOT))
    os.environ["ACCESS_LOG"] = "false" if mode == "cold" else "true"
    os.environ["RESPONSE_CACHE"] = "false" if mode == "cold" else "true"
    from app.main import create_app
    from app.settings import Settings

    app = create_app(Settings(database_url=f"sqlite:///{database}"))
    path, _, query = target.partition("?")
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    def scope(headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
        return {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": query.encode(),
            "headers": [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"wrk"), *headers],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }

    async def run() -> None:
        async with app.router.lifespan_context(app):
            await app(scope([]), receive, send)
            etag = dict(sent[0]["headers"])[b"etag"]
            headers = [(b"if-none-match", etag)] if mode == "304" else []
            want = 304 if mode == "304" else 200
            for _ in range(20 + count):
                sent.clear()
                await app(scope(headers), receive, send)
                assert sent[0]["status"] == want, sent[0]

    asyncio.run(run())


def count(database: Path, target: str, mode: str, requests: int) -> int:
    """Instructions of one process making the warm-up requests and `requests` more."""
    cmd = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        "-m",
        "bench.instructions",
        "--inner",
        str(database),
        target,
        mode,
        str(requests),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE, check=False)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(done.stderr[-3000:])
    return int(found.group(1))


def main() -> None:
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is needed: apt-get install valgrind")
    work = Path(tempfile.mkdtemp(prefix="es-instructions-"))
    database = work / "enrollment-stats.db"
    cli = Path(sys.executable).parent / "enrollment-stats"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    subprocess.run([str(cli), "seed"], env=env, check=True, capture_output=True)
    print(f"app at {ROOT}; instructions per request (callgrind, in process):")
    for name, (target, mode) in CASES.items():
        with ThreadPoolExecutor(2) as pool:
            runs = [pool.submit(count, database, target, mode, n) for n in (FEW, MANY)]
            few, many = (run.result() for run in runs)
        print(f"  {name:<32} {(many - few) / (MANY - FEW):>10,.0f}", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--inner"]:
        inner(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        main()
