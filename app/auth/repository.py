import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.scopes import INSTANCE_KIND
from app.models import ApiKey


async def get_by_hash(session: AsyncSession, secret_hash: str) -> ApiKey | None:
    return await session.scalar(select(ApiKey).where(ApiKey.secret_hash == secret_hash))


async def get(
    session: AsyncSession, project_id: uuid.UUID, key_id: uuid.UUID, *, instance: bool
) -> ApiKey | None:
    query = select(ApiKey).where(ApiKey.id == key_id, ApiKey.project_id == project_id)
    if not instance:
        query = query.where(ApiKey.kind != INSTANCE_KIND)
    return await session.scalar(query)


async def list_for_project(
    session: AsyncSession, project_id: uuid.UUID, *, include_revoked: bool, instance: bool
) -> list[ApiKey]:
    query = select(ApiKey).where(ApiKey.project_id == project_id).order_by(ApiKey.id)
    if not instance:
        query = query.where(ApiKey.kind != INSTANCE_KIND)
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    return list((await session.scalars(query)).all())


async def touch(session: AsyncSession, key: ApiKey, when: datetime) -> None:
    await session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=when))


async def add(session: AsyncSession, key: ApiKey) -> None:
    session.add(key)
    await session.flush()


async def count(session: AsyncSession) -> int:
    return len((await session.scalars(select(ApiKey.id).limit(1))).all())
