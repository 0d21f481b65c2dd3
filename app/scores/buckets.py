"""Time buckets cut at local midnight in an IANA zone, labelled by their local start date."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

INTERVALS = ("none", "day", "week", "month", "quarter", "year")


def bucket_start(day: date, interval: str) -> date:
    if interval == "day":
        return day
    if interval == "week":  # ISO weeks start on Monday
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    if interval == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    if interval == "year":
        return date(day.year, 1, 1)
    raise ValueError(f"unknown interval {interval!r}")


def next_bucket(start: date, interval: str) -> date:
    """The next bucket's start; OverflowError for the bucket after the one of 9999-12-31."""
    if interval == "day":
        return start + timedelta(days=1)
    if interval == "week":
        return start + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[interval]
    index = start.year * 12 + start.month - 1 + months
    if index // 12 > date.max.year:
        raise OverflowError("date value out of range")
    return date(index // 12, index % 12 + 1, 1)


def instant_bucket(instant: datetime, interval: str, tz: ZoneInfo) -> date:
    return bucket_start(instant.astimezone(tz).date(), interval)


def buckets_between(first: date, last: date, interval: str) -> list[date]:
    """Every bucket start from `first` to `last`, both included."""
    result = []
    current = first
    while current <= last:
        result.append(current)
        try:
            current = next_bucket(current, interval)
        except OverflowError:  # `last` is the calendar's last bucket
            break
    return result


def count_between(first: date, last: date, interval: str) -> int:
    """How many buckets `buckets_between` returns, by arithmetic (no list is built)."""
    if last < first:
        return 0
    if interval == "day":
        return (last - first).days + 1
    if interval == "week":
        return (last - first).days // 7 + 1
    months = {"month": 1, "quarter": 3, "year": 12}[interval]
    between = (last.year - first.year) * 12 + last.month - first.month
    return between // months + 1


def slot_start(slot: int, seconds: int) -> datetime:
    return datetime.fromtimestamp(slot * seconds, UTC)
