"""Time query parameters: a date is local midnight, a time without offset is local time.

Times are accepted from 0001-01-02 to 9999-12-30 (UTC): a day inside each end of the
calendar, so that the time seen in any zone and the bucket it falls in are still dates
Python and both databases can hold."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.errors import InvalidInput

EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 31, tzinfo=UTC)
"""Accepted times are at or after EARLIEST and before LATEST."""


def within_calendar(when: datetime) -> bool:
    """Whether an aware time lies inside the accepted range."""
    try:
        return EARLIEST <= when < LATEST
    except OverflowError:  # an offset that carries it past year 1 or year 9999
        return False


def parse_zone(name: str) -> ZoneInfo:
    try:
        if not name or name.startswith(("/", ".")) or ".." in name or "\x00" in name:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidInput(
            f"'{name}' is not an IANA time zone (for example Europe/Berlin or UTC).",
            errors=[{"parameter": "tz", "in": "query", "detail": "unknown time zone"}],
        ) from None


def parse_time(value: str | None, name: str, tz: ZoneInfo = UTC) -> datetime | None:  # type: ignore[assignment]
    if value is None:
        return None
    try:
        if len(value) == 10:
            parsed = datetime.combine(date.fromisoformat(value), time(), tzinfo=tz)
        else:
            parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"'{name}' must be an ISO 8601 date or date-time, not {value!r}.",
            errors=[{"parameter": name, "in": "query", "detail": "not an ISO 8601 date or time"}],
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    if not within_calendar(parsed):
        raise InvalidInput(
            f"'{name}' must lie between 0001-01-02 and 9999-12-30 (UTC), not {value!r}.",
            errors=[{"parameter": name, "in": "query", "detail": "outside the supported dates"}],
        )
    return parsed.astimezone(UTC)


def check_range(start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None and start >= end:
        raise InvalidInput(
            "'from' must be before 'to' ('from' is inclusive, 'to' exclusive).",
            errors=[{"parameter": "from", "in": "query", "detail": "must be before 'to'"}],
        )
