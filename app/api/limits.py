"""Request body size limits and per-key write rate limits."""

import math
import time
from collections import defaultdict, deque

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.problems import problem
from app.errors import RateLimited

IMPORT_PATH = "/api/v1/attendance/import"


class BodyLimit:
    """ASGI middleware: a body over the limit is a 413 problem, found out from
    `Content-Length` before reading, or while streaming a chunked body, so the
    whole body is never held in memory. Imports have their own, larger limit."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, import_max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.import_max_bytes = import_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.import_max_bytes if scope["path"] == IMPORT_PATH else self.max_bytes
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        seen = 0
        started = refused = False

        async def counting_receive() -> Message:
            # Over the limit: answer 413 now and tell the app the client went away.
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit and not started:
                    refused = True
                    await self._refuse(scope, receive, send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except Exception:
            if not refused:
                raise

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = problem(
            413,
            f"The request body is larger than {limit:,} bytes.",
            instance=scope["path"],
            type_="/problems/too-large",
        )
        await response(scope, receive, send)


class WriteRateLimiter:
    """At most `per_minute` writes per key in any 60 seconds, in this worker process."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self.recent: dict[int, deque[float]] = defaultdict(deque)

    def check(self, key_id: int, key_name: str) -> None:
        """Count a write, or raise 429 with the seconds until the next one may go."""
        if self.per_minute <= 0:
            return
        now = time.monotonic()
        window = self.recent[key_id]
        while window and window[0] <= now - 60:
            window.popleft()
        if len(window) >= self.per_minute:
            wait = max(1, math.ceil(window[0] + 60 - now))
            raise RateLimited(
                f"The key '{key_name}' made {self.per_minute} writes in the last minute; "
                f"retry in {wait} s.",
                retry_after=wait,
            )
        window.append(now)
