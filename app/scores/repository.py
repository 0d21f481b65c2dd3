"""Answer counts per dimension values, bucket and score: from the rollups where they can
answer (grouping and filtering by survey, segment and touchpoint), else one GROUP BY over
the responses, by 15-minute UTC slot.

Queries are built on the tables (SQLAlchemy Core), not the mapped classes: they return
thousands of plain rows, and the ORM's row loading cost more than the database did."""

import uuid
from dataclasses import dataclass, field, replace
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
from sqlalchemy.sql.selectable import Select, Subquery

from app.db import expect_small_reads, json_text, time_slot
from app.models import Response, ResponseTheme, ScoreRollup, Theme
from app.models.base import UTCDateTime
from app.models.rollup import DAY, NO_VALUE, WEEK
from app.scores.plan import Plan, day_number, day_start, make_plan
from app.themes.repository import has_comment, mentions_any, theme_ids

responses = Response.__table__.c
rollups = ScoreRollup.__table__.c
COLUMNS = {
    "segment": responses.segment,
    "touchpoint": responses.touchpoint,
    "channel": responses.channel,
    "locale": responses.locale,
    "survey": responses.survey_id,
    "theme": Theme.__table__.c.name,
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


def _histogram(
    q: CountQuery, score: ColumnElement[int], n: Any, type_: Any = BigInteger
) -> list[ColumnElement[int]]:
    """One column per scale value: a group's whole distribution comes back as one row,
    a tenth of the rows (and of the Python work) of one row per score."""
    low, high = q.scale
    return [
        cast(func.sum(case((score == value, n), else_=0)), type_) for value in range(low, high + 1)
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
        if name == "theme":  # theme ids (resolved by count_scores): mentions any of them
            where.append(mentions_any(values))
        else:
            where.append(_dimension(name, dialect).in_(values))
    return where


async def count_scores(session: AsyncSession, q: CountQuery) -> list[Row]:
    if "theme" in q.equals:  # names or ids, to ids first: a far better plan
        wanted = await theme_ids(session, q.project_id, q.equals["theme"])
        q = replace(q, equals={**q.equals, "theme": wanted})
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
    if "theme" in q.dimensions:
        # Each comment once per theme it mentions, once with no theme if it mentions none.
        tags, themes = ResponseTheme.__table__, Theme.__table__
        query = query.select_from(
            Response.__table__.outerjoin(tags, tags.c.response_id == responses.id).outerjoin(
                themes, themes.c.id == tags.c.theme_id
            )
        ).where(*has_comment())
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
    # The raw slices, estimated at a million rows, read thousands; the rollup, joined to
    # its periods, is estimated at a few rows and would be sorted instead of hashed.
    await expect_small_reads(session)
    rows = await _bucket_rows(session, q, plan)
    if plan.slotwise:
        rows += await _by_slot(session, q, list(plan.slotwise))
    return rows


async def _bucket_rows(session: AsyncSession, q: CountQuery, plan: Plan) -> list[Row]:
    """One row per group and bucket, summed in the database: the rollup's days and weeks,
    each credited to its bucket, plus the raw edge slices added to their own bucket and
    taken off the bucket of the rollup day that holds them. A year in a zone off UTC is
    thus five thousand rows, where its parts were fifteen thousand to add up in Python."""
    labels: dict[date | None, int] = {}
    periods = [
        (grain, period, labels.setdefault(label, len(labels)))
        for grain, credited in ((WEEK, plan.weeks), (DAY, plan.days))
        for period, label in credited.items()
    ]
    edges = [
        (
            piece.start,
            piece.end,
            labels.setdefault(piece.plus, len(labels)) if piece.counts_plus else None,
            labels.setdefault(piece.minus, len(labels)) if piece.counts_minus else None,
        )
        for piece in plan.slices
    ]
    parts = []
    if periods:
        parts.append(_rollup_counts(q, plan, periods))
    if edges:
        parts.extend(_edge_counts(q, session.get_bind().dialect.name, edges))
    if not parts:
        return []
    counts = union_all(*parts).subquery("counts")
    names = [f"d{i}" for i in range(len(q.dimensions))]
    keys = [*(counts.c[name] for name in names), counts.c.bucket]
    query = select(*keys, *(func.sum(counts.c[n]) for n in _counts(q))).group_by(*keys)
    result = (await session.execute(query)).all()  # fetchall: far cheaper than row by row
    by_index = list(labels)
    width = len(names)
    if width == 2:  # the usual segment x touchpoint, without a generic loop per row
        return [
            (
                None if a == NO_VALUE else a,
                None if b == NO_VALUE else b,
                by_index[bucket],
                histogram,
            )
            for a, b, bucket, *histogram in result
        ]
    return [
        (
            *(None if v == NO_VALUE else v for v in row[:width]),
            by_index[row[width]],
            list(row[width + 1 :]),
        )
        for row in result
    ]


def _counts(q: CountQuery) -> list[str]:
    low, high = q.scale
    return [f"n{v}" for v in range(low, high + 1)]


def _rollup_counts(q: CountQuery, plan: Plan, periods: list[tuple[int, int, int]]) -> Select:
    r = rollups
    table = _literal_table(
        "periods", [("grain", Integer()), ("period", Integer()), ("bucket", Integer())], periods
    )
    dims = [ROLLUP_COLUMNS[name].label(f"d{i}") for i, name in enumerate(q.dimensions)]
    within = []
    if plan.weeks:
        within.append(and_(r.grain == WEEK, r.period.in_(list(plan.weeks))))
    if plan.days:
        within.append(and_(r.grain == DAY, r.period.in_(list(plan.days))))
    # Integers, not bigints: PostgreSQL sums bigints into numerics, whose larger states
    # make it sort the groups (by text, slowly) instead of hashing them. A rollup row
    # counts one survey, segment and touchpoint in one UTC week: far below 2^31.
    return (
        select(*dims, table.c.bucket, *(cast(r[n], Integer).label(n) for n in _counts(q)))
        .select_from(
            ScoreRollup.__table__.join(
                table, and_(r.grain == table.c.grain, r.period == table.c.period)
            )
        )
        .where(
            r.project_id == q.project_id,
            r.survey_id.in_(q.survey_ids),
            or_(*within),  # the periods' index ranges; the join assigns their buckets
            *(ROLLUP_COLUMNS[name].in_(values) for name, values in q.equals.items()),
        )
    )


def _edge_counts(q: CountQuery, dialect: str, edges: list[tuple]) -> list[Select]:
    """The raw answers of each edge slice, counted for one bucket and taken off another."""
    table = _literal_table(
        "slices",
        [
            ("start", UTCDateTime()),
            ("end", UTCDateTime()),
            ("plus", Integer()),
            ("minus", Integer()),
        ],
        edges,
    )
    # Labels in the rollup are never null (NO_VALUE stands for none): the same here, so
    # that both kinds of rows fall into the same groups.
    dims = []
    for i, name in enumerate(q.dimensions):
        column = _dimension(name, dialect)
        if name in ("segment", "touchpoint"):
            column = func.coalesce(column, NO_VALUE)
        dims.append(column.label(f"d{i}"))
    at = responses.submitted_at
    # The slices as a table joined to the answers: one index range scan per slice (and
    # survey) on (survey_id, submitted_at), where an OR of many ranges scans far more.
    raw = (
        select(
            *dims,
            table.c.plus,
            table.c.minus,
            *(
                count.label(n)
                for count, n in zip(
                    _histogram(q, responses.score, 1, Integer), _counts(q), strict=True
                )
            ),
        )
        .select_from(table.join(Response.__table__, and_(at >= table.c.start, at < table.c.end)))
        .where(*_raw_filter(q, dialect))
        .group_by(*dims, table.c.plus, table.c.minus)
        .cte("edges")
    )
    names = [f"d{i}" for i in range(len(q.dimensions))]
    counted = [raw.c[name] for name in names]
    return [
        select(*counted, raw.c.plus.label("bucket"), *(raw.c[n] for n in _counts(q))).where(
            raw.c.plus.is_not(None)
        ),
        select(
            *counted, raw.c.minus.label("bucket"), *((-raw.c[n]).label(n) for n in _counts(q))
        ).where(raw.c.minus.is_not(None)),
    ]


# SQLite refuses a compound SELECT of more than 500 terms: longer literal tables are
# built as a union of unions.
UNION_TERMS = 400


def _literal_table(name: str, columns: list[tuple[str, Any]], rows: list[tuple]) -> Subquery:
    """`rows` as a table in the query (a union of one-row SELECTs: the same on SQLite
    and PostgreSQL)."""
    selects = [
        select(*(literal(v, kind).label(c) for (c, kind), v in zip(columns, row, strict=True)))
        for row in rows
    ]
    chunks = [
        union_all(*selects[i : i + UNION_TERMS]).subquery().select()
        for i in range(0, len(selects), UNION_TERMS)
    ]
    if len(chunks) == 1:
        return union_all(*selects).subquery(name)
    return union_all(*chunks).subquery(name)


def is_label(bucket: Any) -> bool:
    return bucket is None or isinstance(bucket, date)
