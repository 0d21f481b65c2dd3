"""The HTTP protocol `sentio serve` runs: uvicorn's, with time limits on reading a request.

Uvicorn closes a connection idle between requests (keep-alive timeout) but gives a client
all the time it wants to send a request: a connection that sends nothing, or its headers
a byte at a time, or its body slowly, stays open and holds a slot (slowloris). Here:

- the request line and headers must arrive within `SENTIO_HEADER_TIMEOUT_SECONDS` of the
  connection opening (first request) or of the request's first byte (later ones); past it
  the server answers `408` and closes the connection;
- the body must arrive within `SENTIO_BODY_TIMEOUT_SECONDS` of the end of the headers;
  past it the connection is closed and the application sees the client as disconnected
  (nothing of a partial body is stored).
"""

import asyncio
import json
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.config import get_settings


def _request_timeout_response() -> bytes:
    body = json.dumps(
        {
            "type": "/problems/request-timeout",
            "title": "Request timeout",
            "status": 408,
            "detail": "The request's headers did not arrive in time; send them at once.",
        }
    ).encode()
    head = (
        "HTTP/1.1 408 Request Timeout\r\n"
        "content-type: application/problem+json\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


REQUEST_TIMEOUT = _request_timeout_response()


class TimedHttpProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = get_settings()
        self.header_timeout = settings.header_timeout_seconds
        self.body_timeout = settings.body_timeout_seconds
        self._read_timer: asyncio.TimerHandle | None = None

    def _arm(self, seconds: float, callback: Any) -> None:
        self._disarm()
        if seconds > 0:
            self._read_timer = self.loop.call_later(seconds, callback)

    def _disarm(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.header_timeout, self._headers_too_slow)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._read_timer is None:  # a later request on a kept-alive connection
            self._arm(self.header_timeout, self._headers_too_slow)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._arm(self.body_timeout, self._body_too_slow)

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def _headers_too_slow(self) -> None:
        self._read_timer = None
        if not self.transport.is_closing():
            self.transport.write(REQUEST_TIMEOUT)
            self.transport.close()

    def _body_too_slow(self) -> None:
        self._read_timer = None
        if not self.transport.is_closing():
            self.logger.info("closing a connection whose request body arrived too slowly")
            self.transport.close()
