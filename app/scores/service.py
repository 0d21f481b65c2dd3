"""Scores: validate the question asked, count answers in one query, then do the math."""

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from operator import add
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import SLOT_SECONDS, utcnow
from app.errors import InvalidInput
from app.scores import buckets, stats
from app.scores.repository import CountQuery, count_scores, is_label
from app.surveys import repository as surveys
from app.surveys.service import SurveyNotFound
from app.timeparams import check_range, parse_time, parse_zone

DIMENSIONS = ("segment", "touchpoint", "channel", "locale", "survey", "theme")
"""`theme`: one row per theme its comments mention (an answer mentioning two themes counts in
both) and a row (theme null) for comments that mention none; answers without a comment are
in no row."""
ATTRIBUTE = re.compile(r"^attributes\.[A-Za-z_][A-Za-z0-9_]{0,63}$")
MAX_ROWS = 50_000


@dataclass
class ScoreParams:
    survey_ids: list[uuid.UUID]
    group_by: list[str] = field(default_factory=list)
    interval: str = "none"
    tz: str = "UTC"
    start: str | None = None
    end: str | None = None
    equals: dict[str, list[str]] = field(default_factory=dict)
    min_n: int = 30


def check_group_by(names: list[str], allowed: tuple[str, ...] = DIMENSIONS) -> None:
    """Each name one of `allowed` or attributes.<key>, none repeated (every report's rule)."""
    bad = [n for n in names if n not in allowed and not ATTRIBUTE.match(n)]
    if bad:
        raise InvalidInput(
            f"Cannot group by {', '.join(repr(b) for b in bad)}. Use any of "
            f"{', '.join(allowed)} or attributes.<key>.",
            errors=[
                {"parameter": "group_by", "in": "query", "detail": f"unknown: {b}"} for b in bad
            ],
        )
    if len(set(names)) != len(names):
        raise InvalidInput(
            "Each group_by dimension may appear once.",
            errors=[{"parameter": "group_by", "in": "query", "detail": "repeated dimension"}],
        )


async def compute(session: AsyncSession, project_id: uuid.UUID, p: ScoreParams) -> dict[str, Any]:
    """The report as plain data in the shape of `ScoreReport` (rows carry only their kind's
    fields). Plain dicts, not models: a year of weekly rows is thousands of rows, and
    building a model per row cost more than the database query (see BENCHMARKS.md)."""
    check_group_by(p.group_by)
    zone = parse_zone(p.tz)
    start, end = parse_time(p.start, "from", zone), parse_time(p.end, "to", zone)
    check_range(start, end)
    _check_size(p.interval, zone, start, end)

    found = {s.id: s for s in await surveys.get_many(session, project_id, p.survey_ids)}
    for survey_id in p.survey_ids:
        if survey_id not in found:
            raise SurveyNotFound(survey_id)
    scales = {(s.kind, s.scale_min, s.scale_max) for s in found.values()}
    if len(scales) > 1:
        listed = ", ".join(f"{k.upper()} {lo}-{hi}" for k, lo, hi in sorted(scales))
        raise InvalidInput(
            f"Scores cannot combine surveys of different kinds or scales ({listed}).",
            slug="mixed-scales",
            title="Surveys have different scales",
        )
    kind, scale_min, scale_max = scales.pop()

    counts = await count_scores(
        session,
        CountQuery(
            project_id=project_id,
            survey_ids=list(found),
            dimensions=p.group_by,
            scale=(scale_min, scale_max),
            interval=p.interval,
            zone=zone,
            start=start,
            end=end,
            equals=p.equals,
        ),
    )
    width = scale_max - scale_min + 1
    groups: dict[tuple[str | None, ...], dict[date | None, list[int]]] = {}
    slot_buckets: dict[int, date] = {}
    # Dimension values are text already, except a survey id; a year of edge corrections in
    # a zone off UTC is ten thousand rows, so this loop stays lean.
    as_text = "survey" in p.group_by
    for *dims, slot, histogram in counts:
        key = tuple(None if v is None else str(v) for v in dims) if as_text else tuple(dims)
        bucket = slot
        if not is_label(slot):
            bucket = slot_buckets.get(slot)
            if bucket is None:
                instant = buckets.slot_start(slot, SLOT_SECONDS)
                bucket = slot_buckets[slot] = buckets.instant_bucket(instant, p.interval, zone)
        by_bucket = groups.get(key)
        if by_bucket is None:
            by_bucket = groups[key] = {}
        distribution = by_bucket.get(bucket)
        if distribution is None:
            by_bucket[bucket] = histogram
        else:
            by_bucket[bucket] = list(map(add, distribution, histogram))
    # Rollup days credited to one bucket and corrected from raw rows may leave a bucket, or
    # a group, whose counts cancel out: it has no answers and must not show.
    for key in list(groups):
        by_bucket = groups[key]
        for bucket in [b for b, counts in by_bucket.items() if not any(counts)]:
            del by_bucket[bucket]
        if not by_bucket:
            del groups[key]

    if not p.group_by and not groups:
        groups[()] = {}
    series = _bucket_series(p.interval, zone, start, end, groups)
    if len(groups) * len(series) > MAX_ROWS:
        raise _too_many(len(groups) * len(series))

    summarize_series = stats.series(kind, scale_min, scale_max, p.min_n)
    empty = [0] * width
    rows = []
    for key in sorted(groups, key=lambda k: [(v is None, v or "") for v in k]):
        by_bucket = groups[key]
        group = dict(zip(p.group_by, key, strict=True))  # one object for the group's rows
        summaries = summarize_series([by_bucket.get(bucket, empty) for bucket in series])
        for bucket, summary in zip(series, summaries, strict=True):
            if bucket is None:
                del summary["change"]
                rows.append({"group": group, **summary})
            else:
                rows.append({"group": group, "bucket": bucket, **summary})
    return {
        "kind": kind,
        "scale_min": scale_min,
        "scale_max": scale_max,
        "survey_ids": p.survey_ids,
        "group_by": p.group_by,
        "interval": p.interval,
        "tz": p.tz,
        "min_n": p.min_n,
        "rows": rows,
    }


def _too_many(rows: int, at_least: str = "") -> InvalidInput:
    return InvalidInput(
        f"That would return {at_least}{rows} rows (at most {MAX_ROWS}); "
        "use a coarser interval, a shorter range or fewer dimensions.",
        slug="too-many-rows",
        title="Result too large",
    )


def _check_size(interval: str, zone, start, end) -> None:
    """Refuse, before any query, a range with more buckets than a report may have rows.

    Every group has a row per bucket from `from` (else the first answer) to `to` (else
    now), so the buckets between the bounds given and now are a floor on the rows. Without
    this, `from=0001-01-02&to=9999-12-30` by day built millions of buckets on the event
    loop before the count after the query refused them."""
    if interval == "none" or (start is None and end is None):
        return
    now = utcnow()
    lo = start if start is not None else now
    hi = end if end is not None else now
    if lo >= hi:
        return
    first = buckets.instant_bucket(lo, interval, zone)
    last = buckets.instant_bucket(hi - timedelta(microseconds=1), interval, zone)
    count = buckets.count_between(first, last, interval)
    if count > MAX_ROWS:
        raise _too_many(count, "at least ")


def _bucket_series(interval, zone, start, end, groups) -> list[date | None]:
    """Every bucket of the range, empty ones included, so each group is a full time series."""
    if interval == "none":
        return [None]
    seen = [b for by_bucket in groups.values() for b in by_bucket]
    if start is not None:
        first = buckets.instant_bucket(start, interval, zone)
    elif seen:
        first = min(seen)
    else:
        return []
    if end is not None:
        last = buckets.instant_bucket(end - timedelta(microseconds=1), interval, zone)
    else:
        last = max(seen, default=buckets.instant_bucket(utcnow(), interval, zone))
    return buckets.buckets_between(first, last, interval)  # type: ignore[return-value]
