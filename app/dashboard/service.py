"""What the dashboard shows, as plain data. Every number comes from the services behind the
API: scores from `app.scores.service.compute` (the function of `GET /v1/scores`) and its
change test `app.scores.stats.change`, comments from `app.responses.service.list_page`
(`GET /v1/responses`). Nothing here counts or scores answers itself."""

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import utcnow
from app.models import Survey
from app.responses import service as responses
from app.responses.repository import ResponseFilter
from app.responses.schemas import ResponseOut
from app.scores import stats
from app.scores.service import ScoreParams, compute
from app.surveys import service as surveys
from app.surveys.schemas import SurveyOut
from app.themes import service as themes
from app.themes.impact import ImpactParams
from app.timeparams import parse_time, parse_zone

from .schemas import FEED_SIZE, View

METRIC = {"nps": ("nps", "nps_ci95"), "csat": ("csat", "csat_ci95"), "ces": ("ces", "ces_ci95")}
"""The headline score of each kind and its interval (CSAT's % satisfied, CES's mean)."""
STATUSES = ("active", "paused", "archived")
MAX_SURVEYS = 500
OVERVIEW_DAYS = 30


@dataclass
class Score:
    """One group's headline figures, as `/v1/scores` returns them."""

    n: int
    value: float | None
    low: float | None
    high: float | None
    low_sample: bool
    distribution: list[int]
    row: dict[str, Any]

    @classmethod
    def of(cls, kind: str, row: dict[str, Any]) -> "Score":
        name, interval = METRIC[kind]
        ci = row[interval]
        return cls(
            n=row["n"],
            value=row[name],
            low=ci["low"] if ci else None,
            high=ci["high"] if ci else None,
            low_sample=row["low_sample"],
            distribution=list(row["distribution"].values()),
            row=row,
        )


def change(survey: Survey | SurveyOut, before: Score | None, after: Score) -> dict | None:
    """The change test of the API between two periods (None when either has no answer)."""
    if before is None:
        return None
    return stats.change(
        survey.kind, survey.scale_min, survey.scale_max, before.distribution, after.distribution
    )


@dataclass
class OverviewLine:
    survey: SurveyOut
    score: Score
    change: dict | None


@dataclass
class Overview:
    first: date
    last: date
    lines: list[OverviewLine]


async def all_surveys(session: AsyncSession, project_id: uuid.UUID) -> list[SurveyOut]:
    found: list[SurveyOut] = []
    for status in STATUSES:
        cursor = None
        while len(found) < MAX_SURVEYS:
            page = await surveys.list_page(
                session, project_id, status=status, cursor=cursor, limit=100
            )
            found += page.data
            if not page.has_more:
                break
            cursor = page.next_cursor
    return found


async def total(
    session: AsyncSession, project_id: uuid.UUID, survey: Survey | SurveyOut, params: ScoreParams
) -> Score:
    """The whole range as one group (`interval=none`)."""
    report = await compute(session, project_id, replace(params, interval="none", group_by=[]))
    return Score.of(survey.kind, report["rows"][0])


async def overview(session: AsyncSession, project_id: uuid.UUID, tz: str) -> Overview:
    """Every survey over the last 30 days (today included, in `tz`) against the 30 before."""
    zone = parse_zone(tz)
    today = utcnow().astimezone(zone).date()
    first = today - timedelta(days=OVERVIEW_DAYS - 1)
    earlier = first - timedelta(days=OVERVIEW_DAYS)
    view = View(tz=tz)
    lines = []
    for survey in await all_surveys(session, project_id):
        now = await total(session, project_id, survey, view.score_params(survey.id, first, today))
        before = await total(
            session,
            project_id,
            survey,
            view.score_params(survey.id, earlier, first - timedelta(days=1)),
        )
        moved = change(survey, before, now) if now.n and before.n else None
        lines.append(OverviewLine(survey, now, moved))
    return Overview(first, today, lines)


@dataclass
class Bucket:
    start: date
    score: Score
    change: dict | None


@dataclass
class BreakdownRow:
    value: str | None
    score: Score
    change: dict | None
    trend: list[float | None]


@dataclass
class SurveyPage:
    survey: Survey
    view: View
    first: date
    last: date
    previous: tuple[date, date]
    params: ScoreParams
    score: Score
    change: dict | None
    buckets: list[Bucket]
    breakdown: list[BreakdownRow]
    options: dict[str, list[str]]
    comments: list[ResponseOut]
    next_cursor: str | None
    themes: list[dict[str, Any]] = field(default_factory=list)
    theme_names: list[str] = field(default_factory=list)


def _group_scores(kind: str, report: dict[str, Any], dimension: str) -> dict[Any, Score]:
    return {row["group"][dimension]: Score.of(kind, row) for row in report["rows"]}


def _sorted(rows: list[BreakdownRow], sort: str, descending: bool) -> list[BreakdownRow]:
    def key(row: BreakdownRow) -> tuple:
        if sort == "value":
            value: Any = (row.value or "").casefold()
        elif sort == "n":
            value = row.score.n
        elif sort == "score":
            value = row.score.value
        else:
            value = row.change["delta"] if row.change else None
        return (value is None, value if value is not None else 0)

    present = [r for r in rows if key(r)[0] is False]
    missing = [r for r in rows if key(r)[0] is True]
    present.sort(key=key, reverse=descending)
    return present + missing  # rows without a value last, either way


async def survey_page(
    session: AsyncSession, project_id: uuid.UUID, survey_id: uuid.UUID, view: View
) -> SurveyPage:
    """Raises SurveyNotFound for another project's survey, InvalidInput for a bad view."""
    survey = await surveys.get(session, project_id, survey_id)
    zone = parse_zone(view.tz)
    first, last = view.days(utcnow().astimezone(zone).date())
    length = (last - first).days + 1
    previous = (first - timedelta(days=length), first - timedelta(days=1))
    params = view.score_params(survey.id, first, last)
    before_params = view.score_params(survey.id, *previous)

    score = await total(session, project_id, survey, params)
    before = await total(session, project_id, survey, before_params)
    trend = await compute(session, project_id, params)
    buckets = [
        Bucket(row["bucket"], Score.of(survey.kind, row), row.get("change"))
        for row in trend["rows"]
    ]

    by = [view.by]
    current = _group_scores(
        survey.kind,
        await compute(session, project_id, replace(params, group_by=by, interval="none")),
        view.by,
    )
    earlier = _group_scores(
        survey.kind,
        await compute(session, project_id, replace(before_params, group_by=by, interval="none")),
        view.by,
    )
    series: dict[Any, list[float | None]] = {}
    for row in (await compute(session, project_id, replace(params, group_by=by)))["rows"]:
        series.setdefault(row["group"][view.by], []).append(row[METRIC[survey.kind][0]])
    breakdown = [
        BreakdownRow(value, now, change(survey, earlier.get(value), now), series.get(value, []))
        for value, now in current.items()
    ]

    # The values to filter by: segments and touchpoints of the range (the rollups serve
    # this), whatever the filters chosen, so that a filter can always be changed back.
    options: dict[str, set[str]] = {"segment": set(), "touchpoint": set()}
    unfiltered = replace(params, group_by=["segment", "touchpoint"], interval="none", equals={})
    for row in (await compute(session, project_id, unfiltered))["rows"]:
        for name in options:
            if row["group"][name] is not None:
                options[name].add(row["group"][name])
    for name, value in view.filters.items():
        if name in options:
            options[name].add(value)

    # Comment themes: their impact over the range (the report of /v1/analytics/themes).
    defined = await themes.list_themes(session, project_id)
    impact: list[dict[str, Any]] = []
    if defined:
        report = await themes.impact_report(
            session,
            project_id,
            ImpactParams(survey_ids=[survey.id], start=params.start, end=params.end, tz=view.tz),
        )
        impact = report["rows"]

    feed = await responses.list_page(
        session,
        project_id,
        ResponseFilter(
            survey_ids=[survey.id],
            segments=[view.filters["segment"]] if "segment" in view.filters else None,
            touchpoints=[view.filters["touchpoint"]] if "touchpoint" in view.filters else None,
            channels=[view.filters["channel"]] if "channel" in view.filters else None,
            locales=[view.filters["locale"]] if "locale" in view.filters else None,
            submitted_from=parse_time(params.start, "from", zone),
            submitted_to=parse_time(params.end, "to", zone),
            score_min=view.min_score,
            score_max=view.max_score,
            with_comment=True,
            themes=[view.theme] if view.theme else None,
        ),
        cursor=view.cursor,
        limit=FEED_SIZE,
        newest_first=True,
    )
    return SurveyPage(
        survey=survey,
        view=view,
        first=first,
        last=last,
        previous=previous,
        params=params,
        score=score,
        change=change(survey, before, score) if score.n and before.n else None,
        buckets=buckets,
        breakdown=_sorted(breakdown, view.sort, view.descending),
        options={name: sorted(values, key=str.casefold) for name, values in options.items()},
        comments=feed.data,
        next_cursor=feed.next_cursor if feed.has_more else None,
        themes=impact,
        theme_names=sorted((t.name for t in defined), key=str.casefold),
    )


async def scores_csv_report(
    session: AsyncSession, project_id: uuid.UUID, survey_id: uuid.UUID, view: View
) -> dict[str, Any]:
    """The `/v1/scores` report of the view's trend, for its CSV download."""
    survey = await surveys.get(session, project_id, survey_id)
    zone = parse_zone(view.tz)
    first, last = view.days(utcnow().astimezone(zone).date())
    return await compute(session, project_id, view.score_params(survey.id, first, last))
