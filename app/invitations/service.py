"""Invitation rules: who gets one (throttle, unsubscribes, active survey), their links and
email block, and the unsubscribe list."""

import base64
import binascii
import uuid
from datetime import datetime, timedelta

from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app import webhooks
from app.config import get_settings
from app.db import utcnow
from app.errors import NotFound
from app.invitations import repository
from app.invitations.emails import email_block, links
from app.invitations.schemas import (
    InvitationBatch,
    InvitationBatchOut,
    InvitationPage,
    UnsubscribePage,
)
from app.invitations.tokens import new_token
from app.models import Invitation, Survey, Unsubscribe
from app.pagination import InvalidCursor, decode_cursor, encode_cursor
from app.surveys import repository as surveys
from app.surveys.service import SurveyNotFound


class InvitationNotFound(NotFound):
    slug = "invitation-not-found"
    title = "Invitation not found"

    def __init__(self, invitation_id: uuid.UUID) -> None:
        super().__init__(f"There is no invitation {invitation_id} in this project.")


def throttle_days(survey: Survey) -> int:
    if survey.invitation_throttle_days is not None:
        return survey.invitation_throttle_days
    return get_settings().invitation_throttle_days


async def create(
    session: AsyncSession, project_id: uuid.UUID, survey_id: uuid.UUID, data: InvitationBatch
) -> InvitationBatchOut:
    settings = get_settings()
    await repository.lock_project(session, project_id)
    survey = await surveys.get(session, project_id, survey_id)
    if survey is None:
        raise SurveyNotFound(survey_id)
    now = utcnow()
    customer_ids = sorted({r.customer_id for r in data.recipients})
    days = throttle_days(survey)
    throttled: set[str] = set()
    if days > 0:
        throttled = await repository.recently_invited(
            session,
            project_id,
            None if settings.throttle_across_surveys else survey.id,
            customer_ids,
            now - timedelta(days=days),
        )
    unsubscribed = await repository.unsubscribed(session, project_id, customer_ids)

    invitations: list[Invitation] = []
    tokens: dict[int, str] = {}
    for recipient in data.recipients:
        if survey.status != "active":
            status = "survey_inactive"
        elif recipient.customer_id in unsubscribed:
            status = "unsubscribed"
        elif recipient.customer_id in throttled:
            status = "throttled"
        else:
            status = "created"
        invitation = Invitation(
            project_id=project_id,
            survey_id=survey.id,
            customer_id=recipient.customer_id,
            segment=recipient.segment,
            touchpoint=recipient.touchpoint,
            channel=recipient.channel,
            locale=recipient.locale,
            attributes=recipient.attributes,
            status=status,
            created_at=now,
        )
        if status == "created":
            # Only an invitation that is sent keeps the recipient's contact details.
            token, invitation.token_hash = new_token()
            invitation.email, invitation.name = recipient.email, recipient.name
            invitation.expires_at = now + timedelta(seconds=recipient.expires_in)
            tokens[len(invitations)] = token
            if days > 0:
                throttled.add(recipient.customer_id)  # a repeat in the same batch
        invitations.append(invitation)
    await repository.add_all(session, invitations)
    sent = [_out(i, None, None) for i in invitations if i.status == "created"]
    await webhooks.emit_invitations(session, survey, sent)

    results = []
    for index, invitation in enumerate(invitations):
        result = _out(invitation, None, None)
        token = tokens.get(index)
        if token is not None:
            found = links(settings.public_base_url, token, survey)
            html, text = email_block(invitation, survey, found)
            result |= {
                "survey_url": found.survey_url,
                "score_urls": found.score_urls,
                "unsubscribe_url": found.unsubscribe_url,
                "email_html": html,
                "email_text": text,
            }
        else:
            result |= dict.fromkeys(
                ("survey_url", "score_urls", "unsubscribe_url", "email_html", "email_text")
            )
        results.append(result)
    return InvitationBatchOut.model_validate({"data": results})


def _out(invitation: Invitation, response_id: uuid.UUID | None, answered_at) -> dict:
    return {
        "id": invitation.id,
        "survey_id": invitation.survey_id,
        "status": invitation.status,
        "customer_id": invitation.customer_id,
        "email": invitation.email,
        "name": invitation.name,
        "segment": invitation.segment,
        "touchpoint": invitation.touchpoint,
        "channel": invitation.channel,
        "locale": invitation.locale,
        "attributes": invitation.attributes,
        "created_at": invitation.created_at,
        "expires_at": invitation.expires_at,
        "answered": response_id is not None,
        "answered_at": answered_at,
        "response_id": response_id,
    }


def _row_out(row: Row) -> dict:
    invitation, response_id, answered_at = row
    return _out(invitation, response_id, answered_at)


async def get(session: AsyncSession, project_id: uuid.UUID, invitation_id: uuid.UUID) -> dict:
    row = await repository.get(session, project_id, invitation_id)
    if row is None:
        raise InvitationNotFound(invitation_id)
    return _row_out(row)


async def list_page(
    session: AsyncSession,
    project_id: uuid.UUID,
    *,
    survey_id: uuid.UUID | None,
    customer_id: str | None,
    status: str | None,
    answered: bool | None,
    cursor: str | None,
    limit: int,
) -> InvitationPage:
    after = decode_cursor(cursor, with_time=False)[1] if cursor else None
    rows = await repository.list_page(
        session,
        project_id,
        survey_id=survey_id,
        customer_id=customer_id,
        status=status,
        answered=answered,
        after=after,
        limit=limit + 1,
    )
    page = rows[:limit]
    return InvitationPage.model_validate(
        {
            "data": [_row_out(r) for r in page],
            "next_cursor": encode_cursor(id=page[-1][0].id) if page else None,
            "has_more": len(rows) > limit,
        }
    )


async def erase_customer(
    session: AsyncSession, project_id: uuid.UUID, customer_id: str, now: datetime | None = None
) -> list[str]:
    """Privacy erasure: the customer's invitations keep no id, email, name or attributes,
    and their links stop working. Returns the token hashes of the links it closed."""
    return await repository.erase_customer(session, project_id, customer_id, now or utcnow())


async def of_customer(session: AsyncSession, project_id: uuid.UUID, customer_id: str) -> dict:
    """A customer's invitations in the order they were made, as `InvitationOut` (never the
    links) plus `opened_at` (the first open of the link, None if never) and `opens`, and
    the customer's unsubscribe (`UnsubscribeOut`) or None:
    `{"invitations": [...], "unsubscribe": {...} | None}`."""
    rows = await repository.of_customer(session, project_id, customer_id)
    opens = await repository.opens_of(session, [row[0].id for row in rows])
    invitations = []
    for row in rows:
        seen = opens.get(row[0].id, [])
        invitations.append(
            {
                **_row_out(row),
                "opened_at": min((o.opened_at for o in seen), default=None),
                "opens": len(seen),
            }
        )
    entry = await repository.get_unsubscribe(session, project_id, customer_id)
    unsubscribe = None
    if entry is not None:
        unsubscribe = {"customer_id": entry.customer_id, "source": entry.source}
        unsubscribe["created_at"] = entry.created_at
    return {"invitations": invitations, "unsubscribe": unsubscribe}


# --- unsubscribes ------------------------------------------------------------------------


async def unsubscribe(
    session: AsyncSession, project_id: uuid.UUID, customer_id: str, source: str
) -> tuple[Unsubscribe, bool]:
    """Adds the customer to the list; returns the entry and whether it is new."""
    existing = await repository.get_unsubscribe(session, project_id, customer_id)
    if existing is not None:
        return existing, False
    entry = Unsubscribe(
        project_id=project_id, customer_id=customer_id, source=source, created_at=utcnow()
    )
    try:
        async with session.begin_nested():
            await repository.add_unsubscribe(session, entry)
    except IntegrityError:
        # Two unsubscribes of one customer at once: the other one is already in.
        existing = await repository.get_unsubscribe(session, project_id, customer_id)
        assert existing is not None
        return existing, False
    await webhooks.emit_unsubscribe(session, entry)
    return entry, True


async def resubscribe(session: AsyncSession, project_id: uuid.UUID, customer_id: str) -> None:
    if not await repository.delete_unsubscribe(session, project_id, customer_id):
        raise NotFound(
            f"Customer {customer_id!r} is not unsubscribed.",
            slug="unsubscribe-not-found",
            title="Not unsubscribed",
        )


async def list_unsubscribes(
    session: AsyncSession, project_id: uuid.UUID, *, cursor: str | None, limit: int
) -> UnsubscribePage:
    after = _decode_text_cursor(cursor) if cursor else None
    rows = await repository.list_unsubscribes(session, project_id, after=after, limit=limit + 1)
    page = rows[:limit]
    return UnsubscribePage.model_validate(
        {
            "data": page,
            "next_cursor": _encode_text_cursor(page[-1].customer_id) if page else None,
            "has_more": len(rows) > limit,
        },
        from_attributes=True,
    )


def _encode_text_cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def _decode_text_cursor(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = base64.urlsafe_b64decode(padded.encode("ascii")).decode()
        if "\x00" in value:
            raise ValueError("NUL in cursor")
        return value
    except (ValueError, binascii.Error, UnicodeError):
        raise InvalidCursor(
            "The cursor is not one this API returned; start again without a cursor."
        ) from None
