"""From the service's data to what a template shows: charts rendered, labels chosen.
Numbers are formatted in the templates (by the language's Formatter), never changed."""

from dataclasses import dataclass
from typing import Any

from app.dashboard import charts
from app.dashboard.i18n import Formatter
from app.dashboard.schemas import CHANNELS, api_query
from app.dashboard.service import METRIC, Score, SurveyPage
from app.scores import stats
from app.timeparams import parse_zone

MAX_SPARKLINES = 30
"""Rows after these show no small trend line (each costs a few milliseconds to draw)."""


def metric_name(f: Formatter, kind: str) -> str:
    return f(f"metric_{kind}")


def verdict(f: Formatter, change: dict | None) -> str:
    if change is None:
        return ""
    if change["p"] is None:
        return f("untested")
    return f("significant") if change["significant"] else f("not_significant")


def change_text(f: Formatter, change: dict | None) -> str:
    """The change in words and numbers: significance is never shown by colour alone."""
    if change is None:
        return "–"  # noqa: RUF001 - an en dash: no value
    return f(
        "change_text",
        delta=f.signed(change["delta"]),
        p=f.p_value(change["p"]),
        verdict=verdict(f, change),
    )


@dataclass
class Charts:
    trend: str
    distribution: str
    sparklines: list[str | None]


def draw(page: SurveyPage, f: Formatter) -> Charts:
    survey = page.survey
    points = []
    for bucket in page.buckets:
        moved = bucket.change or {}
        direction = None
        if moved.get("significant"):
            direction = "up" if moved["delta"] > 0 else "down"
        points.append(
            {
                "bucket": bucket.start.isoformat(),
                "score": bucket.score.value,
                "low": bucket.score.low,
                "high": bucket.score.high,
                "n": bucket.score.n,
                "point": "hollow" if bucket.score.low_sample else "solid",
                "moved": direction,
            }
        )
    trend = charts.render(
        charts.trend(metric_name(f, survey.kind), page.view.interval),
        points,
        f.lang,
        "trend-caption",
    )
    bars = [
        {"value": value, "count": count, "category": category(survey.kind, value)}
        for value, count in distribution(page.score)
    ]
    shape = charts.render(
        charts.distribution(survey.kind == "nps"), bars, f.lang, "distribution-caption"
    )
    drawable = [
        i
        for i, row in enumerate(page.breakdown[:MAX_SPARKLINES])
        if sum(v is not None for v in row.trend) >= 2
    ]
    drawn = charts.render_small(
        charts.sparkline(),
        [[{"i": j, "v": v} for j, v in enumerate(page.breakdown[i].trend)] for i in drawable],
        f.lang,
        [f"trend-label-{i}" for i in drawable],
    )
    sparklines: list[str | None] = [None] * len(page.breakdown)
    for i, svg in zip(drawable, drawn, strict=True):
        sparklines[i] = svg
    return Charts(trend, shape, sparklines)


def distribution(score: Score) -> list[tuple[int, int]]:
    return [(int(value), count) for value, count in score.row["distribution"].items()]


def category(kind: str, value: int) -> str | None:
    if kind != "nps":
        return None
    for name, low, high in stats.categories("nps", 0, 10):
        if low <= value <= high:
            return name
    return None


def primary(kind: str) -> tuple[str, str]:
    return METRIC[kind]


def trend_label(f: Formatter, values: list[float | None]) -> str:
    known = [v for v in values if v is not None]
    if len(known) < 2:
        return ""
    return f(
        "trend_line_label",
        first=f.number(known[0]),
        last=f.number(known[-1]),
        count=f.count(len(values)),
    )


def context(page: SurveyPage, f: Formatter) -> dict[str, Any]:
    return {
        "page": page,
        "charts": draw(page, f),
        "metric": metric_name(f, page.survey.kind),
        "change_text": lambda change: change_text(f, change),
        "verdict": lambda change: verdict(f, change),
        "trend_label": lambda values: trend_label(f, values),
        "distribution": distribution(page.score),
        "channels": CHANNELS,
        "api_query": api_query(page.params),
        "zone": parse_zone(page.view.tz),
    }
