"""One GROUP BY over the responses: counts per dimension values, time slot and score."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.db import json_text, time_slot
from app.models import Response

COLUMNS = {
    "segment": Response.segment,
    "touchpoint": Response.touchpoint,
    "channel": Response.channel,
    "locale": Response.locale,
    "survey": Response.survey_id,
}


@dataclass
class CountQuery:
    project_id: uuid.UUID
    survey_ids: list[uuid.UUID]
    dimensions: list[str]
    with_slot: bool
    start: datetime | None = None
    end: datetime | None = None
    equals: dict[str, list[str]] = field(default_factory=dict)


def _dimension(name: str, dialect: str) -> ColumnElement[Any]:
    if name.startswith("attributes."):
        return json_text(Response.attributes, name.removeprefix("attributes."), dialect)
    return COLUMNS[name]


async def count_scores(session: AsyncSession, q: CountQuery) -> list[tuple[Any, ...]]:
    """Rows of (*dimension values, slot or None, score, count)."""
    dialect = session.get_bind().dialect.name
    dims = [_dimension(name, dialect) for name in q.dimensions]
    slot = time_slot(Response.submitted_at, dialect) if q.with_slot else None
    keys = [*dims, *([slot] if slot is not None else []), Response.score]
    query = select(*keys, func.count()).where(
        Response.project_id == q.project_id,
        Response.survey_id.in_(q.survey_ids),
        Response.deleted_at.is_(None),
    )
    if q.start is not None:
        query = query.where(Response.submitted_at >= q.start)
    if q.end is not None:
        query = query.where(Response.submitted_at < q.end)
    for name, values in q.equals.items():
        query = query.where(_dimension(name, dialect).in_(values))
    query = query.group_by(*keys)
    rows = (await session.execute(query)).all()
    if slot is None:
        return [(*row[:-2], None, row[-2], row[-1]) for row in rows]
    return [tuple(row) for row in rows]
