"""CORS for the public answer API only: browsers on the configured origins may call
`/v1/public/*`; every other path stays closed to cross-origin scripts."""

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

PUBLIC_PREFIX = "/v1/public/"


class PublicCORS:
    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=origins,
            allow_methods=["POST"],
            allow_headers=["Content-Type", "Idempotency-Key"],
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PUBLIC_PREFIX):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
