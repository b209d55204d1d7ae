"""The ceiling of the stack: a bare ASGI app answering every request with the same bytes.

The bytes come from the file named by BENCH_BODY (a response saved from the service),
so both servers send identical bodies. With BENCH_HEADERS (a JSON list of name and
value pairs, a response's headers) it sends those headers too.
"""

import json
import os
from pathlib import Path
from typing import Any

BODY = Path(os.environ.get("BENCH_BODY", "/dev/null")).read_bytes()
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]
if os.environ.get("BENCH_HEADERS"):
    HEADERS = [
        (name.lower().encode(), value.encode())
        for name, value in json.loads(Path(os.environ["BENCH_HEADERS"]).read_text())
    ]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answer 200 with BODY."""
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
