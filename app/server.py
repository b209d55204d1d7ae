"""The HTTP server's protocol, with a bound on the request head (line and headers):
uvicorn's httptools protocol has none, so a client could send a header of hundreds
of megabytes and have it buffered. Over the bound the answer is 431 and the
connection is closed."""

import json

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEAD_BYTES = 64 * 1024


def _answer_431() -> bytes:
    body = json.dumps(
        {
            "type": "/problems/too-large",
            "title": "Request Header Fields Too Large",
            "status": 431,
            "detail": f"The request line and headers exceed {MAX_HEAD_BYTES:,} bytes.",
            "instance": "",
        }
    ).encode()
    head = (
        "HTTP/1.1 431 Request Header Fields Too Large\r\n"
        "content-type: application/problem+json\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode() + body


class BoundedHeadProtocol(HttpToolsProtocol):
    """httptools, counting the bytes of each request's head as they arrive."""

    _in_head = True
    _head_bytes = 0
    _events = 0  # heads and messages completed on this connection

    def on_headers_complete(self) -> None:
        """The head is whole: stop counting until the next request."""
        self._in_head, self._head_bytes = False, 0
        self._events += 1
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        """The next bytes on this connection are a new request's head."""
        self._in_head = True
        self._events += 1
        super().on_message_complete()

    def data_received(self, data: bytes) -> None:
        """Parse, then refuse a head that has grown past the bound without ending.

        Only a chunk that was head from end to end is counted (one in which a head or a
        message ended holds other bytes too), so the bound is passed by one chunk at most."""
        events = self._events
        super().data_received(data)
        if self._in_head and self._events == events and not self.transport.is_closing():
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD_BYTES:
                self.transport.write(_answer_431())
                self.transport.close()
