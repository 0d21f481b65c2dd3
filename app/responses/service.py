"""Response rules: scores inside the survey's scale, only active surveys take answers,
an edited answer counts once with its latest score, deletes leave tombstones."""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app import webhooks
from app.apidoc.declare import Documented
from app.db import utcnow
from app.errors import Conflict, InvalidInput, NotFound
from app.invitations import service as invitations
from app.models import Response, Survey
from app.models.base import uuid7
from app.observability import metrics
from app.outcomes import service as outcomes
from app.pagination import decode_cursor, encode_cursor
from app.responses import erasure, repository
from app.responses.repository import ERASED, ResponseFilter
from app.responses.schemas import ResponseCreate, ResponsePage, ResponseUpdate
from app.surveys import repository as surveys
from app.surveys.service import SurveyNotFound
from app.themes import service as themes
from app.timeparams import check_range

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)


class ResponseNotFound(NotFound):
    slug = "response-not-found"
    title = "Response not found"

    def __init__(self, response_id: uuid.UUID) -> None:
        super().__init__(f"There is no response {response_id} in this project.")


def check_score(survey: Survey, score: int) -> None:
    if not survey.scale_min <= score <= survey.scale_max:
        scale = f"{survey.scale_min} to {survey.scale_max}"
        raise InvalidInput(
            f"score {score} is outside this survey's scale ({scale}).",
            errors=[{"pointer": "#/score", "detail": f"must be a whole number from {scale}"}],
        )


NOT_ACCEPTING = Documented(409, "survey-not-accepting", "Survey is not accepting answers")


def check_accepting(survey: Survey) -> None:
    if survey.status != "active":
        raise Conflict(
            f"Survey {survey.id} is {survey.status} and accepts no new answers.",
            slug=NOT_ACCEPTING.slug,
            title=NOT_ACCEPTING.title,
        )


def check_submitted_at(submitted_at: datetime | None, now: datetime) -> datetime:
    if submitted_at is None:
        return now
    if submitted_at < EARLIEST:
        raise InvalidInput(
            "submitted_at is before 1970; send the real time of the answer.",
            errors=[{"pointer": "#/submitted_at", "detail": "must not be before 1970"}],
        )
    if submitted_at > now:
        raise InvalidInput(
            "submitted_at is in the future; leave it out for answers given now.",
            errors=[{"pointer": "#/submitted_at", "detail": "must not be in the future"}],
        )
    return submitted_at


def new_answer(
    project_id: uuid.UUID, survey: Survey, data: ResponseCreate, now: datetime
) -> dict[str, Any]:
    """The row of a new answer to `survey`, after the rules; raises when one is broken."""
    check_accepting(survey)
    check_score(survey, data.score)
    return {
        "id": uuid7(),
        "project_id": project_id,
        "survey_id": survey.id,
        "score": data.score,
        "comment": data.comment,
        "customer_id": data.customer_id,
        "segment": data.segment,
        "touchpoint": data.touchpoint or survey.default_touchpoint,
        "channel": data.channel,
        "locale": data.locale,
        "attributes": data.attributes,
        "submitted_at": check_submitted_at(data.submitted_at, now),
        "created_at": now,
        "updated_at": now,
        "deleted_at": None,
        "invitation_id": None,
    }


async def create(
    session: AsyncSession, project_id: uuid.UUID, survey_id: uuid.UUID, data: ResponseCreate
) -> Response:
    # The share lock keeps the scale this score was checked against until commit.
    survey = await surveys.get(session, project_id, survey_id, lock="share")
    if survey is None:
        raise SurveyNotFound(survey_id)
    response = Response(**new_answer(project_id, survey, data, utcnow()))
    await repository.add(session, response)
    await themes.tag_response(session, response)
    await webhooks.emit_response(session, "response.created", response, survey)
    metrics.response_recorded(session, survey.kind, response.channel)
    return response


async def get(session: AsyncSession, project_id: uuid.UUID, response_id: uuid.UUID) -> Response:
    response = await repository.get(session, project_id, response_id)
    if response is None:
        raise ResponseNotFound(response_id)
    return response


async def update(
    session: AsyncSession, project_id: uuid.UUID, response_id: uuid.UUID, data: ResponseUpdate
) -> Response:
    changes = data.model_dump(exclude_unset=True)
    if not changes:
        raise InvalidInput("Send a new score, a new comment, or both.")
    if "score" in changes and changes["score"] is None:
        raise InvalidInput(
            "score cannot be null; delete the response instead.",
            errors=[{"pointer": "#/score", "detail": "cannot be null"}],
        )
    response = await repository.get(session, project_id, response_id, lock=True)
    if response is None:
        raise ResponseNotFound(response_id)
    if "score" in changes:
        survey = await surveys.get(session, project_id, response.survey_id, lock="share")
        assert survey is not None  # a response's survey is never deleted
        check_score(survey, changes["score"])
        response.score = changes["score"]
    if "comment" in changes:
        response.comment = changes["comment"]
    response.updated_at = utcnow()
    await session.flush()
    if "comment" in changes:
        await themes.retag_response(session, response)
    await webhooks.emit_response(session, "response.updated", response)
    return response


async def delete(session: AsyncSession, project_id: uuid.UUID, response_id: uuid.UUID) -> None:
    response = await repository.get(session, project_id, response_id, lock=True)
    if response is None:
        raise ResponseNotFound(response_id)
    await _erase(session, response, utcnow())


async def _erase(session: AsyncSession, response: Response, now: datetime) -> None:
    facets = await webhooks.response_facets_now(session, response)  # filters see the answer
    for field, value in ERASED.items():
        setattr(response, field, value)
    response.deleted_at = response.updated_at = now
    await session.flush()
    await themes.untag(session, [response.id])  # the tags go with the comment
    await webhooks.emit_response(session, "response.deleted", response, facets=facets)


async def erase_customer(session: AsyncSession, project_id: uuid.UUID, customer_id: str) -> int:
    # Row by row (not one bulk UPDATE) so that each erased response sends its own
    # response.deleted event; a customer has few responses.
    erased = await repository.customer_responses(session, project_id, customer_id)
    now = utcnow()
    for response in erased:
        await _erase(session, response, now)
    closed_links = await invitations.erase_customer(session, project_id, customer_id, now)
    await outcomes.erase_customer(session, project_id, customer_id)
    # Last, so that copies made by the steps above are scrubbed too.
    await erasure.scrub_copies(session, project_id, customer_id, closed_links)
    return len(erased)


async def customer_answers(
    session: AsyncSession, project_id: uuid.UUID, customer_id: str
) -> list[tuple[Response, Survey]]:
    """A customer's live answers across the project's surveys, each with its survey, in
    the order they were given (first submission time, then id)."""
    return await repository.customer_answers(session, project_id, customer_id)


async def list_page(
    session: AsyncSession,
    project_id: uuid.UUID,
    filters: ResponseFilter,
    *,
    cursor: str | None,
    limit: int,
    newest_first: bool = False,
) -> ResponsePage:
    """A page of responses in the order of change (for sync), or `newest_first` by first
    submission (a feed); the cursor continues in the same order."""
    after = None
    if cursor:
        when, last_id = decode_cursor(cursor, with_time=True)
        assert when is not None
        after = (when, last_id)
    check_range(filters.submitted_from, filters.submitted_to)
    rows = await repository.list_page(
        session, project_id, filters, after=after, limit=limit + 1, newest_first=newest_first
    )
    page = rows[:limit]
    last = page[-1] if page else None
    sort_time = (last.submitted_at if newest_first else last.updated_at) if last else None
    names = await themes.theme_names(session, [r.id for r in page])
    return ResponsePage.model_validate(
        {
            "data": [to_out(r, names.get(r.id, [])) for r in page],
            "next_cursor": encode_cursor(t=sort_time.isoformat(), id=last.id)
            if last and sort_time
            else cursor,
            "has_more": len(rows) > limit,
        }
    )


async def with_themes(session: AsyncSession, response: Response) -> dict:
    """The response as the API shows it, with the names of the themes it mentions."""
    names = await themes.theme_names(session, [response.id])
    return to_out(response, names.get(response.id, []))


def to_out(response: Response, theme_names: list[str] | None = None) -> dict:
    return {
        "id": response.id,
        "survey_id": response.survey_id,
        "score": response.score,
        "comment": response.comment,
        "customer_id": response.customer_id,
        "segment": response.segment,
        "touchpoint": response.touchpoint,
        "channel": response.channel,
        "locale": response.locale,
        "attributes": response.attributes,
        "submitted_at": response.submitted_at,
        "created_at": response.created_at,
        "updated_at": response.updated_at,
        "deleted": response.deleted_at is not None,
        "themes": theme_names or [],
    }
