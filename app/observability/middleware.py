"""One pure ASGI middleware for request ids, request metrics and the access log line.

Pure ASGI (no BaseHTTPMiddleware) keeps the hot path to a timer, a dict lookup and two
metric updates per request."""

import logging
import random
import re
import time
import weakref
from typing import Any

from fastapi.routing import iter_route_contexts
from starlette.routing import Mount
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
    if isinstance(path, str):
        return path
    # FastAPI's router names only its own routes in the scope: plain routes (/openapi.json)
    # and mounts (/assets) are known by the endpoint they matched.
    endpoint = scope.get("endpoint")
    app = scope.get("app")
    if endpoint is not None and app is not None:
        return _endpoint_labels(app).get(id(endpoint), "unmatched")
    return "unmatched"


_labels: "weakref.WeakKeyDictionary[Any, dict[int, str]]" = weakref.WeakKeyDictionary()


def _endpoint_labels(app: Any) -> dict[int, str]:
    labels = _labels.get(app)
    if labels is None:
        labels = {}
        for route in iter_route_contexts(getattr(app, "routes", [])):
            if isinstance(route.original_route, Mount):
                labels[id(route.original_route.app)] = route.original_route.path + "/{path}"
            elif route.endpoint is not None and isinstance(route.path, str):
                labels.setdefault(id(route.endpoint), route.path)
        _labels[app] = labels
    return labels


def status_class(status: int) -> str:
    """`2xx`, `4xx`, …: the latency histogram's label, a handful of series per route
    where exact statuses multiply every route's buckets by each status a fuzzer provokes."""
    return f"{status // 100}xx"


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
            metrics.http_duration.labels(method, route, status_class(status)).observe(duration)
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
