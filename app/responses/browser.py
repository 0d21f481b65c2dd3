"""Answers sent straight from a product's own pages with a publishable (`pk_`) key: the
in-app survey widget case, where there is no invitation token.

The key's kind and origins are checked by `browser_key` (the one place for that rule); here
the answer is an ordinary response of the key's project, channel `web`. Nothing can be read
back: the answer names only what was just sent."""

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from app.apidoc.declare import problems
from app.auth.dependencies import SessionDep, browser_key
from app.auth.service import Principal
from app.idempotency.dependencies import Idempotent
from app.responses import service
from app.responses.schemas import Attributes, Comment, ResponseCreate
from app.responses.service import NOT_ACCEPTING
from app.validation import STRICT, Label, Locale

router = APIRouter(tags=["public"])

BROWSER_PREFIX = "/v1/browser/"


class BrowserAnswer(BaseModel):
    model_config = STRICT

    score: int = Field(description="A whole number inside the survey's scale.")
    comment: Comment | None = None
    segment: Label | None = None
    touchpoint: Label | None = None
    locale: Locale | None = None
    attributes: Attributes | None = None


class BrowserAnswerOut(BaseModel):
    id: uuid.UUID
    survey_id: uuid.UUID
    score: int
    submitted_at: datetime


@router.post(
    BROWSER_PREFIX + "surveys/{survey_id}/responses",
    status_code=201,
    response_model=BrowserAnswerOut,
    operation_id="submitBrowserResponse",
    responses=problems(NOT_ACCEPTING),
)
async def submit_browser_response(
    survey_id: uuid.UUID,
    body: BrowserAnswer,
    session: SessionDep,
    caller: Annotated[Principal, Depends(browser_key)],
    idem: Idempotent,
):
    """Record an answer from a page on one of the publishable key's allowed origins
    (`Authorization: Bearer pk_…`; the browser's `Origin` must be one of them)."""
    data = ResponseCreate.model_construct(
        **body.model_dump(),
        customer_id=None,
        channel="web",
        submitted_at=None,
    )

    async def create() -> BrowserAnswerOut:
        response = await service.create(session, caller.project_id, survey_id, data)
        return BrowserAnswerOut(
            id=response.id,
            survey_id=response.survey_id,
            score=response.score,
            submitted_at=response.submitted_at,
        )

    return await idem.run(str(caller.key_id), create)
