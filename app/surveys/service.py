"""Survey rules: scales per kind, default questions, what may change once answers exist."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import utcnow
from app.errors import Conflict, InvalidInput, NotFound
from app.models import Survey
from app.pagination import decode_cursor, encode_cursor
from app.surveys import repository
from app.surveys.schemas import SurveyCreate, SurveyPage, SurveyUpdate

SCALES = {"nps": (10,), "csat": (3, 5, 7, 10), "ces": (5, 7)}
DEFAULT_SCALE = {"nps": 10, "csat": 5, "ces": 7}
DEFAULT_QUESTION = {
    "nps": "How likely are you to recommend us to a friend or colleague?",
    "csat": "How satisfied were you with your experience?",
    "ces": "It was easy to handle my issue.",
}


class SurveyNotFound(NotFound):
    slug = "survey-not-found"
    title = "Survey not found"

    def __init__(self, survey_id: uuid.UUID) -> None:
        super().__init__(f"There is no survey {survey_id} in this project.")


def _check_scale(kind: str, scale_max: int) -> None:
    if scale_max not in SCALES[kind]:
        allowed = ", ".join(str(s) for s in SCALES[kind])
        raise InvalidInput(
            f"A {kind.upper()} survey's scale_max must be one of: {allowed}.",
            errors=[{"pointer": "#/scale_max", "detail": f"must be one of {allowed}"}],
        )


async def create(session: AsyncSession, project_id: uuid.UUID, data: SurveyCreate) -> Survey:
    scale_max = data.scale_max if data.scale_max is not None else DEFAULT_SCALE[data.kind]
    _check_scale(data.kind, scale_max)
    survey = Survey(
        project_id=project_id,
        name=data.name,
        kind=data.kind,
        scale_max=scale_max,
        question=data.question or DEFAULT_QUESTION[data.kind],
        follow_up_question=data.follow_up_question,
        default_touchpoint=data.default_touchpoint,
        texts={locale: t.model_dump(exclude_none=True) for locale, t in data.texts.items()},
        status=data.status,
        invitation_throttle_days=data.invitation_throttle_days,
    )
    await repository.add(session, survey)
    return survey


async def get(session: AsyncSession, project_id: uuid.UUID, survey_id: uuid.UUID) -> Survey:
    survey = await repository.get(session, project_id, survey_id)
    if survey is None:
        raise SurveyNotFound(survey_id)
    return survey


async def get_many(
    session: AsyncSession, project_id: uuid.UUID, survey_ids: list[uuid.UUID]
) -> list[Survey]:
    """These surveys of the project, in the order asked; SurveyNotFound for the first that
    is not one of the project's."""
    found = {s.id: s for s in await repository.get_many(session, project_id, survey_ids)}
    for survey_id in survey_ids:
        if survey_id not in found:
            raise SurveyNotFound(survey_id)
    return [found[survey_id] for survey_id in dict.fromkeys(survey_ids)]


async def all_of_project(session: AsyncSession, project_id: uuid.UUID) -> list[Survey]:
    """Every survey of the project, archived ones included (their answers still count)."""
    return await repository.all_of_project(session, project_id)


async def list_page(
    session: AsyncSession,
    project_id: uuid.UUID,
    *,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> SurveyPage:
    after = decode_cursor(cursor, with_time=False)[1] if cursor else None
    statuses = [status] if status else ["active", "paused"]
    rows = await repository.list_page(
        session, project_id, statuses=statuses, after=after, limit=limit + 1
    )
    page = rows[:limit]
    return SurveyPage.model_validate(
        {
            "data": page,
            "next_cursor": encode_cursor(id=page[-1].id) if page else None,
            "has_more": len(rows) > limit,
        },
        from_attributes=True,
    )


async def update(
    session: AsyncSession, project_id: uuid.UUID, survey_id: uuid.UUID, data: SurveyUpdate
) -> Survey:
    survey = await repository.get(session, project_id, survey_id, lock="update")
    if survey is None:
        raise SurveyNotFound(survey_id)
    changes = data.model_dump(exclude_unset=True)
    for required in ("name", "kind", "status"):
        if required in changes and changes[required] is None:
            raise InvalidInput(
                f"'{required}' cannot be null.",
                errors=[{"pointer": f"#/{required}", "detail": "cannot be null"}],
            )
    kind = changes.get("kind") or survey.kind
    scale_max = changes.get("scale_max")
    if scale_max is None:
        scale_max = survey.scale_max if kind == survey.kind else DEFAULT_SCALE[kind]
    if (kind, scale_max) != (survey.kind, survey.scale_max):
        _check_scale(kind, scale_max)
        if await repository.has_responses(session, survey.id):
            raise Conflict(
                "This survey already has responses, so its kind and scale are fixed. "
                "Create a new survey instead.",
                slug="survey-scale-locked",
                title="Kind and scale are fixed",
            )
        survey.kind, survey.scale_max = kind, scale_max
    if "question" in changes:
        survey.question = changes["question"] or DEFAULT_QUESTION[kind]
    elif "kind" in changes and survey.question == DEFAULT_QUESTION.get(survey.kind):
        survey.question = DEFAULT_QUESTION[kind]
    fields = ("name", "follow_up_question", "default_touchpoint", "status")
    for field in (*fields, "invitation_throttle_days"):
        if field in changes:
            setattr(survey, field, changes[field])
    if "texts" in changes:
        survey.texts = {
            locale: t.model_dump(exclude_none=True) for locale, t in (data.texts or {}).items()
        }
    survey.updated_at = utcnow()
    await session.flush()
    return survey


async def archive(session: AsyncSession, project_id: uuid.UUID, survey_id: uuid.UUID) -> Survey:
    return await update(session, project_id, survey_id, SurveyUpdate(status="archived"))
