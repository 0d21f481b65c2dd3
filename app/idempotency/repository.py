from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import upsert
from app.models import IdempotencyRecord
from app.models.base import uuid7


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


async def add_new(session: AsyncSession, rows: list[dict]) -> set[tuple[str, str, str]]:
    """Insert the records whose (scope, route, key) is not stored yet, in one statement;
    the keys inserted."""
    table = IdempotencyRecord.__table__
    query = (
        upsert(table, session.bind.dialect.name)
        .on_conflict_do_nothing(index_elements=["scope", "route", "key"])
        .returning(table.c.scope, table.c.route, table.c.key)
    )
    result = await session.execute(query, [{"id": uuid7(), **row} for row in rows])
    return {(r.scope, r.route, r.key) for r in result}


async def remove(session: AsyncSession, record: IdempotencyRecord) -> None:
    await session.delete(record)
    await session.flush()


async def purge_expired(session: AsyncSession, now: datetime, batch: int) -> int:
    ids = select(IdempotencyRecord.id).where(IdempotencyRecord.expires_at <= now).limit(batch)
    result = await session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.id.in_(ids.scalar_subquery()))
    )
    return result.rowcount or 0
