"""Security headers on every response (pure ASGI), never replacing one a route has set.

- `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer`
  (link pages hold tokens in their URLs, which must not leak to other sites);
- `Strict-Transport-Security` only when the request came over TLS (after trusted-proxy
  handling): over plain HTTP the header is meaningless and would be ignored;
- a `Content-Security-Policy` on HTML pages (the link pages set their own, stricter one
  with nonces, which is kept), and `default-src 'none'` on everything else;
- `Cache-Control: no-store` on API answers, which carry customer data, unless set.
The interactive API docs (/docs) get the page policy plus `connect-src 'self'`: Swagger UI
reads /openapi.json and sends "try it out" requests to this server, nowhere else."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"
DOCS_CSP = PAGE_CSP + "; connect-src 'self'"
DOCS_PATHS = ("/docs",)


class SecurityHeaders:
    def __init__(self, app: ASGIApp, hsts_max_age: int = 31_536_000) -> None:
        self.app = app
        self.hsts = f"max-age={hsts_max_age}; includeSubDomains".encode() if hsts_max_age else b""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        tls = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self._add(list(message.get("headers", [])), path, tls)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _add(
        self, headers: list[tuple[bytes, bytes]], path: str, tls: bool
    ) -> list[tuple[bytes, bytes]]:
        present = {name.lower() for name, _ in headers}
        content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")

        def default(name: bytes, value: bytes) -> None:
            if name not in present:
                headers.append((name, value))

        default(b"x-content-type-options", b"nosniff")
        default(b"x-frame-options", b"DENY")
        default(b"referrer-policy", b"no-referrer")
        if tls and self.hsts:
            default(b"strict-transport-security", self.hsts)
        if path.startswith(DOCS_PATHS):
            csp = DOCS_CSP
        elif content_type.startswith(b"text/html"):
            csp = PAGE_CSP
        else:
            csp = API_CSP
        default(b"content-security-policy", csp.encode())
        if path.startswith("/v1/"):
            default(b"cache-control", b"no-store")
        return headers
