"""The customer list's SQL: every customer id of the project (from live answers and from
outcomes) with their latest answers and latest churn, filtered and paged in one query."""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Outcome, Response

responses = Response.__table__
outcomes = Outcome.__table__


@dataclass
class CustomerQuery:
    project_id: uuid.UUID
    relationship_ids: list[uuid.UUID]
    bands: list[tuple[str, int, int]]
    categories: list[str] | None = None
    churned: bool | None = None
    last_touchpoint: str | None = None
    after: str | None = None
    limit: int = 100


def _live(r: Any, project_id: uuid.UUID) -> list[Any]:
    return [
        r.c.project_id == project_id,
        r.c.deleted_at.is_(None),
        r.c.score.is_not(None),
        r.c.customer_id.is_not(None),
    ]


def _latest(r: Any, where: list[Any], name: str, *columns: Any) -> Any:
    """(customer_id, t, *columns) of each customer's latest answer passing `where`."""
    rank = func.row_number().over(
        partition_by=r.c.customer_id, order_by=(r.c.submitted_at.desc(), r.c.id.desc())
    )
    ranked = (
        select(r.c.customer_id, r.c.submitted_at.label("t"), *columns, rank.label("rn"))
        .where(*where)
        .subquery(f"{name}_ranked")
    )
    return select(*(c for c in ranked.c if c.name != "rn")).where(ranked.c.rn == 1).subquery(name)


async def customer_page(session: AsyncSession, q: CustomerQuery) -> list[Any]:
    """Rows (customer_id, answers, last_answered_at, last_touchpoint, last_touchpoint_at,
    relationship_survey_id, relationship_score, relationship_category, relationship_at,
    churned_at), ordered by customer id, at most `limit`."""
    r = responses.alias("r")
    o = outcomes.alias("o")
    ids = union(
        select(r.c.customer_id).where(*_live(r, q.project_id)),
        select(o.c.customer_id).where(o.c.project_id == q.project_id),
    ).subquery("customers")
    counted = (
        select(
            r.c.customer_id,
            func.count().label("answers"),
            func.max(r.c.submitted_at).label("last_answered_at"),
        )
        .where(*_live(r, q.project_id))
        .group_by(r.c.customer_id)
        .subquery("counted")
    )
    tp = responses.alias("tp")
    touched = _latest(
        tp, [*_live(tp, q.project_id), tp.c.touchpoint.is_not(None)], "touched", tp.c.touchpoint
    )
    rel = responses.alias("rel")
    related = _latest(
        rel,
        [*_live(rel, q.project_id), rel.c.survey_id.in_(q.relationship_ids)],
        "related",
        rel.c.survey_id,
        rel.c.score,
    )
    lost = (
        select(o.c.customer_id, func.max(o.c.occurred_at).label("churned_at"))
        .where(o.c.project_id == q.project_id, o.c.type == "churned")
        .group_by(o.c.customer_id)
        .subquery("lost")
    )
    category = case(
        *((related.c.score.between(low, high), literal(name)) for name, low, high in q.bands)
    )
    query = (
        select(
            ids.c.customer_id,
            func.coalesce(counted.c.answers, 0),
            counted.c.last_answered_at,
            touched.c.touchpoint,
            touched.c.t,
            related.c.survey_id,
            related.c.score,
            category,
            related.c.t,
            lost.c.churned_at,
        )
        .select_from(
            ids.outerjoin(counted, counted.c.customer_id == ids.c.customer_id)
            .outerjoin(touched, touched.c.customer_id == ids.c.customer_id)
            .outerjoin(related, related.c.customer_id == ids.c.customer_id)
            .outerjoin(lost, lost.c.customer_id == ids.c.customer_id)
        )
        .order_by(ids.c.customer_id)
        .limit(q.limit)
    )
    if q.after is not None:
        query = query.where(ids.c.customer_id > q.after)
    if q.categories:
        bands = [(low, high) for name, low, high in q.bands if name in q.categories]
        query = query.where(or_(*(related.c.score.between(lo, hi) for lo, hi in bands)))
    if q.churned is not None:
        query = query.where(
            lost.c.churned_at.is_not(None) if q.churned else lost.c.churned_at.is_(None)
        )
    if q.last_touchpoint is not None:
        query = query.where(and_(touched.c.touchpoint == q.last_touchpoint))
    return list((await session.execute(query)).all())
