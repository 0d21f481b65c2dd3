"""Outcome rules: a known type, a time with an offset that is not in the future, an exact
amount (required for a purchase); a batch is stored whole or not at all."""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app import webhooks
from app.db import utcnow
from app.errors import InvalidInput, NotFound
from app.models import Outcome
from app.models.base import uuid7
from app.outcomes import repository
from app.outcomes.repository import OutcomeFilter
from app.outcomes.schemas import OutcomeBatch, OutcomeCreate, OutcomeOut
from app.pagination import decode_cursor, encode_cursor
from app.timeparams import check_range

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)


class OutcomeNotFound(NotFound):
    slug = "outcome-not-found"
    title = "Outcome not found"

    def __init__(self, outcome_id: uuid.UUID) -> None:
        super().__init__(f"There is no outcome {outcome_id} in this project.")


def _problems(item: OutcomeCreate, pointer: str, now: datetime) -> list[dict[str, str]]:
    problems = []
    if item.occurred_at > now:
        problems.append(
            {"pointer": f"{pointer}/occurred_at", "detail": "must not be in the future"}
        )
    if item.occurred_at < EARLIEST:
        problems.append({"pointer": f"{pointer}/occurred_at", "detail": "must not be before 1970"})
    if item.type == "purchase" and item.value is None:
        problems.append({"pointer": f"{pointer}/value", "detail": "required for a purchase"})
    return problems


def _row(project_id: uuid.UUID, item: OutcomeCreate, now: datetime) -> dict[str, Any]:
    return {
        "id": uuid7(),
        "project_id": project_id,
        "customer_id": item.customer_id,
        "type": item.type,
        "occurred_at": item.occurred_at.astimezone(UTC),
        "value": item.value,
        "attributes": item.attributes,
        "created_at": now,
    }


async def create(
    session: AsyncSession, project_id: uuid.UUID, body: OutcomeCreate | OutcomeBatch
) -> list[dict[str, Any]]:
    """Store one outcome or a batch (all or none) and queue an `outcome.created` webhook
    event for each. Returns the stored outcomes as `OutcomeOut` dicts, in the order sent.
    Raises InvalidInput listing every broken rule, with a JSON pointer per item."""
    batch = isinstance(body, OutcomeBatch)
    items = body.outcomes if isinstance(body, OutcomeBatch) else [body]
    now = utcnow()
    problems = []
    for index, item in enumerate(items):
        problems += _problems(item, f"#/outcomes/{index}" if batch else "#", now)
    if problems:
        listed = "; ".join(f"{p['pointer'][2:]}: {p['detail']}" for p in problems[:5])
        raise InvalidInput(f"Nothing was stored: {listed}.", errors=problems)
    rows = [_row(project_id, item, now) for item in items]
    await repository.add_many(session, rows)
    out = [to_out(row) for row in rows]
    await webhooks.emit_many(
        session,
        project_id,
        "outcome.created",
        [{"outcome": OutcomeOut.model_validate(o).model_dump(mode="json")} for o in out],
    )
    return out


def to_out(row: dict[str, Any] | Outcome) -> dict[str, Any]:
    get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    return {name: get(name) for name in OutcomeOut.model_fields}


async def list_page(
    session: AsyncSession,
    project_id: uuid.UUID,
    filters: OutcomeFilter,
    *,
    cursor: str | None,
    limit: int,
) -> dict[str, Any]:
    """A page of outcomes in time order (`occurred_at`, then id), as `OutcomePage`."""
    check_range(filters.occurred_from, filters.occurred_to)
    after = None
    if cursor:
        when, last_id = decode_cursor(cursor, with_time=True)
        assert when is not None
        after = (when, last_id)
    rows = await repository.list_page(session, project_id, filters, after=after, limit=limit + 1)
    page = rows[:limit]
    last = page[-1] if page else None
    return {
        "data": [to_out(r) for r in page],
        "next_cursor": encode_cursor(t=last.occurred_at.isoformat(), id=last.id) if last else None,
        "has_more": len(rows) > limit,
    }


async def of_customer(
    session: AsyncSession, project_id: uuid.UUID, customer_id: str
) -> list[dict[str, Any]]:
    """Every outcome of one customer, in time order, as `OutcomeOut` dicts."""
    return [to_out(o) for o in await repository.of_customer(session, project_id, customer_id)]


async def delete(session: AsyncSession, project_id: uuid.UUID, outcome_id: uuid.UUID) -> None:
    if not await repository.delete_one(session, project_id, outcome_id):
        raise OutcomeNotFound(outcome_id)


async def erase_customer(session: AsyncSession, project_id: uuid.UUID, customer_id: str) -> int:
    """Privacy erasure: the customer's outcomes are deleted (they would otherwise still tie
    the customer id to purchases and churn). Returns how many were deleted."""
    return await repository.delete_customer(session, project_id, customer_id)
