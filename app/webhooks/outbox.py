"""The transactional outbox: other services call `emit` inside their own transaction.

The event and one delivery per matching endpoint are inserted in the caller's transaction,
so a committed change always has its event and a rolled-back one never does. Nothing is
sent here; dispatchers pick the deliveries up once they are committed."""

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import after_commit, utcnow
from app.models import Response, Survey, Unsubscribe, WebhookDelivery, WebhookEndpoint, WebhookEvent
from app.models.base import uuid7
from app.webhooks import repository
from app.webhooks.events import (
    EVENT_TYPES,
    Facets,
    envelope,
    facets_of,
    invitation_data,
    matches,
    response_data,
    response_facets,
    unsubscribe_data,
)

wakers: set[asyncio.Event] = set()
"""Dispatchers of this process, woken as soon as a transaction with new deliveries commits."""


def wake() -> None:
    for waker in wakers:
        waker.set()


async def emit(
    session: AsyncSession,
    project_id: uuid.UUID,
    event_type: str,
    data: dict[str, Any],
    *,
    facets: Facets | None = None,
) -> WebhookEvent | None:
    """Queue `event_type` with payload `data` for every active endpoint of the project that
    subscribes to it and whose filters match (`facets`, read from `data` when not given).

    Returns the stored event, or None when no endpoint wants it (then nothing is stored)."""
    events = await emit_many(
        session, project_id, event_type, [data], facets=None if facets is None else [facets]
    )
    return events[0] if events else None


async def emit_many(
    session: AsyncSession,
    project_id: uuid.UUID,
    event_type: str,
    items: list[dict[str, Any]],
    *,
    facets: list[Facets] | None = None,
) -> list[WebhookEvent]:
    """`emit` for a batch (an invitation batch): the endpoints are read once."""
    if not items:
        return []
    endpoints = await _subscribed(session, project_id, event_type)
    return await _emit_to(session, project_id, event_type, endpoints, items, facets)


async def _emit_to(
    session: AsyncSession,
    project_id: uuid.UUID,
    event_type: str,
    endpoints: list[WebhookEndpoint],
    items: list[dict[str, Any]],
    facets: list[Facets] | None,
) -> list[WebhookEvent]:
    stored = []
    for index, data in enumerate(items):
        event_facets = facets_of(data) if facets is None else facets[index]
        targets = [e for e in endpoints if matches(e.filters, event_facets)]
        if targets:
            stored.append(await _store(session, project_id, event_type, data, targets))
    if stored:
        after_commit(session, wake)
    return stored


async def _subscribed(
    session: AsyncSession, project_id: uuid.UUID, event_type: str
) -> list[WebhookEndpoint]:
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    endpoints = await repository.active_endpoints(session, project_id)
    return [e for e in endpoints if event_type in e.events]


async def _store(
    session: AsyncSession,
    project_id: uuid.UUID,
    event_type: str,
    data: dict[str, Any],
    targets: list[WebhookEndpoint],
) -> WebhookEvent:
    now = utcnow()
    event_id = uuid7()
    event = WebhookEvent(
        id=event_id,
        project_id=project_id,
        type=event_type,
        payload=envelope(f"msg_{event_id.hex}", event_type, now, data),
        created_at=now,
        customer_id=subject_of(data),
    )
    deliveries = [
        WebhookDelivery(
            project_id=project_id, endpoint_id=e.id, event_id=event_id, next_attempt_at=now
        )
        for e in targets
    ]
    await repository.add_event(session, event, deliveries)
    return event


def subject_of(data: dict[str, Any]) -> str | None:
    """The customer an event is about: its response's, invitation's, unsubscribe's or
    outcome's."""
    for key in ("response", "invitation", "unsubscribe", "outcome"):
        customer_id = (data.get(key) or {}).get("customer_id")
        if isinstance(customer_id, str):
            return customer_id
    return None


async def scrub_customer(
    session: AsyncSession,
    project_id: uuid.UUID,
    customer_id: str,
    redact: Callable[[dict[str, Any]], dict[str, Any]],
) -> int:
    """Privacy erasure, in the caller's transaction: every stored event about the customer
    gets `redact(payload)` as its body. Deliveries read the body when they are sent, so
    pending deliveries and later redeliveries send the redacted body. Returns how many."""
    events = await repository.customer_events(session, project_id, customer_id)
    for event in events:
        event.payload = redact(event.payload)
        event.customer_id = None
    await session.flush()
    return len(events)


async def response_facets_now(session: AsyncSession, response: Response) -> Facets:
    """The response's filter facets as they are now; take them before erasing it."""
    survey = await session.get(Survey, response.survey_id)
    assert survey is not None  # a response's survey is never deleted
    return response_facets(response, survey)


async def emit_response(
    session: AsyncSession,
    event_type: str,
    response: Response,
    survey: Survey | None = None,
    *,
    facets: Facets | None = None,
) -> WebhookEvent | None:
    """`emit` for a response event: the payload is the response with its survey. Pass the
    facets taken before a deletion so that filters see the answer as it was."""
    if survey is None:
        survey = await session.get(Survey, response.survey_id)
        assert survey is not None  # a response's survey is never deleted
    return await emit(
        session,
        response.project_id,
        event_type,
        response_data(response, survey),
        facets=facets if facets is not None else response_facets(response, survey),
    )


async def emit_new_responses(session: AsyncSession, answers: list[tuple[Any, Survey]]) -> None:
    """`response.created` for answers written together (group commit), each with its survey;
    the payloads are built only for projects with an endpoint that wants them."""
    projects = {survey.project_id for _answer, survey in answers}
    for project_id in projects:
        endpoints = await _subscribed(session, project_id, "response.created")
        if not endpoints:
            continue
        mine = [(answer, survey) for answer, survey in answers if survey.project_id == project_id]
        await _emit_to(
            session,
            project_id,
            "response.created",
            endpoints,
            [response_data(answer, survey) for answer, survey in mine],
            [response_facets(answer, survey) for answer, survey in mine],
        )


async def emit_invitations(
    session: AsyncSession, survey: Survey, invitations: list[dict[str, Any]]
) -> None:
    """`invitation.created` for each invitation that was sent (as the API shows it, without
    its links: tokens are stored only as hashes, and the outbox is no exception)."""
    items = [invitation_data(invitation, survey) for invitation in invitations]
    await emit_many(session, survey.project_id, "invitation.created", items)


async def emit_unsubscribe(session: AsyncSession, entry: Unsubscribe) -> None:
    await emit(session, entry.project_id, "unsubscribe.created", unsubscribe_data(entry))
