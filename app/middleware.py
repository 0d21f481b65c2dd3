"""Pure ASGI middleware (no per-request task overhead): body size and content type."""

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import PayloadTooLarge, ProblemError, UnsupportedMediaType
from app.problems import problem_response

BODY_METHODS = {"POST", "PUT", "PATCH"}


class RequestGuard:
    """Refuses bodies over `max_body_bytes` (413) and non-JSON bodies on the JSON API (415)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, json_prefixes: tuple[str, ...]) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.json_prefixes = json_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        try:
            self._check_headers(scope, headers)
        except ProblemError as error:
            await problem_response(error, scope["path"])(scope, receive, send)
            return

        if "content-length" in headers:
            # The server holds the body to its declared length, checked above.
            await self.app(scope, receive, send)
            return
        # A streamed body of unknown length is read here, up to the limit, then replayed.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_body_bytes:
                error = PayloadTooLarge(
                    f"The request body is larger than {self.max_body_bytes} bytes."
                )
                await problem_response(error, scope["path"])(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, replay(b"".join(chunks), receive), send)

    def _check_headers(self, scope: Scope, headers: dict[str, str]) -> None:
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
            raise PayloadTooLarge(f"The request body is larger than {self.max_body_bytes} bytes.")
        has_body = (length is not None and length != "0") or "transfer-encoding" in headers
        if has_body and scope["path"].startswith(self.json_prefixes):
            media_type = headers.get("content-type", "").split(";")[0].strip().lower()
            if media_type != "application/json" and not media_type.endswith("+json"):
                raise UnsupportedMediaType(
                    "Send the request body as JSON with 'Content-Type: application/json'."
                )


def replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives an app the body already read from `receive`, then goes on."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


def _headers(scope: Scope) -> dict[str, Any]:
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
