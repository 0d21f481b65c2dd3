"""Webhook endpoint rules: where events may go, secrets and their rotation, the delivery
log and redelivery."""

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import get_settings
from app.db import after_commit, utcnow
from app.errors import InvalidInput, NotFound
from app.models import WebhookDelivery, WebhookEndpoint
from app.pagination import decode_cursor, encode_cursor
from app.webhooks import outbox, repository, targets
from app.webhooks.schemas import (
    AttemptOut,
    DeliveryOut,
    DeliveryPage,
    SecretRotation,
    WebhookCreate,
    WebhookFilters,
    WebhookPage,
    WebhookUpdate,
)
from app.webhooks.signing import new_secret


class WebhookNotFound(NotFound):
    slug = "webhook-not-found"
    title = "Webhook not found"

    def __init__(self, endpoint_id: uuid.UUID) -> None:
        super().__init__(f"There is no webhook {endpoint_id} in this project.")


class DeliveryNotFound(NotFound):
    slug = "webhook-delivery-not-found"
    title = "Webhook delivery not found"

    def __init__(self, delivery_id: uuid.UUID) -> None:
        super().__init__(f"There is no delivery {delivery_id} for this webhook.")


def _check_url(url: str) -> str:
    try:
        targets.check_url(url, allow_private=get_settings().webhook_allow_private_targets)
    except targets.TargetRefused as refused:
        raise InvalidInput(
            f"url is refused: {refused}.",
            errors=[{"pointer": "#/url", "detail": str(refused)}],
            slug="webhook-url-refused",
            title="Webhook URL refused",
        ) from None
    return url


def _filters(filters: WebhookFilters) -> dict:
    if (
        filters.score_min is not None
        and filters.score_max is not None
        and filters.score_min > filters.score_max
    ):
        raise InvalidInput(
            "filters.score_min is above filters.score_max.",
            errors=[{"pointer": "#/filters/score_min", "detail": "must not exceed score_max"}],
        )
    return filters.model_dump(mode="json", exclude_none=True)


def _events(events: list[str]) -> list[str]:
    return sorted(set(events))


async def create(session: AsyncSession, project_id: uuid.UUID, data: WebhookCreate):
    now = utcnow()
    endpoint = WebhookEndpoint(
        project_id=project_id,
        url=_check_url(data.url),
        description=data.description,
        events=_events(data.events),
        filters=_filters(data.filters),
        status=data.status,
        secret=new_secret(),
        created_at=now,
        updated_at=now,
    )
    await repository.add_endpoint(session, endpoint)
    return endpoint


async def get(session: AsyncSession, project_id: uuid.UUID, endpoint_id: uuid.UUID):
    endpoint = await repository.get_endpoint(session, project_id, endpoint_id)
    if endpoint is None:
        raise WebhookNotFound(endpoint_id)
    return endpoint


async def _locked(session: AsyncSession, project_id: uuid.UUID, endpoint_id: uuid.UUID):
    endpoint = await repository.get_endpoint(session, project_id, endpoint_id, lock=True)
    if endpoint is None:
        raise WebhookNotFound(endpoint_id)
    return endpoint


async def list_page(
    session: AsyncSession, project_id: uuid.UUID, *, cursor: str | None, limit: int
) -> WebhookPage:
    after = decode_cursor(cursor, with_time=False)[1] if cursor else None
    rows = await repository.list_endpoints(session, project_id, after=after, limit=limit + 1)
    page = rows[:limit]
    return WebhookPage.model_validate(
        {
            "data": page,
            "next_cursor": encode_cursor(id=page[-1].id) if len(rows) > limit else None,
            "has_more": len(rows) > limit,
        },
        from_attributes=True,
    )


async def update(
    session: AsyncSession, project_id: uuid.UUID, endpoint_id: uuid.UUID, data: WebhookUpdate
):
    changes = data.model_dump(exclude_unset=True)
    if not changes:
        raise InvalidInput("Send at least one field to change.")
    nulls = [
        k for k in ("url", "events", "filters", "status") if k in changes and changes[k] is None
    ]
    if nulls:
        raise InvalidInput(
            f"{nulls[0]} cannot be null.",
            errors=[{"pointer": f"#/{k}", "detail": "cannot be null"} for k in nulls],
        )
    endpoint = await _locked(session, project_id, endpoint_id)
    if "url" in changes:
        endpoint.url = _check_url(data.url)  # type: ignore[arg-type]
    if "events" in changes:
        endpoint.events = _events(data.events)  # type: ignore[arg-type]
    if "filters" in changes:
        endpoint.filters = _filters(data.filters)  # type: ignore[arg-type]
    if "description" in changes:
        endpoint.description = data.description
    if "status" in changes:
        if data.status == "active" and endpoint.status != "active":
            endpoint.disabled_reason = None
            endpoint.failing_since = None
            after_commit(session, outbox.wake)  # held deliveries are due again
        endpoint.status = data.status  # type: ignore[assignment]
    endpoint.updated_at = utcnow()
    await session.flush()
    return endpoint


async def delete(session: AsyncSession, project_id: uuid.UUID, endpoint_id: uuid.UUID) -> None:
    endpoint = await _locked(session, project_id, endpoint_id)
    await repository.delete_endpoint(session, endpoint)


async def rotate_secret(
    session: AsyncSession, project_id: uuid.UUID, endpoint_id: uuid.UUID, data: SecretRotation
):
    """A new secret signs from now on; the current one keeps signing for the grace period,
    so receivers can switch without missing a delivery. A third secret is never valid."""
    endpoint = await _locked(session, project_id, endpoint_id)
    now = utcnow()
    if data.previous_valid_hours:
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = now + timedelta(hours=data.previous_valid_hours)
    else:
        endpoint.previous_secret = endpoint.previous_secret_expires_at = None
    endpoint.secret = new_secret()
    endpoint.updated_at = now
    await session.flush()
    return endpoint


def _delivery_out(delivery: WebhookDelivery, event_type: str, attempts: list) -> DeliveryOut:
    return DeliveryOut(
        id=delivery.id,
        event_id=f"msg_{delivery.event_id.hex}",
        event_type=event_type,
        status=delivery.status,  # type: ignore[arg-type]
        attempts=[AttemptOut.model_validate(a) for a in attempts],
        next_attempt_at=delivery.next_attempt_at if delivery.status == "pending" else None,
        last_status_code=delivery.last_status_code,
        last_error=delivery.last_error,
        created_at=delivery.created_at,
        delivered_at=delivery.delivered_at,
    )


async def deliveries(
    session: AsyncSession,
    project_id: uuid.UUID,
    endpoint_id: uuid.UUID,
    *,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> DeliveryPage:
    await get(session, project_id, endpoint_id)
    before = decode_cursor(cursor, with_time=False)[1] if cursor else None
    rows = await repository.list_deliveries(
        session, endpoint_id, status=status, before=before, limit=limit + 1
    )
    page = rows[:limit]
    attempts = await repository.attempts_of(session, [d.id for d, _ in page])
    return DeliveryPage(
        data=[_delivery_out(d, t, attempts[d.id]) for d, t in page],
        next_cursor=encode_cursor(id=page[-1][0].id) if len(rows) > limit else None,
        has_more=len(rows) > limit,
    )


async def redeliver(
    session: AsyncSession, project_id: uuid.UUID, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
) -> DeliveryOut:
    """Send a delivery's event again, as a new delivery with a fresh retry schedule. It
    keeps the event's id, so a receiver that already has it can tell."""
    await get(session, project_id, endpoint_id)
    found = await repository.get_delivery(session, endpoint_id, delivery_id)
    if found is None:
        raise DeliveryNotFound(delivery_id)
    original, event_type = found
    now = utcnow()
    delivery = WebhookDelivery(
        project_id=project_id,
        endpoint_id=endpoint_id,
        event_id=original.event_id,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    await repository.add_delivery(session, delivery)
    after_commit(session, outbox.wake)
    return _delivery_out(delivery, event_type, [])
