import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response as HttpResponse

from app.apidoc.declare import Documented, problems
from app.auth.dependencies import SessionDep, require
from app.auth.service import Principal
from app.idempotency.dependencies import Idempotent
from app.validation import Limit
from app.webhooks import service
from app.webhooks.schemas import (
    DeliveryOut,
    DeliveryPage,
    SecretRotation,
    WebhookCreate,
    WebhookOut,
    WebhookPage,
    WebhookUpdate,
    WebhookWithSecret,
)

router = APIRouter(tags=["webhooks"])

Reader = Annotated[Principal, Depends(require("webhooks:read"))]
Writer = Annotated[Principal, Depends(require("webhooks:write"))]
URL_REFUSED = Documented(422, "webhook-url-refused", "Webhook URL refused")


@router.post(
    "/v1/webhooks",
    status_code=201,
    response_model=WebhookWithSecret,
    operation_id="createWebhook",
    responses=problems(URL_REFUSED),
)
async def create_webhook(
    body: WebhookCreate, session: SessionDep, caller: Writer, idem: Idempotent
):
    """Register an endpoint. The response carries its signing secret, shown only this once
    (and to a retry with the same Idempotency-Key)."""
    return await idem.run(
        str(caller.key_id), lambda: service.create(session, caller.project_id, body)
    )


@router.get("/v1/webhooks", response_model=WebhookPage, operation_id="listWebhooks")
async def list_webhooks(
    session: SessionDep, caller: Reader, cursor: str | None = None, limit: Limit = 100
):
    return await service.list_page(session, caller.project_id, cursor=cursor, limit=limit)


@router.get("/v1/webhooks/{webhook_id}", response_model=WebhookOut, operation_id="getWebhook")
async def get_webhook(webhook_id: uuid.UUID, session: SessionDep, caller: Reader):
    return await service.get(session, caller.project_id, webhook_id)


@router.patch(
    "/v1/webhooks/{webhook_id}",
    response_model=WebhookOut,
    operation_id="updateWebhook",
    responses=problems(URL_REFUSED),
)
async def update_webhook(
    webhook_id: uuid.UUID, body: WebhookUpdate, session: SessionDep, caller: Writer
):
    return await service.update(session, caller.project_id, webhook_id, body)


@router.delete("/v1/webhooks/{webhook_id}", status_code=204, operation_id="deleteWebhook")
async def delete_webhook(webhook_id: uuid.UUID, session: SessionDep, caller: Writer):
    await service.delete(session, caller.project_id, webhook_id)
    return HttpResponse(status_code=204)


@router.post(
    "/v1/webhooks/{webhook_id}/rotate-secret",
    response_model=WebhookWithSecret,
    operation_id="rotateWebhookSecret",
)
async def rotate_webhook_secret(
    webhook_id: uuid.UUID,
    session: SessionDep,
    caller: Writer,
    body: SecretRotation | None = None,
):
    """Issue a new signing secret; the old one keeps signing for `previous_valid_hours`."""
    return await service.rotate_secret(
        session, caller.project_id, webhook_id, body or SecretRotation()
    )


@router.get(
    "/v1/webhooks/{webhook_id}/deliveries",
    response_model=DeliveryPage,
    operation_id="listWebhookDeliveries",
)
async def list_webhook_deliveries(
    webhook_id: uuid.UUID,
    session: SessionDep,
    caller: Reader,
    status: Literal["pending", "succeeded", "failed"] | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
):
    """The delivery log, newest first: every attempt with its status code and latency."""
    return await service.deliveries(
        session, caller.project_id, webhook_id, status=status, cursor=cursor, limit=limit
    )


@router.post(
    "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
    status_code=202,
    response_model=DeliveryOut,
    operation_id="redeliverWebhookEvent",
)
async def redeliver_webhook_event(
    webhook_id: uuid.UUID, delivery_id: uuid.UUID, session: SessionDep, caller: Writer
):
    """Queue the delivery's event again for this endpoint, with a fresh retry schedule."""
    return await service.redeliver(session, caller.project_id, webhook_id, delivery_id)
