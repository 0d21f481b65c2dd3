from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import ApiKey


async def get_by_hash(session: AsyncSession, secret_hash: str) -> ApiKey | None:
    return await session.scalar(select(ApiKey).where(ApiKey.secret_hash == secret_hash))


async def touch(session: AsyncSession, key: ApiKey, when: datetime) -> None:
    await session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=when))


async def add(session: AsyncSession, key: ApiKey) -> None:
    session.add(key)
    await session.flush()


async def count(session: AsyncSession) -> int:
    return len((await session.scalars(select(ApiKey.id).limit(1))).all())
