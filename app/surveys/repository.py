import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Response, Survey, WebhookEndpoint


async def get(
    session: AsyncSession, project_id: uuid.UUID, survey_id: uuid.UUID, *, lock: str | None = None
) -> Survey | None:
    """`lock="share"` keeps the survey's kind and scale fixed until the transaction ends;
    `lock="update"` is taken by whoever changes them (PostgreSQL; SQLite writers are serial)."""
    query = select(Survey).where(Survey.id == survey_id, Survey.project_id == project_id)
    if lock:
        query = query.with_for_update(read=lock == "share")
    return await session.scalar(query)


async def lock_many(
    session: AsyncSession, survey_ids: set[uuid.UUID]
) -> tuple[dict[uuid.UUID, Survey], set[uuid.UUID]]:
    """Surveys by id, of any project, share-locked like `get(lock="share")`; and, read in
    the same round trip, which of their projects have an active webhook endpoint."""
    hooked = (
        select(WebhookEndpoint.id)
        .where(WebhookEndpoint.project_id == Survey.project_id, WebhookEndpoint.status == "active")
        .exists()
    )
    query = (
        select(Survey, hooked)
        .where(Survey.id.in_(survey_ids))
        .with_for_update(read=True, of=Survey)
    )
    rows = (await session.execute(query)).all()
    return {s.id: s for s, _ in rows}, {s.project_id for s, has in rows if has}


async def get_many(
    session: AsyncSession, project_id: uuid.UUID, survey_ids: list[uuid.UUID]
) -> list[Survey]:
    query = select(Survey).where(Survey.id.in_(survey_ids), Survey.project_id == project_id)
    return list(await session.scalars(query))


async def all_of_project(session: AsyncSession, project_id: uuid.UUID) -> list[Survey]:
    query = select(Survey).where(Survey.project_id == project_id).order_by(Survey.id)
    return list(await session.scalars(query))


async def list_page(
    session: AsyncSession,
    project_id: uuid.UUID,
    *,
    statuses: list[str],
    after: uuid.UUID | None,
    limit: int,
) -> list[Survey]:
    query = select(Survey).where(Survey.project_id == project_id, Survey.status.in_(statuses))
    if after is not None:
        query = query.where(Survey.id > after)
    return list(await session.scalars(query.order_by(Survey.id).limit(limit)))


async def has_responses(session: AsyncSession, survey_id: uuid.UUID) -> bool:
    query = select(Response.id).where(
        Response.survey_id == survey_id, Response.deleted_at.is_(None)
    )
    return (await session.scalar(query.limit(1))) is not None


async def add(session: AsyncSession, survey: Survey) -> None:
    session.add(survey)
    await session.flush()
