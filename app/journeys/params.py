"""Query parameters shared by the customer reports: ranges, horizons, dimensions, scales."""

import re
from datetime import datetime

from app.db import utcnow
from app.errors import InvalidInput
from app.models import Survey
from app.timeparams import check_range, parse_time, parse_zone

DIMENSIONS = ("segment", "touchpoint", "channel", "locale")
ATTRIBUTE = re.compile(r"^attributes\.[A-Za-z_][A-Za-z0-9_]{0,63}$")
MAX_DAYS = 3650
"""Horizons and windows: 1 day to 10 years."""


def check_group_by(names: list[str], allowed: tuple[str, ...]) -> None:
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
