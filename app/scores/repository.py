"""Answer counts per dimension values, bucket and score: from the rollups where they can
answer (grouping and filtering by survey, segment and touchpoint), else one GROUP BY over
the responses, by 15-minute UTC slot.

Queries are built on the tables (SQLAlchemy Core), not the mapped classes: they return
thousands of plain rows, and the ORM's row loading cost more than the database did."""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    Integer,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.db import expect_small_reads, json_text, time_slot
from app.models import Response, ScoreRollup
from app.models.base import UTCDateTime
from app.models.rollup import DAY, NO_VALUE, WEEK
from app.scores.plan import Plan, day_number, day_start, make_plan

responses = Response.__table__.c
rollups = ScoreRollup.__table__.c
COLUMNS = {
    "segment": responses.segment,
    "touchpoint": responses.touchpoint,
    "channel": responses.channel,
    "locale": responses.locale,
    "survey": responses.survey_id,
}
ROLLUP_COLUMNS = {
    "segment": rollups.segment,
    "touchpoint": rollups.touchpoint,
    "survey": rollups.survey_id,
}


@dataclass
class CountQuery:
    project_id: uuid.UUID
    survey_ids: list[uuid.UUID]
    dimensions: list[str]
    scale: tuple[int, int] = (0, 10)
    interval: str = "none"
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    start: datetime | None = None
    end: datetime | None = None
    equals: dict[str, list[str]] = field(default_factory=dict)
    use_rollups: bool = True


Row = tuple[Any, ...]
"""(*dimension values, bucket, counts): `counts[i]` answers had score `scale[0] + i` (a
negative count takes answers off). The bucket is a date (or None without an interval)
already, or an int 15-minute UTC slot for the caller to place in its bucket."""


def _histogram(q: CountQuery, score: ColumnElement[int], n: Any) -> list[ColumnElement[int]]:
    """One column per scale value: a group's whole distribution comes back as one row,
    a tenth of the rows (and of the Python work) of one row per score."""
    low, high = q.scale
    return [
        cast(func.sum(case((score == value, n), else_=0)), BigInteger)
        for value in range(low, high + 1)
    ]


def _dimension(name: str, dialect: str) -> ColumnElement[Any]:
    if name.startswith("attributes."):
        return json_text(responses.attributes, name.removeprefix("attributes."), dialect)
    return COLUMNS[name]


def _raw_filter(q: CountQuery, dialect: str) -> list[ColumnElement[bool]]:
    where = [
        responses.project_id == q.project_id,
        responses.survey_id.in_(q.survey_ids),
        responses.deleted_at.is_(None),
    ]
    for name, values in q.equals.items():
        where.append(_dimension(name, dialect).in_(values))
    return where


async def count_scores(session: AsyncSession, q: CountQuery) -> list[Row]:
    names = [*q.dimensions, *q.equals]
    if q.use_rollups and all(name in ROLLUP_COLUMNS for name in names):
        return await _from_rollups(session, q)
    return await _by_slot(session, q, [(q.start, q.end)])


async def _by_slot(
    session: AsyncSession, q: CountQuery, ranges: list[tuple[datetime | None, datetime | None]]
) -> list[Row]:
    """One GROUP BY over the raw responses in `ranges`, by 15-minute slot with an interval."""
    dialect = session.get_bind().dialect.name
    dims = [_dimension(name, dialect) for name in q.dimensions]
    with_slot = q.interval != "none"
    slot = time_slot(responses.submitted_at, dialect) if with_slot else None
    keys = [*dims, *([slot] if slot is not None else [])]
    histogram = _histogram(q, responses.score, 1)
    query = select(*keys, *histogram).where(*_raw_filter(q, dialect))
    bounds = []
    for start, end in ranges:
        bound = []
        if start is not None:
            bound.append(responses.submitted_at >= start)
        if end is not None:
            bound.append(responses.submitted_at < end)
        bounds.append(and_(true(), *bound))
    query = query.where(or_(*bounds))
    if keys:
        query = query.group_by(*keys)
    width = len(dims)
    rows = (await session.execute(query)).all()
    return [
        (*row[:width], row[width] if slot is not None else None, list(row[len(keys) :]))
        for row in rows
        if any(row[len(keys) :])
    ]


async def _extent(session: AsyncSession, q: CountQuery) -> tuple[datetime, datetime] | None:
    """First and last answer time of the surveys (deleted ones included: a wider range
    only costs a little)."""
    per_survey = [
        select(
            func.min(responses.submitted_at).label("first"),
            func.max(responses.submitted_at).label("last"),
        ).where(responses.survey_id == survey_id, responses.project_id == q.project_id)
        for survey_id in q.survey_ids
    ]
    both = union_all(*per_survey).subquery()
    first, last = (
        await session.execute(select(func.min(both.c.first), func.max(both.c.last)))
    ).one()
    if first is None:
        return None
    return _aware(first), _aware(last)


def _aware(value: datetime | str) -> datetime:
    # min() over a union loses the column type on SQLite, which then returns text.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# A bounded range up to this long is planned whole. A longer or open range is first cut
# to the surveys' answers: its plan (a step per UTC day) and IN lists would be long.
PLAN_WHOLE = timedelta(days=400)


async def _from_rollups(session: AsyncSession, q: CountQuery) -> list[Row]:
    if q.start is not None and q.end is not None and q.end - q.start <= PLAN_WHOLE:
        # Periods without answers have no rollup rows and no raw rows: the same answer,
        # without a round trip for the extent.
        lo, hi = q.start, q.end
    else:
        extent = await _extent(session, q)
        if extent is None:
            return []
        # Nothing lies outside the extent, so it may grow to whole UTC days: those the
        # rollup answers.
        first, last = day_start(day_number(extent[0])), day_start(day_number(extent[1]) + 1)
        lo = max(q.start, first) if q.start else first
        hi = min(q.end, last) if q.end else last
    plan = make_plan(lo, hi, q.interval, q.zone)
    rows = await _rollup_rows(session, q, plan)
    if plan.slices or plan.slotwise:
        # Estimated at a million rows, the raw slices read thousands: no JIT, no workers.
        await expect_small_reads(session)
    rows += await _slice_rows(session, q, plan)
    if plan.slotwise:
        rows += await _by_slot(session, q, list(plan.slotwise))
    return rows


async def _rollup_rows(session: AsyncSession, q: CountQuery, plan: Plan) -> list[Row]:
    if not plan.days and not plan.weeks:
        return []
    r = rollups
    dims = [ROLLUP_COLUMNS[name] for name in q.dimensions]
    periods = []
    if plan.weeks:
        periods.append(and_(r.grain == WEEK, r.period.in_(list(plan.weeks))))
    if plan.days:
        periods.append(and_(r.grain == DAY, r.period.in_(list(plan.days))))
    low, high = q.scale
    # Summed as integers (into a bigint): PostgreSQL sums bigints into numerics, whose
    # larger states make it sort the groups (by text, slowly) instead of hashing them. A
    # rollup row counts one survey, segment and touchpoint in one UTC week: far below 2^31.
    counts = [func.sum(cast(r[f"n{v}"], Integer)) for v in range(low, high + 1)]
    query = select(*dims, r.grain, r.period, *counts).where(
        r.project_id == q.project_id,
        r.survey_id.in_(q.survey_ids),
        or_(*periods),
        *(ROLLUP_COLUMNS[name].in_(values) for name, values in q.equals.items()),
    )
    query = query.group_by(*dims, r.grain, r.period)
    labels = {WEEK: plan.weeks, DAY: plan.days}
    width = len(dims)
    result = (await session.execute(query)).all()  # fetchall: far cheaper than row by row
    if width == 2:  # the usual segment x touchpoint, without a generic loop per row
        return [
            (
                None if a == NO_VALUE else a,
                None if b == NO_VALUE else b,
                labels[grain][period],
                histogram,
            )
            for a, b, grain, period, *histogram in result
        ]
    return [
        (
            *(None if v == NO_VALUE else v for v in row[:width]),
            labels[row[width]][row[width + 1]],
            list(row[width + 2 :]),
        )
        for row in result
    ]


async def _slice_rows(session: AsyncSession, q: CountQuery, plan: Plan) -> list[Row]:
    if not plan.slices:
        return []
    dialect = session.get_bind().dialect.name
    dims = [_dimension(name, dialect) for name in q.dimensions]
    # The slices as a table joined to the answers: one index range scan per slice (and
    # survey) on (survey_id, submitted_at), where an OR of many ranges scans far more.
    slices = union_all(
        *(
            select(
                literal(i, Integer).label("part"),
                literal(piece.start, UTCDateTime()).label("start"),
                literal(piece.end, UTCDateTime()).label("end"),
            )
            for i, piece in enumerate(plan.slices)
        )
    ).subquery("slices")
    at = responses.submitted_at
    keys = [*dims, slices.c.part]
    query = (
        select(*keys, *_histogram(q, responses.score, 1))
        .select_from(slices)
        .join(Response.__table__, and_(at >= slices.c.start, at < slices.c.end))
        .where(*_raw_filter(q, dialect))
        .group_by(*keys)
    )
    rows: list[Row] = []
    width = len(dims)
    for row in (await session.execute(query)).all():
        piece = plan.slices[row[width]]
        values, counts = row[:width], list(row[width + 1 :])
        if piece.counts_plus:
            rows.append((*values, piece.plus, counts))
        if piece.counts_minus:
            rows.append((*values, piece.minus, [-c for c in counts]))
    return rows


def is_label(bucket: Any) -> bool:
    return bucket is None or isinstance(bucket, date)
