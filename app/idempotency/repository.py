from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import IdempotencyRecord


async def get(session: AsyncSession, scope: str, route: str, key: str) -> IdempotencyRecord | None:
    return await session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.scope == scope,
            IdempotencyRecord.route == route,
            IdempotencyRecord.key == key,
        )
    )


async def add(session: AsyncSession, record: IdempotencyRecord) -> None:
    session.add(record)
    await session.flush()


async def remove(session: AsyncSession, record: IdempotencyRecord) -> None:
    await session.delete(record)
    await session.flush()


async def purge_expired(session: AsyncSession, now: datetime, batch: int) -> int:
    ids = select(IdempotencyRecord.id).where(IdempotencyRecord.expires_at <= now).limit(batch)
    result = await session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.id.in_(ids.scalar_subquery()))
    )
    return result.rowcount or 0
