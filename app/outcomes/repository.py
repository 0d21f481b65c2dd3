import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Outcome


@dataclass
class OutcomeFilter:
    customer_id: str | None = None
    types: list[str] | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None


async def add_many(session: AsyncSession, rows: list[dict]) -> None:
    await session.execute(insert(Outcome), rows)  # ORM bulk insert: attribute names


async def list_page(
    session: AsyncSession,
    project_id: uuid.UUID,
    filters: OutcomeFilter,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Outcome]:
    query = select(Outcome).where(Outcome.project_id == project_id)
    if filters.customer_id is not None:
        query = query.where(Outcome.customer_id == filters.customer_id)
    if filters.types:
        query = query.where(Outcome.type.in_(filters.types))
    if filters.occurred_from is not None:
        query = query.where(Outcome.occurred_at >= filters.occurred_from)
    if filters.occurred_to is not None:
        query = query.where(Outcome.occurred_at < filters.occurred_to)
    if after is not None:
        # A row comparison, which the (project_id, occurred_at, id) index bounds.
        query = query.where(tuple_(Outcome.occurred_at, Outcome.id) > tuple(after))
    query = query.order_by(Outcome.occurred_at, Outcome.id).limit(limit)
    return list(await session.scalars(query))


async def of_customer(
    session: AsyncSession, project_id: uuid.UUID, customer_id: str
) -> list[Outcome]:
    query = (
        select(Outcome)
        .where(Outcome.project_id == project_id, Outcome.customer_id == customer_id)
        .order_by(Outcome.occurred_at, Outcome.id)
    )
    return list(await session.scalars(query))


async def delete_one(session: AsyncSession, project_id: uuid.UUID, outcome_id: uuid.UUID) -> int:
    result = await session.execute(
        delete(Outcome).where(Outcome.id == outcome_id, Outcome.project_id == project_id)
    )
    return result.rowcount or 0


async def delete_customer(session: AsyncSession, project_id: uuid.UUID, customer_id: str) -> int:
    result = await session.execute(
        delete(Outcome)
        .where(Outcome.project_id == project_id, Outcome.customer_id == customer_id)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
