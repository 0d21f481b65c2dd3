import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from starlette.responses import JSONResponse
from starlette.responses import Response as HttpResponse

from app.apidoc.declare import Documented, problems
from app.auth.dependencies import ReadSessionDep, SessionDep, public, require
from app.auth.service import Principal
from app.idempotency.dependencies import Idempotent, token_scope
from app.invitations import answers, service
from app.invitations.schemas import (
    InvitationBatch,
    InvitationBatchOut,
    InvitationOut,
    InvitationPage,
    PublicAnswer,
    PublicAnswerOut,
    Status,
    UnsubscribeIn,
    UnsubscribeOut,
    UnsubscribePage,
)
from app.responses.service import NOT_ACCEPTING
from app.validation import CustomerId, Limit

router = APIRouter(tags=["invitations"])
public_router = APIRouter(
    tags=["public"], dependencies=[public("answers by invitation token, no key")]
)

Reader = Annotated[Principal, Depends(require("invitations:read"))]
Writer = Annotated[Principal, Depends(require("invitations:write"))]


@router.post(
    "/v1/surveys/{survey_id}/invitations",
    status_code=201,
    response_model=InvitationBatchOut,
    operation_id="createInvitations",
)
async def create_invitations(
    survey_id: uuid.UUID,
    body: InvitationBatch,
    session: SessionDep,
    caller: Writer,
    idem: Idempotent,
):
    """Invite one to 1,000 customers in one transaction. Each result says whether it was
    `created` (with its links and email block, shown only here), `throttled`,
    `unsubscribed` or `survey_inactive`."""
    return await idem.run(
        str(caller.key_id), lambda: service.create(session, caller.project_id, survey_id, body)
    )


@router.get("/v1/invitations", response_model=InvitationPage, operation_id="listInvitations")
async def list_invitations(
    session: ReadSessionDep,
    caller: Reader,
    survey_id: uuid.UUID | None = None,
    customer_id: CustomerId | None = None,
    status: Status | None = None,
    answered: Annotated[bool | None, Query(description="Only (un)answered ones.")] = None,
    cursor: str | None = None,
    limit: Limit = 100,
):
    return await service.list_page(
        session,
        caller.project_id,
        survey_id=survey_id,
        customer_id=customer_id,
        status=status,
        answered=answered,
        cursor=cursor,
        limit=limit,
    )


@router.get(
    "/v1/invitations/{invitation_id}", response_model=InvitationOut, operation_id="getInvitation"
)
async def get_invitation(invitation_id: uuid.UUID, session: SessionDep, caller: Reader):
    return await service.get(session, caller.project_id, invitation_id)


@router.get("/v1/unsubscribes", response_model=UnsubscribePage, operation_id="listUnsubscribes")
async def list_unsubscribes(
    session: SessionDep, caller: Reader, cursor: str | None = None, limit: Limit = 100
):
    return await service.list_unsubscribes(session, caller.project_id, cursor=cursor, limit=limit)


@router.post(
    "/v1/unsubscribes",
    status_code=201,
    response_model=UnsubscribeOut,
    operation_id="addUnsubscribe",
    responses={200: {"description": "The customer was already unsubscribed."}},
)
async def add_unsubscribe(
    body: UnsubscribeIn, session: SessionDep, caller: Writer, idem: Idempotent
):
    async def add():
        entry, new = await service.unsubscribe(session, caller.project_id, body.customer_id, "api")
        if new:
            return entry
        return JSONResponse(UnsubscribeOut.model_validate(entry).model_dump(mode="json"))

    return await idem.run(str(caller.key_id), add)


@router.delete(
    "/v1/unsubscribes/{customer_id:path}",
    status_code=204,
    operation_id="removeUnsubscribe",
    responses=problems(Documented(404, "unsubscribe-not-found", "Not unsubscribed")),
)
async def remove_unsubscribe(
    customer_id: Annotated[CustomerId, Path()], session: SessionDep, caller: Writer
):
    await service.resubscribe(session, caller.project_id, customer_id)
    return HttpResponse(status_code=204)


@public_router.post(
    "/v1/public/responses",
    status_code=201,
    response_model=PublicAnswerOut,
    operation_id="answerInvitation",
    responses={
        200: {"description": "The invitation's answer was changed."},
        **problems(answers.LinkNotFound, answers.LinkExpired, answers.AnswerLocked, NOT_ACCEPTING),
    },
)
async def answer_invitation(body: PublicAnswer, session: SessionDep, idem: Idempotent):
    """For your own survey UI in a browser: no API key, the invitation's token instead.
    One answer per invitation; sending again changes it within the edit window."""

    async def answer():
        response, created = await answers.answer(
            session,
            body.token,
            body.score,
            comment=body.comment,
            set_comment="comment" in body.model_fields_set,
        )
        out = PublicAnswerOut(
            status="created" if created else "updated",
            score=body.score,
            comment=response.comment,
            editable_until=answers.editable_until(response),
        )
        if created:
            return out
        return JSONResponse(out.model_dump(mode="json"))

    return await idem.run(token_scope(body.token), answer)
