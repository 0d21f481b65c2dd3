"""Answers through an invitation's token: from the hosted page, its automatic submit, and
frontends (`/v1/public/responses`). One invitation makes at most one response, which may
change within the edit window."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app import webhooks
from app.config import get_settings
from app.db import utcnow
from app.errors import Conflict, NotFound, ProblemError
from app.invitations import repository, scanner
from app.invitations.tokens import token_hash
from app.models import Invitation, InvitationOpen, Response, Survey
from app.models.base import uuid7
from app.observability import metrics
from app.responses.service import check_accepting, check_score
from app.surveys import repository as surveys
from app.themes import service as themes


class LinkNotFound(NotFound):
    slug = "link-not-found"
    title = "Link not found"

    def __init__(self) -> None:
        super().__init__("This link is not valid.")


class LinkExpired(ProblemError):
    status = 410
    slug = "link-expired"
    title = "Link expired"

    def __init__(self) -> None:
        super().__init__("This link has expired.")


class AnswerLocked(Conflict):
    slug = "answer-locked"
    title = "Answer already in"

    def __init__(self) -> None:
        super().__init__("This invitation's answer is in and can no longer be changed.")


@dataclass
class Link:
    invitation: Invitation
    survey: Survey
    response: Response | None


def edit_window() -> timedelta:
    return timedelta(days=get_settings().response_edit_window_days)


def editable_until(response: Response) -> datetime:
    return response.created_at + edit_window()


def is_editable(response: Any, now: datetime | None = None) -> bool:
    return response.deleted_at is None and (now or utcnow()) <= editable_until(response)


def check_still_open(invitation: Any, response: Any, now: datetime) -> None:
    """The rules a created invitation's link must meet to take an answer, in order (the
    survey's own state aside): an answer still editable, a link not expired."""
    if response is not None and not is_editable(response, now):
        raise AnswerLocked()
    assert invitation.expires_at is not None  # every created invitation has one
    if now >= invitation.expires_at:
        raise LinkExpired()


def new_answer_row(
    invitation: Any, survey: Any, score: int, comment: str | None, now: datetime
) -> dict[str, Any]:
    """The row of an invitation's first answer: the invitation's facets, the survey's
    touchpoint when the invitation names none."""
    return {
        "id": uuid7(),
        "project_id": invitation.project_id,
        "survey_id": invitation.survey_id,
        "invitation_id": invitation.id,
        "score": score,
        "comment": comment,
        "customer_id": invitation.customer_id,
        "segment": invitation.segment,
        "touchpoint": invitation.touchpoint or survey.default_touchpoint,
        "channel": invitation.channel,
        "locale": invitation.locale,
        "attributes": invitation.attributes,
        "submitted_at": now,
        "created_at": now,
        "updated_at": now,
        "deleted_at": None,
    }


async def find(session: AsyncSession, token: str) -> tuple[Invitation, Response | None] | None:
    """The invitation behind a token and its response, whatever their state."""
    digest = token_hash(token)
    invitation = await repository.by_token(session, digest) if digest else None
    if invitation is None or invitation.status != "created":
        return None
    return invitation, await repository.response_of(session, invitation.id)


async def _invitation(session: AsyncSession, token: str, *, lock: bool) -> Invitation:
    digest = token_hash(token)
    invitation = await repository.by_token(session, digest, lock=lock) if digest else None
    if invitation is None or invitation.status != "created":
        raise LinkNotFound()
    return invitation


async def open_link(session: AsyncSession, token: str, *, lock: bool = False) -> Link:
    """The invitation behind a token, if it still takes an answer; raises otherwise."""
    invitation = await _invitation(session, token, lock=lock)
    response = await repository.response_of(session, invitation.id)
    check_still_open(invitation, response, utcnow())
    survey = await surveys.get(
        session, invitation.project_id, invitation.survey_id, lock="share" if lock else None
    )
    assert survey is not None  # surveys are archived, never deleted
    check_accepting(survey)
    return Link(invitation, survey, response)


async def record_open(session: AsyncSession, link: Link, score: int | None) -> uuid.UUID | None:
    """Notes a GET or HEAD of a link (never an answer). None once an invitation has had
    more opens than are kept: its page then offers only the explicit submit."""
    if await repository.count_opens(session, link.invitation.id) >= scanner.MAX_OPENS:
        return None
    opened = InvitationOpen(invitation_id=link.invitation.id, score=score, opened_at=utcnow())
    await repository.add_open(session, opened)
    return opened.id


async def answer(
    session: AsyncSession,
    token: str,
    score: int,
    *,
    comment: str | None = None,
    set_comment: bool = False,
) -> tuple[Response, bool]:
    """Records or changes the invitation's answer; returns it and whether it is new."""
    link = await open_link(session, token, lock=True)
    check_score(link.survey, score)
    response = link.response
    created = response is None
    now = utcnow()
    if response is None:
        invitation = link.invitation
        response = Response(**new_answer_row(invitation, link.survey, score, comment, now))
        try:
            # The unique invitation_id is the last word: a concurrent first answer that
            # got past the row lock (none should) makes this one an update instead.
            async with session.begin_nested():
                session.add(response)
                await session.flush()
            await themes.tag_response(session, response)
            await webhooks.emit_response(session, "response.created", response, link.survey)
            metrics.response_recorded(session, link.survey.kind, response.channel)
            return response, True
        except IntegrityError:
            session.expunge(response)
            existing = await repository.response_of(session, invitation.id)
            if existing is None:
                raise
            response, created = existing, False
    new_comment = set_comment and response.comment != comment
    changed = response.score != score or new_comment
    response.score = score
    if set_comment:
        response.comment = comment
    response.updated_at = now
    await session.flush()
    if new_comment:
        await themes.retag_response(session, response)
    if changed:
        await webhooks.emit_response(session, "response.updated", response, link.survey)
    return response, created
