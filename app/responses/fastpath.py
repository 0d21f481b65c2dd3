"""`POST /v1/surveys/{id}/responses` without FastAPI's per-request machinery.

The ingest hot path: routing, dependency solving and exception middleware cost more than
the rest of a plain answer together (BENCHMARKS.md). This pure ASGI layer sits inside every
other middleware (rate limits, security headers, metrics and logs all still apply) and
answers the plain case itself: a key verified moments ago with the right scope, a body the
route's own model accepts, an Idempotency-Key seen for the first time. Everything else (a
key to look up, a body to refuse, a key to replay) goes on to the FastAPI route, which
gives the same answer it always gives. Both call the same `ingest.submit`."""

import re
import uuid

from pydantic import ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from app.auth.dependencies import cached_principal
from app.auth.service import key_digest
from app.errors import ProblemError
from app.idempotency.dependencies import claim, respond
from app.middleware import replay
from app.problems import database_problem, problem_response
from app.responses import ingest
from app.responses.schemas import ResponseCreate

ROUTE = "/v1/surveys/{survey_id}/responses"
PATH = re.compile(r"/v1/surveys/([0-9a-fA-F-]{32,36})/responses")
SCOPE = "responses:write"


class IngestFastPath:
    def __init__(self, app: ASGIApp, route: object) -> None:
        self.app = app
        self.route = route  # the FastAPI route: metrics and logs label answers with it

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = (
            PATH.fullmatch(scope["path"])
            if scope["type"] == "http" and scope["method"] == "POST"
            else None
        )
        if match is None:
            await self.app(scope, receive, send)
            return
        body = await _read(receive)
        answer = _plain_answer(scope, match.group(1), body)
        if answer is not None:
            scope["route"] = self.route
            try:
                outcome = await ingest.submit(answer)
            except ProblemError as error:
                await problem_response(error, scope["path"])(scope, receive, send)
                return
            except Exception as error:
                problem = database_problem(error, scope["path"])
                if problem is None:
                    raise
                await problem_response(problem, scope["path"])(scope, receive, send)
                return
            if outcome is not ingest.SEEN_BEFORE:
                await respond(outcome)(scope, receive, send)
                return
        await self.app(scope, replay(body, receive), send)


def _plain_answer(scope: Scope, survey_id: str, body: bytes) -> ingest.NewAnswer | None:
    """The answer, when nothing about the request needs the full route; else None."""
    authorization = key = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            authorization = value.decode("latin-1")
        elif name == b"idempotency-key":
            if key is not None:
                return None
            key = value.decode("latin-1")
    try:
        principal = cached_principal(key_digest(authorization))
        if principal is None:
            return None
        principal.require(SCOPE)
        data = ResponseCreate.model_validate_json(body)
        survey = uuid.UUID(survey_id)
        caller = str(principal.key_id)
        claimed = (
            claim("POST", ROUTE, scope["path"], body, caller, key) if key is not None else None
        )
    except (ProblemError, ValidationError, ValueError):
        return None
    return ingest.NewAnswer(principal.project_id, survey, data, claimed)


async def _read(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)
