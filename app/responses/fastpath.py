"""`POST /v1/surveys/{id}/responses` on the fast path (app/fastpath.py).

It answers the plain case itself: a key verified moments ago with the right scope, a body
the route's own model accepts, an Idempotency-Key seen for the first time. Everything else
(a key to look up, a body to refuse, a key to replay) goes on to the FastAPI route. Both call
`ingest.submit`."""

import re
import uuid

from pydantic import ValidationError
from starlette.responses import Response
from starlette.types import Scope

from app.auth.dependencies import cached_principal
from app.auth.service import key_digest
from app.errors import ProblemError
from app.fastpath import header
from app.idempotency.dependencies import claim, respond
from app.responses import ingest
from app.responses.schemas import ResponseCreate

ROUTE = "/v1/surveys/{survey_id}/responses"
PATH = re.compile(r"/v1/surveys/([0-9a-fA-F-]{32,36})/responses")
SCOPE = "responses:write"


async def handle(scope: Scope, match: re.Match[str], body: bytes) -> Response | None:
    answer = _plain_answer(scope, match.group(1), body)
    if answer is None:
        return None
    outcome = await ingest.submit(answer)
    return None if outcome is ingest.SEEN_BEFORE else respond(outcome)


def _plain_answer(scope: Scope, survey_id: str, body: bytes) -> ingest.NewAnswer | None:
    """The answer, when nothing about the request needs the full route; else None."""
    key = header(scope, b"idempotency-key")
    if key is None and any(name == b"idempotency-key" for name, _ in scope["headers"]):
        return None  # sent twice: the route refuses it
    try:
        principal = cached_principal(key_digest(header(scope, b"authorization")))
        if principal is None:
            return None
        principal.require(SCOPE)
        data = ResponseCreate.model_validate_json(body)
        survey = uuid.UUID(survey_id)
        claimed = None
        if key is not None:
            claimed = claim("POST", ROUTE, scope["path"], body, str(principal.key_id), key)
    except (ProblemError, ValidationError, ValueError):
        return None
    return ingest.NewAnswer(principal.project_id, survey, data, claimed)
