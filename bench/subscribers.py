"""1,000 idle subscribers of `/api/v1/updates/stream` on one worker: its memory, and
the cached `/api/v1/years/2019` rate beside them, against the same worker without
them, in one run (needs wrk).

    python -m bench.subscribers                 # 1,000 subscribers, 3 rounds
    python -m bench.subscribers --subscribers 2000

Each round measures the rate without subscribers, opens them all (each has heard
its first event), measures again, and lets them go. Peak RSS (VmHWM) before the first
subscriber and after the last round gives the memory they cost.
"""

import argparse
import asyncio
import statistics
import tempfile
from pathlib import Path

from bench.http import free_port, server, service_cmd, wrk
from bench.stream import peak_rss_mb

REQUEST = b"GET /api/v1/updates/stream HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n"


async def _subscribe(port: int) -> asyncio.StreamWriter:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(REQUEST)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head[:80]
    await reader.readuntil(b"event: version")  # its first event: it is subscribed
    return writer


async def _open(port: int, count: int) -> list[asyncio.StreamWriter]:
    """`count` subscribers, each having heard its first event."""
    writers: list[asyncio.StreamWriter] = []
    for start in range(0, count, 100):  # a hundred at a time: the backlog holds them
        writers += await asyncio.gather(
            *(_subscribe(port) for _ in range(start, min(start + 100, count)))
        )
    return writers


def _rate(url: str) -> float:
    return wrk(url)["rps"]


async def _round(port: int, count: int, url: str) -> tuple[float, float]:
    """The rate without subscribers, then beside `count` of them (idle, held open)."""
    loop = asyncio.get_running_loop()
    without = await loop.run_in_executor(None, _rate, url)
    writers = await _open(port, count)
    with_them = await loop.run_in_executor(None, _rate, url)
    for writer in writers:
        writer.close()
    return without, with_them


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="es-subscribers-"))
    env = {
        "DATABASE_URL": f"sqlite:///{work / 'es.db'}",
        "ACCESS_LOG": "false",
        "LOG_LEVEL": "warning",
        "EVENTS_MAX_SUBSCRIBERS": str(args.subscribers),
    }
    port = free_port()
    with server(service_cmd(port), env, port, "/ready") as base:
        url = f"{base}/api/v1/years/2019"
        pid = _pid(port)
        wrk(url)  # warm: the answer cached, the worker's pools grown
        before = peak_rss_mb(pid)
        rounds = [asyncio.run(_round(port, args.subscribers, url)) for _ in range(args.rounds)]
        after = peak_rss_mb(pid)
    ratios = [with_them / without for without, with_them in rounds]
    for i, (without, with_them) in enumerate(rounds, 1):
        print(f"round {i}: /years/2019 {without:,.0f} req/s alone, {with_them:,.0f} beside them")
    print(
        f"{args.subscribers:,} subscribers: peak RSS {before:,.0f} MB before, {after:,.0f} MB "
        f"after (growth {after - before:,.0f} MB); cached /years/2019 beside them at "
        f"{statistics.median(ratios):.1%} of its rate alone (median of {args.rounds})"
    )
    print(f"goal: growth under 50 MB: {'met' if after - before < 50 else 'GAP'}")
    print(f"goal: rate within 10%: {'met' if statistics.median(ratios) >= 0.9 else 'GAP'}")


def _pid(port: int) -> int:
    """The worker's pid: the process listening on `port` (one worker: uvicorn itself)."""
    import subprocess

    out = subprocess.run(
        ["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True, check=True
    ).stdout
    return int(out.split("pid=")[1].split(",")[0])


if __name__ == "__main__":
    main()
