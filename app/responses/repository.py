import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, insert, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Response, Survey
from app.themes.repository import mentioning

ERASED = {
    "score": None,
    "comment": None,
    "customer_id": None,
    "segment": None,
    "touchpoint": None,
    "channel": None,
    "locale": None,
    "attributes": None,
}
"""What a tombstone clears: it keeps ids and times only."""


@dataclass
class ResponseFilter:
    survey_ids: list[uuid.UUID] | None = None
    segments: list[str] | None = None
    touchpoints: list[str] | None = None
    channels: list[str] | None = None
    customer_id: str | None = None
    submitted_from: datetime | None = None
    submitted_to: datetime | None = None
    updated_since: datetime | None = None
    include_deleted: bool = False
    locales: list[str] | None = None
    score_min: int | None = None
    score_max: int | None = None
    with_comment: bool = False
    themes: list[str] | None = None  # theme ids or names: mentions any of them


async def add(session: AsyncSession, response: Response) -> None:
    session.add(response)
    await session.flush()


NEW_COLUMNS = [
    *("id", "project_id", "survey_id", "score", "comment", "customer_id", "segment"),
    *("touchpoint", "channel", "locale", "attributes", "submitted_at", "created_at"),
    *("updated_at", "invitation_id"),
]
_INSERT_ARRAYS = text(
    """
    INSERT INTO responses (id, project_id, survey_id, score, comment, customer_id, segment,
                           touchpoint, channel, locale, attributes, submitted_at, created_at,
                           updated_at, invitation_id)
    SELECT id, project_id, survey_id, score, comment, customer_id, segment, touchpoint,
           channel, locale, attributes::jsonb, submitted_at, created_at, updated_at,
           invitation_id
    FROM unnest(CAST(:id AS uuid[]), CAST(:project_id AS uuid[]), CAST(:survey_id AS uuid[]),
                CAST(:score AS int[]), CAST(:comment AS text[]), CAST(:customer_id AS text[]),
                CAST(:segment AS text[]), CAST(:touchpoint AS text[]), CAST(:channel AS text[]),
                CAST(:locale AS text[]), CAST(:attributes AS text[]),
                CAST(:submitted_at AS timestamptz[]), CAST(:created_at AS timestamptz[]),
                CAST(:updated_at AS timestamptz[]), CAST(:invitation_id AS uuid[]))
         AS t(id, project_id, survey_id, score, comment, customer_id, segment, touchpoint,
              channel, locale, attributes, submitted_at, created_at, updated_at, invitation_id)
    """
)


async def add_many(session: AsyncSession, rows: list[dict]) -> None:
    """Insert new answers (from the API or from invitation links) in one statement. On
    PostgreSQL the rows go as one array per column (one prepared statement whatever the
    batch size, no per-row parameter handling), elsewhere as an executemany."""
    if session.bind.dialect.name != "postgresql":
        await session.execute(insert(Response.__table__), rows)
        return
    columns = {c: [row[c] for row in rows] for c in NEW_COLUMNS}
    columns["attributes"] = [None if a is None else json.dumps(a) for a in columns["attributes"]]
    await session.execute(_INSERT_ARRAYS, columns)


async def get(
    session: AsyncSession, project_id: uuid.UUID, response_id: uuid.UUID, *, lock: bool = False
) -> Response | None:
    query = select(Response).where(
        Response.id == response_id,
        Response.project_id == project_id,
        Response.deleted_at.is_(None),
    )
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


def filtered(query: Select, filters: ResponseFilter) -> Select:
    """`query` narrowed to the responses that pass `filters` (all but `include_deleted`)."""
    if filters.survey_ids:
        query = query.where(Response.survey_id.in_(filters.survey_ids))
    if filters.segments:
        query = query.where(Response.segment.in_(filters.segments))
    if filters.touchpoints:
        query = query.where(Response.touchpoint.in_(filters.touchpoints))
    if filters.channels:
        query = query.where(Response.channel.in_(filters.channels))
    if filters.customer_id is not None:
        query = query.where(Response.customer_id == filters.customer_id)
    if filters.submitted_from is not None:
        query = query.where(Response.submitted_at >= filters.submitted_from)
    if filters.submitted_to is not None:
        query = query.where(Response.submitted_at < filters.submitted_to)
    if filters.updated_since is not None:
        query = query.where(Response.updated_at >= filters.updated_since)
    if filters.locales:
        query = query.where(Response.locale.in_(filters.locales))
    if filters.score_min is not None:
        query = query.where(Response.score >= filters.score_min)
    if filters.score_max is not None:
        query = query.where(Response.score <= filters.score_max)
    if filters.with_comment:
        query = query.where(Response.comment.is_not(None), Response.comment != "")
    if filters.themes:
        query = query.where(Response.id.in_(mentioning(filters.themes)))
    return query


async def list_page(
    session: AsyncSession,
    project_id: uuid.UUID,
    filters: ResponseFilter,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
    newest_first: bool = False,
) -> list[Response]:
    query = select(Response).where(Response.project_id == project_id)
    if not filters.include_deleted:
        query = query.where(Response.deleted_at.is_(None))
    query = filtered(query, filters)
    if newest_first:
        # Newest answers first (a feed), by first submission: the (survey_id,
        # submitted_at) index serves one survey's feed from its end.
        if after is not None:
            query = query.where(tuple_(Response.submitted_at, Response.id) < tuple(after))
        query = query.order_by(Response.submitted_at.desc(), Response.id.desc())
        return list(await session.scalars(query.limit(limit)))
    if after is not None:
        # A row comparison, which the (project_id, updated_at, id) index bounds: an OR of
        # the two cases made every page scan all earlier rows.
        query = query.where(tuple_(Response.updated_at, Response.id) > tuple(after))
    query = query.order_by(Response.updated_at, Response.id).limit(limit)
    return list(await session.scalars(query))


async def customer_responses(
    session: AsyncSession, project_id: uuid.UUID, customer_id: str
) -> list[Response]:
    """A customer's live responses, locked for erasure."""
    query = (
        select(Response)
        .where(
            Response.project_id == project_id,
            Response.customer_id == customer_id,
            Response.deleted_at.is_(None),
        )
        .order_by(Response.id)
        .with_for_update()
    )
    return list(await session.scalars(query))


async def customer_answers(
    session: AsyncSession, project_id: uuid.UUID, customer_id: str
) -> list[tuple[Response, Survey]]:
    query = (
        select(Response, Survey)
        .join(Survey, Survey.id == Response.survey_id)
        .where(
            Response.project_id == project_id,
            Response.customer_id == customer_id,
            Response.deleted_at.is_(None),
        )
        .order_by(Response.submitted_at, Response.id)
    )
    return [(r, s) for r, s in (await session.execute(query)).all()]
