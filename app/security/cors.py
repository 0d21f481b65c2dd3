"""CORS for answers sent with publishable keys (`/v1/browser/…`).

A preflight carries no key, so it is answered for any origin; the request itself is then
refused (403) unless its `Origin` is one of the key's allowed origins. No cookies are
involved (`Access-Control-Allow-Credentials` is never sent): the key in the request is
the whole credential."""

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.responses.browser import BROWSER_PREFIX

ALLOW_HEADERS = "Authorization, Content-Type, Idempotency-Key"


class BrowserCORS:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(BROWSER_PREFIX):
            await self.app(scope, receive, send)
            return
        origin = next((v for k, v in scope["headers"] if k == b"origin"), None)
        if origin is None:
            await self.app(scope, receive, send)
            return
        headers = {"Access-Control-Allow-Origin": origin.decode("latin-1"), "Vary": "Origin"}
        if scope["method"] == "OPTIONS":
            headers |= {
                "Access-Control-Allow-Methods": "POST",
                "Access-Control-Allow-Headers": ALLOW_HEADERS,
                "Access-Control-Max-Age": "600",
            }
            await Response(status_code=204, headers=headers)(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    *((k.lower().encode(), v.encode("latin-1")) for k, v in headers.items()),
                ]
            await send(message)

        await self.app(scope, receive, send_with_cors)
