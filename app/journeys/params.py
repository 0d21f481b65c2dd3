"""Query parameters shared by the customer reports: ranges, horizons, dimensions, scales."""

from datetime import datetime

from app.db import utcnow
from app.errors import InvalidInput
from app.models import Survey
from app.scores.service import ATTRIBUTE, check_group_by  # noqa: F401 - one rule for reports
from app.timeparams import check_range, parse_time, parse_zone

DIMENSIONS = ("segment", "touchpoint", "channel", "locale")
MAX_DAYS = 3650
"""Horizons and windows: 1 day to 10 years."""


def check_days(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DAYS:
        raise InvalidInput(
            f"{name} must be a whole number of days from 1 to {MAX_DAYS}, not {value!r}.",
            errors=[{"parameter": name, "in": "query", "detail": f"from 1 to {MAX_DAYS}"}],
        )
    return value


def time_range(
    start: str | None, end: str | None, tz: str
) -> tuple[datetime | None, datetime | None]:
    zone = parse_zone(tz)
    lo, hi = parse_time(start, "from", zone), parse_time(end, "to", zone)
    check_range(lo, hi)
    return lo, hi


def as_of(value: str | None, tz: str) -> datetime:
    now = utcnow()
    if value is None:
        return now
    as_of = parse_time(value, "as_of", parse_zone(tz))
    assert as_of is not None
    if as_of > now:
        raise InvalidInput(
            "as_of is in the future: churn can only be counted up to now.",
            errors=[{"parameter": "as_of", "in": "query", "detail": "must not be in the future"}],
        )
    return as_of


def one_scale(found: list[Survey], parameter: str) -> tuple[str, int, int]:
    scales = {(s.kind, s.scale_min, s.scale_max) for s in found}
    if len(scales) > 1:
        listed = ", ".join(f"{k.upper()} {lo}-{hi}" for k, lo, hi in sorted(scales))
        raise InvalidInput(
            f"The surveys in {parameter} must share one kind and scale ({listed}).",
            errors=[{"parameter": parameter, "in": "query", "detail": "mixed kinds or scales"}],
            slug="mixed-scales",
            title="Surveys have different scales",
        )
    return scales.pop()


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")
