"""Hot POST routes without FastAPI's per-request machinery.

Routing, dependency solving and the exception middleware cost a plain answer more than the
rest of its request together (BENCHMARKS.md). A `FastPath` sits inside every other
middleware (rate limits, security headers, metrics and logs all still apply) in front of one
route, and lets a handler answer the plain case itself. The handler returns None for
anything it does not handle (a key to look up, a body to refuse, a retry to replay): the
request then goes on to the FastAPI route with its body, and gets the answer it always
got. Handlers call the same service as the route; errors become the same problems."""

import re
from collections.abc import Awaitable, Callable

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.errors import ProblemError
from app.middleware import replay
from app.problems import database_problem, problem_response

Handler = Callable[[Scope, re.Match[str], bytes], Awaitable[Response | None]]


class FastPath:
    def __init__(
        self, app: ASGIApp, *, route: object, pattern: re.Pattern[str], handle: Handler
    ) -> None:
        self.app = app
        self.route = route  # the FastAPI route: metrics and logs label requests with it
        self.pattern = pattern
        self.handle = handle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = (
            self.pattern.fullmatch(scope["path"])
            if scope["type"] == "http" and scope["method"] == "POST"
            else None
        )
        if match is None:
            await self.app(scope, receive, send)
            return
        body = await _read(receive)
        try:
            response = await self.handle(scope, match, body)
        except ProblemError as error:
            response = problem_response(error, scope["path"])
        except Exception as error:
            problem = database_problem(error, scope["path"])
            if problem is None:
                raise
            response = problem_response(problem, scope["path"])
        if response is None:
            await self.app(scope, replay(body, receive), send)
            return
        scope["route"] = self.route
        await response(scope, receive, send)


def header(scope: Scope, name: bytes) -> str | None:
    """A request header sent once, or None (absent, or sent several times)."""
    values = [value for key, value in scope["headers"] if key == name]
    return values[0].decode("latin-1") if len(values) == 1 else None


async def _read(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)
