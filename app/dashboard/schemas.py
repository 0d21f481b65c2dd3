"""What a dashboard page shows, parsed from its query string (the filter form is a plain
GET form, so every view is a link), and the `/v1/scores` parameters it stands for."""

import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from urllib.parse import urlencode

from app.errors import InvalidInput
from app.responses.schemas import Channel
from app.scores.service import ScoreParams

RANGES = {"30": 30, "90": 90, "365": 365}
INTERVALS = ("day", "week", "month", "quarter")
BREAKDOWNS = ("segment", "touchpoint", "channel")
FILTERS = ("segment", "touchpoint", "channel", "locale")
CHANNELS: tuple[str, ...] = Channel.__args__  # type: ignore[attr-defined]
SORTS = ("value", "n", "score", "change")
LOCALE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}$")
MAX_DAYS = 3660
FEED_SIZE = 20


def _bad(parameter: str, detail: str) -> InvalidInput:
    return InvalidInput(detail, errors=[{"parameter": parameter, "in": "query", "detail": detail}])


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _bad(name, f"'{name}' must be a date such as 2026-01-31.") from None


def _score(value: str | None, name: str) -> int | None:
    if value in (None, ""):
        return None
    if not re.fullmatch(r"-?\d{1,3}", value):
        raise _bad(name, f"'{name}' must be a whole number.")
    return int(value)


def _label(value: str | None, name: str) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if len(value) > 100 or "\x00" in value:
        raise _bad(name, f"'{name}' is at most 100 characters.")
    if name == "channel" and value not in CHANNELS:
        raise _bad(name, f"'channel' is one of {', '.join(CHANNELS)}.")
    if name == "locale" and not LOCALE.match(value):
        raise _bad(name, "'locale' looks like en, de-AT or pt-BR.")
    return value


@dataclass(frozen=True)
class View:
    range: str = "30"
    first: date | None = None  # a custom range's first day
    last: date | None = None  # and its last day, included
    interval: str = "week"
    tz: str = "UTC"
    filters: dict[str, str] = field(default_factory=dict)
    by: str = "segment"
    sort: str = "n"
    descending: bool = True
    min_score: int | None = None
    max_score: int | None = None
    cursor: str | None = None
    theme: str | None = None  # comments that mention this theme (its name)

    @classmethod
    def parse(cls, query: dict[str, str]) -> "View":
        range_ = query.get("range") or "30"
        if range_ not in (*RANGES, "custom"):
            raise _bad("range", "'range' is 30, 90, 365 or custom.")
        interval = query.get("interval") or "week"
        if interval not in INTERVALS:
            raise _bad("interval", f"'interval' is one of {', '.join(INTERVALS)}.")
        by = query.get("by") or "segment"
        if by not in BREAKDOWNS:
            raise _bad("by", f"'by' is one of {', '.join(BREAKDOWNS)}.")
        sort = query.get("sort") or "n"
        if sort not in SORTS:
            raise _bad("sort", f"'sort' is one of {', '.join(SORTS)}.")
        first, last = _day(query.get("from"), "from"), _day(query.get("to"), "to")
        if range_ == "custom":
            if first is None or last is None:
                raise _bad("from", "A custom range needs both 'from' and 'to' dates.")
            if last < first:
                raise _bad("to", "'to' must not be before 'from'.")
            if (last - first).days >= MAX_DAYS:
                raise _bad("to", f"A range is at most {MAX_DAYS} days.")
        filters = {}
        for name in FILTERS:
            value = _label(query.get(name), name)
            if value is not None:
                filters[name] = value
        tz = (query.get("tz") or "UTC").strip()
        return cls(
            range=range_,
            first=first if range_ == "custom" else None,
            last=last if range_ == "custom" else None,
            interval=interval,
            tz=tz[:64],
            filters=filters,
            by=by,
            sort=sort,
            descending=query.get("order", "desc") != "asc",
            min_score=_score(query.get("min_score"), "min_score"),
            max_score=_score(query.get("max_score"), "max_score"),
            cursor=(query.get("cursor") or None),
            theme=_label(query.get("theme"), "theme"),
        )

    def days(self, today: date) -> tuple[date, date]:
        """The first and last day (included) of the range, in the view's time zone."""
        if self.range == "custom":
            assert self.first is not None and self.last is not None
            return self.first, self.last
        return today - timedelta(days=RANGES[self.range] - 1), today

    def score_params(self, survey_id, first: date, last: date, **changes) -> ScoreParams:  # type: ignore[no-untyped-def]
        """The `/v1/scores` question this view asks for the days `first`..`last`."""
        params = ScoreParams(
            survey_ids=[survey_id],
            interval=self.interval,
            tz=self.tz,
            start=first.isoformat(),
            end=(last + timedelta(days=1)).isoformat(),
            equals={name: [value] for name, value in self.filters.items()},
        )
        return replace(params, **changes)

    def query(self, **changes: object) -> str:
        """This view's query string, with some parameters changed (None drops one)."""
        values: dict[str, object] = {
            "range": self.range,
            "from": self.first.isoformat() if self.first else None,
            "to": self.last.isoformat() if self.last else None,
            "interval": self.interval,
            "tz": self.tz,
            **self.filters,
            "by": self.by,
            "sort": self.sort,
            "order": "desc" if self.descending else "asc",
            "min_score": self.min_score,
            "max_score": self.max_score,
            "theme": self.theme,
        }
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v is not None and v != ""})


def api_query(params: ScoreParams, **extra: str) -> str:
    """The `/v1/scores` query string of the same question."""
    pairs: list[tuple[str, str]] = [("survey_id", str(s)) for s in params.survey_ids]
    pairs += [("group_by", g) for g in params.group_by]
    pairs += [("interval", params.interval), ("tz", params.tz)]
    if params.start:
        pairs.append(("from", params.start))
    if params.end:
        pairs.append(("to", params.end))
    pairs += [(name, v) for name, values in params.equals.items() for v in values]
    pairs += list(extra.items())
    return urlencode(pairs)
