import json
import uuid
from datetime import datetime

from sqlalchemy import delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import upsert
from app.models import IdempotencyCustomer, IdempotencyRecord
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


_ADD_NEW_LOCKED = text(
    "INSERT INTO idempotency_keys"
    " (id, scope, route, key, fingerprint, status_code, body, created_at, expires_at)"
    " SELECT id, scope, route, key, fingerprint, status_code, body::jsonb, created_at, expires_at"
    " FROM unnest(CAST(:id AS uuid[]), CAST(:scope AS text[]), CAST(:route AS text[]),"
    " CAST(:key AS text[]), CAST(:fingerprint AS text[]), CAST(:status_code AS int[]),"
    " CAST(:body AS text[]), CAST(:created_at AS timestamptz[]),"
    " CAST(:expires_at AS timestamptz[]), CAST(:lock AS bigint[]))"
    " AS t(id, scope, route, key, fingerprint, status_code, body, created_at, expires_at, lock)"
    " WHERE pg_try_advisory_xact_lock(lock)"
    " ON CONFLICT (scope, route, key) DO NOTHING"
    " RETURNING scope, route, key"
)


async def add_new(
    session: AsyncSession, rows: list[dict], lock_ids: list[int]
) -> set[tuple[str, str, str]]:
    """Insert, in one statement, the records whose (scope, route, key) is not stored yet
    and whose lock (`lock_ids`, as `try_transaction_lock` takes it) no other transaction
    holds; the keys inserted. On PostgreSQL the rows go as one array per column."""
    rows = [{"id": uuid7(), **row} for row in rows]  # an id given in a row is kept
    if session.bind.dialect.name != "postgresql":  # SQLite: writers run one at a time
        table = IdempotencyRecord.__table__
        query = (
            upsert(table, session.bind.dialect.name)
            .on_conflict_do_nothing(index_elements=["scope", "route", "key"])
            .returning(table.c.scope, table.c.route, table.c.key)
        )
        result = await session.execute(query, rows)
    else:
        columns = {c: [row[c] for row in rows] for c in rows[0]}
        columns["body"] = [json.dumps(body) for body in columns["body"]]
        result = await session.execute(_ADD_NEW_LOCKED, {**columns, "lock": lock_ids})
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


async def add_customers(session: AsyncSession, rows: list[dict]) -> None:
    if rows:
        await session.execute(insert(IdempotencyCustomer), rows)


async def customer_records(
    session: AsyncSession, customer_id: str, scopes: list[str]
) -> list[IdempotencyRecord]:
    """The stored replies to these callers that show the customer, locked."""
    if not scopes:
        return []
    shown = select(IdempotencyCustomer.record_id).where(
        IdempotencyCustomer.customer_id == customer_id
    )
    query = (
        select(IdempotencyRecord)
        .where(IdempotencyRecord.id.in_(shown), IdempotencyRecord.scope.in_(scopes))
        .order_by(IdempotencyRecord.id)
        .with_for_update()
    )
    return list(await session.scalars(query))


async def forget_customer(
    session: AsyncSession, customer_id: str, record_ids: list[uuid.UUID]
) -> None:
    if record_ids:
        await session.execute(
            delete(IdempotencyCustomer).where(
                IdempotencyCustomer.customer_id == customer_id,
                IdempotencyCustomer.record_id.in_(record_ids),
            )
        )


async def remove_scopes(session: AsyncSession, scopes: list[str]) -> int:
    if not scopes:
        return 0
    result = await session.execute(
        delete(IdempotencyRecord)
        .where(IdempotencyRecord.scope.in_(scopes))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
