"""Time query parameters: a date is local midnight, a time without offset is local time."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.errors import InvalidInput


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
            return datetime.combine(date.fromisoformat(value), time(), tzinfo=tz).astimezone(UTC)
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"'{name}' must be an ISO 8601 date or date-time, not {value!r}.",
            errors=[{"parameter": name, "in": "query", "detail": "not an ISO 8601 date or time"}],
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC)


def check_range(start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None and start >= end:
        raise InvalidInput(
            "'from' must be before 'to' ('from' is inclusive, 'to' exclusive).",
            errors=[{"parameter": "from", "in": "query", "detail": "must be before 'to'"}],
        )
