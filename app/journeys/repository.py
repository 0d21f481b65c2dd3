"""The customer reports' SQL: each report is one query that picks every customer's latest
answer in the range (a window function, the same on SQLite and PostgreSQL), joins it to
the customer's outcomes or other answers, and counts in GROUP BY. No rows are looped over
in Python: what comes back is one row per group.

Queries are built on the tables (SQLAlchemy Core): they read answers and outcomes of many
customers at once, across the responses and outcomes domains, as the scores do."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Subquery

from app.db import expect_large_reads, json_text, plus_days
from app.models import JourneyStage, Outcome, Response

responses = Response.__table__
outcomes = Outcome.__table__
VALUE_DAYS = 365
"""A customer's value: their purchases in the 365 days up to the answer (METRICS.md)."""

Bands = list[tuple[str, int, int]]
"""Answer categories as (name, lowest score, highest score), from `stats.categories`."""


@dataclass
class UnitQuery:
    """Each customer's latest live answer to `survey_ids` with start <= time < end."""

    project_id: uuid.UUID
    survey_ids: list[uuid.UUID]
    start: datetime | None = None
    end: datetime | None = None
    dimensions: list[str] = field(default_factory=list)


def _dimension(table: Any, name: str, dialect: str) -> ColumnElement[Any]:
    if name.startswith("attributes."):
        return json_text(table.c.attributes, name.removeprefix("attributes."), dialect)
    return table.c[name]


def _units(q: UnitQuery, dialect: str, name: str) -> Subquery:
    """(id, customer_id, t, score, d0..dn) of each customer's latest answer: the one with the
    latest first-submission time, the later id among equal times. Counted in time order,
    the latest is the last of its customer (row number = count): the order of the
    `ix_responses_customer_latest` index, so PostgreSQL reads it without a sort."""
    r = responses.alias(f"{name}_answers")
    position = func.row_number().over(
        partition_by=r.c.customer_id, order_by=(r.c.submitted_at, r.c.id)
    )
    answers = func.count().over(partition_by=r.c.customer_id)
    where = [
        r.c.project_id == q.project_id,
        r.c.survey_id.in_(q.survey_ids),
        r.c.deleted_at.is_(None),
        r.c.score.is_not(None),
        r.c.customer_id.is_not(None),
    ]
    if q.start is not None:
        where.append(r.c.submitted_at >= q.start)
    if q.end is not None:
        where.append(r.c.submitted_at < q.end)
    dims = [_dimension(r, d, dialect).label(f"d{i}") for i, d in enumerate(q.dimensions)]
    ranked = (
        select(
            r.c.id,
            r.c.customer_id,
            r.c.submitted_at.label("t"),
            r.c.score,
            *dims,
            position.label("position"),
            answers.label("answers"),
        )
        .where(*where)
        .subquery(f"{name}_ranked")
    )
    columns = [c for c in ranked.c if c.name not in ("position", "answers")]
    return select(*columns).where(ranked.c.position == ranked.c.answers).subquery(name)


def _band(score: ColumnElement[int], bands: Bands) -> ColumnElement[str]:
    return case(*((score.between(low, high), literal(name)) for name, low, high in bands))


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


@dataclass
class ChurnQuery:
    units: UnitQuery
    horizon_days: int
    cutoff: datetime
    """Units answered at or before it are eligible: as_of minus the horizon."""
    bands: Bands | None = None
    """Split by answer category (innermost group); None: no split."""


async def churn_counts(session: AsyncSession, q: ChurnQuery) -> list[tuple[Any, ...]]:
    """Rows of (*dimension values, category or None, customers, eligible, churned,
    value_eligible_cents, value_churned_cents), one per group that has customers.

    Eligible: t <= cutoff. Churned (counted among the eligible only): a `churned` outcome
    with t < occurred_at <= t + horizon. Value: the customer's `purchase` values with
    t - 365 days <= occurred_at <= t, in cents."""
    dialect = session.get_bind().dialect.name
    await expect_large_reads(session)
    u = _units(q.units, dialect, "units")
    o = outcomes.alias("o")
    horizon_end = plus_days(u.c.t, q.horizon_days, dialect)
    value_start = plus_days(u.c.t, -VALUE_DAYS, dialect)
    joined = u.outerjoin(
        o,
        and_(
            o.c.project_id == q.units.project_id,
            o.c.customer_id == u.c.customer_id,
            o.c.type.in_(("churned", "purchase")),
            o.c.occurred_at >= value_start,
            o.c.occurred_at <= horizon_end,
        ),
    )
    churned = _flag(and_(o.c.type == "churned", o.c.occurred_at > u.c.t))
    bought = and_(o.c.type == "purchase", o.c.occurred_at <= u.c.t)
    dims = [u.c[f"d{i}"] for i in range(len(q.units.dimensions))]
    cents = type_coerce(o.c.value_cents, BigInteger)
    per_customer = (
        select(
            u.c.customer_id,
            u.c.t,
            u.c.score,
            *dims,
            func.max(churned).label("churned"),
            # Whole cents, not amounts: the outer sums stay integers (exact).
            func.coalesce(func.sum(case((bought, cents), else_=0)), 0).label("value"),
        )
        .select_from(joined)
        # By the unit's id first: one per customer, and a uuid sorts faster than text.
        .group_by(u.c.id, u.c.customer_id, u.c.t, u.c.score, *dims)
        .subquery("per_customer")
    )
    p = per_customer.c
    keys = [p[f"d{i}"] for i in range(len(q.units.dimensions))]
    band = _band(p.score, q.bands).label("category") if q.bands else literal(None).label("category")
    eligible = p.t <= q.cutoff
    lost = and_(eligible, p.churned == 1)
    query = select(
        *keys,
        band,
        func.count(),
        func.sum(_flag(eligible)),
        func.sum(_flag(lost)),
        func.sum(case((eligible, p.value), else_=0)),
        func.sum(case((lost, p.value), else_=0)),
    ).group_by(*keys, *([band] if q.bands else []))
    return [tuple(row) for row in await session.execute(query)]


@dataclass
class DriverQuery:
    relationship: UnitQuery
    transactional: dict[uuid.UUID, int]
    """Each transactional survey and its lowest good score (top box, easy)."""
    window_days: int


async def driver_counts(session: AsyncSession, q: DriverQuery) -> list[tuple[Any, ...]]:
    """Rows of (*dimension values, touchpoint, good (1 or 0), n0..n10): the relationship
    scores of the customers whose latest transactional answer at that touchpoint, with
    t_R - window <= time <= t_R, was good or not."""
    dialect = session.get_bind().dialect.name
    await expect_large_reads(session)
    u = _units(q.relationship, dialect, "rel")
    r = responses.alias("tx")
    good = _flag(
        or_(*(and_(r.c.survey_id == sid, r.c.score >= low) for sid, low in q.transactional.items()))
    )
    latest = func.row_number().over(
        partition_by=(u.c.id, r.c.touchpoint),
        order_by=(r.c.submitted_at.desc(), r.c.id.desc()),
    )
    dims = [u.c[f"d{i}"] for i in range(len(q.relationship.dimensions))]
    experiences = (
        select(
            *dims,
            u.c.score,
            r.c.touchpoint,
            good.label("good"),
            latest.label("rn"),
        )
        .select_from(
            u.join(
                r,
                and_(
                    r.c.project_id == q.relationship.project_id,
                    r.c.survey_id.in_(list(q.transactional)),
                    r.c.customer_id == u.c.customer_id,
                    r.c.deleted_at.is_(None),
                    r.c.score.is_not(None),
                    r.c.touchpoint.is_not(None),
                    r.c.submitted_at >= plus_days(u.c.t, -q.window_days, dialect),
                    r.c.submitted_at <= u.c.t,
                ),
            )
        )
        .subquery("experiences")
    )
    e = experiences.c
    keys = [e[f"d{i}"] for i in range(len(q.relationship.dimensions))]
    histogram = [cast(func.sum(_flag(e.score == s)), BigInteger) for s in range(11)]
    query = (
        select(*keys, e.touchpoint, e.good, *histogram)
        .where(e.rn == 1)
        .group_by(*keys, e.touchpoint, e.good)
    )
    return [tuple(row) for row in await session.execute(query)]


# --- the declared journey ----------------------------------------------------------------


async def stages(session: AsyncSession, project_id: uuid.UUID) -> list[str]:
    query = (
        select(JourneyStage.touchpoint)
        .where(JourneyStage.project_id == project_id)
        .order_by(JourneyStage.position)
    )
    return list(await session.scalars(query))


async def replace_stages(
    session: AsyncSession, project_id: uuid.UUID, touchpoints: list[str]
) -> None:
    await session.execute(delete(JourneyStage).where(JourneyStage.project_id == project_id))
    if touchpoints:
        rows = [
            {"project_id": project_id, "position": i, "touchpoint": t}
            for i, t in enumerate(touchpoints)
        ]
        await session.execute(insert(JourneyStage), rows)
