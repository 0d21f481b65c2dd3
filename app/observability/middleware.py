"""One pure ASGI middleware for request ids, request metrics and the access log line.

Pure ASGI (no BaseHTTPMiddleware) keeps the hot path to a timer, a dict lookup and two
metric updates per request."""

import logging
import random
import re
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.observability import metrics
from app.observability.logs import request_id

access_log = logging.getLogger("sentio.access")

REQUEST_ID_HEADER = b"x-request-id"
_VALID_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,128}$")


def route_of(scope: Scope) -> str:
    """The matched route's template (`/v1/responses/{response_id}`), never the raw path,
    so labels stay few and paths holding tokens are not recorded."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = None
        for name, value in scope["headers"]:
            if name == REQUEST_ID_HEADER:
                rid = value if _VALID_ID.match(value) else None
                break
        # A request id names a request in logs; it is no secret, so no system call for it.
        rid_text = rid.decode("ascii") if rid else f"{random.getrandbits(128):032x}"
        token = request_id.set(rid_text)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER, rid_text.encode("ascii")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            duration = time.perf_counter() - started
            route = route_of(scope)
            method = scope["method"]
            metrics.http_requests.labels(method, route, status).inc()
            metrics.http_duration.labels(method, route, status).observe(duration)
            access_log.info(
                "%s %s %s %.1fms",
                method,
                route,
                status,
                duration * 1000,
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(duration * 1000, 2),
                },
            )
            request_id.reset(token)
