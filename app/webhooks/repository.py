"""Webhook SQL. The dispatcher's claim is the one place the two databases differ."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent


async def active_endpoints(session: AsyncSession, project_id: uuid.UUID) -> list[WebhookEndpoint]:
    query = select(WebhookEndpoint).where(
        WebhookEndpoint.project_id == project_id, WebhookEndpoint.status == "active"
    )
    return list(await session.scalars(query))


async def add_event(
    session: AsyncSession, event: WebhookEvent, deliveries: list[WebhookDelivery]
) -> None:
    session.add(event)
    await session.flush()  # the event row first: deliveries refer to it
    session.add_all(deliveries)
    await session.flush()


async def customer_events(
    session: AsyncSession, project_id: uuid.UUID, customer_id: str
) -> list[WebhookEvent]:
    """The stored events about one customer, locked (an erasure rewrites them)."""
    query = (
        select(WebhookEvent)
        .where(WebhookEvent.project_id == project_id, WebhookEvent.customer_id == customer_id)
        .order_by(WebhookEvent.id)
        .with_for_update()
    )
    return list(await session.scalars(query))


# --- endpoints ------------------------------------------------------------------------


async def add_endpoint(session: AsyncSession, endpoint: WebhookEndpoint) -> None:
    session.add(endpoint)
    await session.flush()


async def get_endpoint(
    session: AsyncSession, project_id: uuid.UUID, endpoint_id: uuid.UUID, *, lock: bool = False
) -> WebhookEndpoint | None:
    query = select(WebhookEndpoint).where(
        WebhookEndpoint.id == endpoint_id, WebhookEndpoint.project_id == project_id
    )
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def list_endpoints(
    session: AsyncSession, project_id: uuid.UUID, *, after: uuid.UUID | None, limit: int
) -> list[WebhookEndpoint]:
    query = select(WebhookEndpoint).where(WebhookEndpoint.project_id == project_id)
    if after is not None:
        query = query.where(WebhookEndpoint.id > after)
    return list(await session.scalars(query.order_by(WebhookEndpoint.id).limit(limit)))


async def delete_endpoint(session: AsyncSession, endpoint: WebhookEndpoint) -> None:
    # Deliveries and their attempts go with the endpoint (ON DELETE CASCADE); events stay,
    # other endpoints may still owe them.
    await session.execute(delete(WebhookEndpoint).where(WebhookEndpoint.id == endpoint.id))


# --- deliveries -----------------------------------------------------------------------


async def list_deliveries(
    session: AsyncSession,
    endpoint_id: uuid.UUID,
    *,
    status: str | None,
    before: uuid.UUID | None,
    limit: int,
) -> list[tuple[WebhookDelivery, str]]:
    """Newest first (ids are time-ordered), with each delivery's event type."""
    query = (
        select(WebhookDelivery, WebhookEvent.type)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
    )
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    if before is not None:
        query = query.where(WebhookDelivery.id < before)
    query = query.order_by(WebhookDelivery.id.desc()).limit(limit)
    return [(row[0], row[1]) for row in await session.execute(query)]


async def attempts_of(
    session: AsyncSession, delivery_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[WebhookAttempt]]:
    result: dict[uuid.UUID, list[WebhookAttempt]] = {i: [] for i in delivery_ids}
    if not delivery_ids:
        return result
    query = (
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_(delivery_ids))
        .order_by(WebhookAttempt.delivery_id, WebhookAttempt.number)
    )
    for attempt in await session.scalars(query):
        result[attempt.delivery_id].append(attempt)
    return result


async def get_delivery(
    session: AsyncSession, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
) -> tuple[WebhookDelivery, str] | None:
    query = (
        select(WebhookDelivery, WebhookEvent.type)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.endpoint_id == endpoint_id)
    )
    row = (await session.execute(query)).first()
    return (row[0], row[1]) if row else None


async def add_delivery(session: AsyncSession, delivery: WebhookDelivery) -> None:
    session.add(delivery)
    await session.flush()


# --- dispatching ----------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    delivery_id: uuid.UUID
    endpoint_id: uuid.UUID
    attempts: int
    url: str
    secrets: list[str]
    payload: dict[str, Any]


async def claim_due(
    session: AsyncSession, *, now: datetime, lease_until: datetime, token: uuid.UUID, limit: int
) -> list[Claimed]:
    """Take up to `limit` due deliveries of active endpoints, oldest due first, by moving
    their `next_attempt_at` to the end of the lease.

    PostgreSQL: `FOR UPDATE ... SKIP LOCKED` lets concurrent dispatchers pass over rows
    another one is claiming instead of waiting for them or claiming them twice. SQLite has
    no row locks (SQLAlchemy renders no FOR UPDATE there) and needs none: its transactions
    start with BEGIN IMMEDIATE, so claims run one at a time."""
    due = (
        select(WebhookDelivery.id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= now,
            WebhookEndpoint.status == "active",
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=WebhookDelivery)
    )
    ids = list(await session.scalars(due))
    if not ids:
        return []
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(ids))
        .values(next_attempt_at=lease_until, claim_token=token)
        .execution_options(synchronize_session=False)
    )
    rows = await session.execute(
        select(
            WebhookDelivery.id,
            WebhookDelivery.endpoint_id,
            WebhookDelivery.attempts,
            WebhookEndpoint.url,
            WebhookEndpoint.secret,
            WebhookEndpoint.previous_secret,
            WebhookEndpoint.previous_secret_expires_at,
            WebhookEvent.payload,
        )
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.id.in_(ids))
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
    )
    claimed = []
    for row in rows:
        secrets = [row.secret]
        if (
            row.previous_secret
            and row.previous_secret_expires_at
            and (row.previous_secret_expires_at > now)
        ):
            secrets.append(row.previous_secret)
        claimed.append(
            Claimed(row.id, row.endpoint_id, row.attempts, row.url, secrets, row.payload)
        )
    return claimed


async def finish_attempt(
    session: AsyncSession,
    claim: Claimed,
    token: uuid.UUID,
    attempt: WebhookAttempt,
    *,
    status: str,
    next_attempt_at: datetime | None,
) -> bool:
    """Record an attempt if the claim still holds (False when the lease was lost)."""
    values: dict[str, Any] = {
        "attempts": attempt.number,
        "status": status,
        "next_attempt_at": next_attempt_at,
        "claim_token": None,
        "last_status_code": attempt.status_code,
        "last_error": attempt.error,
    }
    if attempt.succeeded:
        values["delivered_at"] = attempt.attempted_at
    result = await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == claim.delivery_id, WebhookDelivery.claim_token == token)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:
        return False
    session.add(attempt)
    await session.flush()
    return True


async def endpoint_succeeded(session: AsyncSession, endpoint_id: uuid.UUID) -> None:
    await session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.failing_since.is_not(None))
        .values(failing_since=None)
        .execution_options(synchronize_session=False)
    )


async def endpoint_failed(
    session: AsyncSession, endpoint_id: uuid.UUID, *, now: datetime, disable_before: datetime
) -> bool:
    """Note the failure; disable the endpoint if it has failed since before
    `disable_before`. Returns True when this call disabled it."""
    await session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.failing_since.is_(None))
        .values(failing_since=now)
        .execution_options(synchronize_session=False)
    )
    failing_since = await session.scalar(
        select(WebhookEndpoint.failing_since).where(WebhookEndpoint.id == endpoint_id)
    )
    if failing_since is None or failing_since > disable_before:
        return False
    result = await session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.status == "active")
        .values(
            status="disabled",
            updated_at=now,
            disabled_reason=(
                f"Disabled automatically at {now.isoformat(timespec='seconds')}: every "
                f"delivery has failed since {failing_since.isoformat(timespec='seconds')}. "
                "Fix the receiver, then set status to active to resume."
            ),
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


async def backlog(session: AsyncSession) -> tuple[int, datetime | None]:
    """Pending deliveries of every project, and when the oldest of them was created."""
    row = (
        await session.execute(
            select(func.count(), func.min(WebhookDelivery.created_at)).where(
                WebhookDelivery.status == "pending"
            )
        )
    ).one()
    oldest = row[1]
    if isinstance(oldest, str):  # SQLite's min() returns the stored text
        oldest = datetime.fromisoformat(oldest)
    return int(row[0]), oldest
