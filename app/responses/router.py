import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response as HttpResponse

from app.apidoc.declare import problems
from app.auth.dependencies import ReadSessionDep, SessionDep, require
from app.auth.service import Principal
from app.idempotency.dependencies import Idempotent, KeyHeader, claim_of, replay, respond
from app.responses import ingest, service
from app.responses.repository import ResponseFilter
from app.responses.schemas import (
    Channel,
    ErasureRequest,
    ErasureResult,
    ResponseCreate,
    ResponseOut,
    ResponsePage,
    ResponseUpdate,
)
from app.responses.service import NOT_ACCEPTING
from app.themes.schemas import ThemeValue
from app.timeparams import parse_time
from app.validation import CustomerId, Label, Limit

router = APIRouter(tags=["responses"])

Reader = Annotated[Principal, Depends(require("responses:read"))]
Writer = Annotated[Principal, Depends(require("responses:write"))]


@router.post(
    "/v1/surveys/{survey_id}/responses",
    status_code=201,
    response_model=ResponseOut,
    operation_id="createResponse",
    responses=problems(NOT_ACCEPTING),
)
async def create_response(
    survey_id: uuid.UUID,
    body: ResponseCreate,
    request: Request,
    caller: Writer,
    idempotency_key: KeyHeader = None,
):
    claim = await claim_of(request, str(caller.key_id), idempotency_key)
    outcome = await ingest.submit(ingest.NewAnswer(caller.project_id, survey_id, body, claim))
    if outcome is ingest.SEEN_BEFORE:
        assert claim is not None

        async def create(session: AsyncSession):
            created = await service.create(session, caller.project_id, survey_id, body)
            return await service.with_themes(session, created)

        return await replay(request, claim, create)
    return respond(outcome)


@router.get("/v1/responses", response_model=ResponsePage, operation_id="listResponses")
async def list_responses(
    session: ReadSessionDep,
    caller: Reader,
    survey_id: Annotated[list[uuid.UUID] | None, Query()] = None,
    segment: Annotated[list[Label] | None, Query()] = None,
    touchpoint: Annotated[list[Label] | None, Query()] = None,
    channel: Annotated[list[Channel] | None, Query()] = None,
    customer_id: CustomerId | None = None,
    from_: Annotated[
        str | None, Query(alias="from", description="Submitted at or after (ISO 8601).")
    ] = None,
    to: Annotated[str | None, Query(description="Submitted before (ISO 8601).")] = None,
    updated_since: Annotated[
        str | None, Query(description="Changed at or after (ISO 8601), for incremental sync.")
    ] = None,
    include_deleted: Annotated[
        bool, Query(description="Include tombstones of deleted and erased responses.")
    ] = False,
    theme: Annotated[
        list[ThemeValue] | None,
        Query(description="Comments that mention this theme (id or name); repeatable: any."),
    ] = None,
    cursor: str | None = None,
    limit: Limit = 100,
):
    filters = ResponseFilter(
        survey_ids=survey_id,
        segments=segment,
        touchpoints=touchpoint,
        channels=channel,
        customer_id=customer_id,
        submitted_from=parse_time(from_, "from"),
        submitted_to=parse_time(to, "to"),
        updated_since=parse_time(updated_since, "updated_since"),
        include_deleted=include_deleted,
        themes=theme,
    )
    return await service.list_page(session, caller.project_id, filters, cursor=cursor, limit=limit)


@router.get("/v1/responses/{response_id}", response_model=ResponseOut, operation_id="getResponse")
async def get_response(response_id: uuid.UUID, session: SessionDep, caller: Reader):
    return await service.with_themes(
        session, await service.get(session, caller.project_id, response_id)
    )


@router.patch(
    "/v1/responses/{response_id}", response_model=ResponseOut, operation_id="updateResponse"
)
async def update_response(
    response_id: uuid.UUID, body: ResponseUpdate, session: SessionDep, caller: Writer
):
    return await service.with_themes(
        session, await service.update(session, caller.project_id, response_id, body)
    )


@router.delete("/v1/responses/{response_id}", status_code=204, operation_id="deleteResponse")
async def delete_response(response_id: uuid.UUID, session: SessionDep, caller: Writer):
    await service.delete(session, caller.project_id, response_id)
    return HttpResponse(status_code=204)


@router.post("/v1/erasures", response_model=ErasureResult, operation_id="eraseCustomer")
async def erase_customer(
    body: ErasureRequest, session: SessionDep, caller: Writer, idem: Idempotent
):
    """Erase every response of one customer (privacy erasure): answers and comments are
    removed and no longer count anywhere; tombstones keep only ids and times."""

    async def erase():
        erased = await service.erase_customer(session, caller.project_id, body.customer_id)
        return ErasureResult(customer_id=body.customer_id, erased=erased)

    return await idem.run(str(caller.key_id), erase, echoed=("customer_id",))
