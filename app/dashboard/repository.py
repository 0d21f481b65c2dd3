"""Dashboard sessions: one row per signed-in browser, found by the hash of its id."""

import uuid
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import DashboardSession


async def add(session: AsyncSession, row: DashboardSession) -> None:
    session.add(row)
    await session.flush()


async def get_live(session: AsyncSession, id_hash: str, now: datetime) -> DashboardSession | None:
    query = select(DashboardSession).where(
        DashboardSession.id_hash == id_hash, DashboardSession.expires_at > now
    )
    return await session.scalar(query)


async def remove(session: AsyncSession, id_hash: str) -> None:
    await session.execute(delete(DashboardSession).where(DashboardSession.id_hash == id_hash))


async def remove_for_key(session: AsyncSession, key_id: uuid.UUID) -> None:
    await session.execute(delete(DashboardSession).where(DashboardSession.key_id == key_id))


async def purge_expired(session: AsyncSession, now: datetime) -> None:
    await session.execute(delete(DashboardSession).where(DashboardSession.expires_at <= now))
