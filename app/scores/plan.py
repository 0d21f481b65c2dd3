"""Which parts of a score query's time range the rollups answer, and which raw rows fix up
the edges, so that any time zone's buckets come out exact.

The rollups count answers per whole UTC day and week. A bucket boundary in the caller's
zone (local midnight) usually falls inside a UTC day. Such a day is read from the rollup and
credited to the bucket that holds most of it; the smaller part is recounted from the raw
responses, added to its own bucket and taken off the day's bucket. Berlin's weekly buckets
thus cost one or two raw hours per week, UTC's none.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from app.scores.buckets import instant_bucket, next_bucket

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_DAY = timedelta(days=1)
TINY = timedelta(microseconds=1)


@dataclass(frozen=True)
class Piece:
    """A stretch of time whose every instant falls in bucket `label` (None: no interval).
    An inexact piece does not (a zone whose clocks move back across a boundary): it is
    counted from raw rows slot by slot."""

    start: datetime
    end: datetime
    label: date | None
    exact: bool = True


@dataclass(frozen=True)
class Slice:
    """Raw answers in [start, end): counted for bucket `plus` (unless it lies outside the
    query) and taken off bucket `minus` (when a rollup day that holds them was credited to
    a different bucket)."""

    start: datetime
    end: datetime
    plus: date | None
    minus: date | None
    counts_plus: bool
    counts_minus: bool


@dataclass
class Plan:
    days: dict[int, date | None] = field(default_factory=dict)
    weeks: dict[int, date | None] = field(default_factory=dict)
    slices: list[Slice] = field(default_factory=list)
    slotwise: list[tuple[datetime, datetime]] = field(default_factory=list)


def day_number(instant: datetime) -> int:
    return (instant - EPOCH) // ONE_DAY


def day_start(day: int) -> datetime:
    return EPOCH + day * ONE_DAY


def week_of(day: int) -> int:
    """The Monday of a day's week, as a day number (1970-01-01 was a Thursday)."""
    return day - (day + 3) % 7


def make_plan(lo: datetime, hi: datetime, interval: str, zone: ZoneInfo) -> Plan:
    plan = Plan()
    if lo >= hi:
        return plan
    pieces = split(lo, hi, interval, zone)
    for start, end in ((p.start, p.end) for p in pieces if not p.exact):
        plan.slotwise.append((start, end))
    for day in range(day_number(lo), day_number(hi - TINY) + 1):
        _plan_day(plan, day, pieces, lo, hi)
    weeks: dict[int, list[date | None]] = {}
    for day, label in plan.days.items():
        weeks.setdefault(week_of(day), []).append(label)
    for week, labels in weeks.items():
        if len(labels) == 7 and len(set(labels)) == 1:
            plan.weeks[week] = labels[0]
            for day in range(week, week + 7):
                del plan.days[day]
    return plan


def split(lo: datetime, hi: datetime, interval: str, zone: ZoneInfo) -> list[Piece]:
    """[lo, hi) cut at every bucket boundary and every change of the zone's UTC offset."""
    if interval == "none":
        return [Piece(lo, hi, None)]
    points = {lo, hi}
    bucket = instant_bucket(lo, interval, zone)
    while True:
        try:
            bucket = next_bucket(bucket, interval)
            edge = datetime.combine(bucket, time(), tzinfo=zone).astimezone(UTC)
        except OverflowError:  # no bucket starts after the calendar's last one
            break
        if edge >= hi:
            break
        if edge > lo:
            points.add(edge)
    points |= _offset_changes(lo, hi, zone)
    cuts = sorted(points)
    pieces = []
    for start, end in pairwise(cuts):
        label = instant_bucket(start, interval, zone)
        exact = (
            instant_bucket(end - TINY, interval, zone) == label
            and start.astimezone(zone).utcoffset() == (end - TINY).astimezone(zone).utcoffset()
        )
        pieces.append(Piece(start, end, label, exact))
    return pieces


def _offset_changes(lo: datetime, hi: datetime, zone: ZoneInfo) -> set[datetime]:
    """Instants (to the second) where the zone's offset changes, at most one per UTC day."""
    checks = [lo, *(day_start(d) for d in range(day_number(lo) + 1, day_number(hi) + 1)), hi]
    changes = set()
    for before, after in pairwise(checks):
        offset = before.astimezone(zone).utcoffset()
        if (after - TINY).astimezone(zone).utcoffset() == offset:
            continue
        while after - before > timedelta(seconds=1):
            middle = before + (after - before) / 2
            if middle.astimezone(zone).utcoffset() == offset:
                before = middle
            else:
                after = middle
        changes.add(after.replace(microsecond=0))
    return {c for c in changes if lo < c < hi}


def _plan_day(plan: Plan, day: int, pieces: list[Piece], lo: datetime, hi: datetime) -> None:
    start, end = day_start(day), day_start(day + 1)
    parts: list[tuple[datetime, datetime, Piece | None]] = []
    if start < lo:
        parts.append((start, lo, None))
    for piece in pieces:
        if piece.end > start and piece.start < end:
            parts.append((max(start, piece.start), min(end, piece.end), piece))
    if end > hi:
        parts.append((hi, end, None))
    if any(piece is not None and not piece.exact for _s, _e, piece in parts):
        owner = None  # such a day is rare (clocks moving back over a boundary): all raw
    else:
        owner = max(parts, key=lambda part: part[1] - part[0])[2]
    if owner is not None:
        plan.days[day] = owner.label
    for part_start, part_end, piece in parts:
        if piece is owner or (piece is not None and not piece.exact) or not (piece or owner):
            continue  # the day row counts it, it is counted slot by slot, or it is outside
        plan.slices.append(
            Slice(
                part_start,
                part_end,
                plus=piece.label if piece else None,
                minus=owner.label if owner else None,
                counts_plus=piece is not None,
                counts_minus=owner is not None,
            )
        )
