"""Charts as Vega-Lite specifications (written with Altair) rendered to SVG on the server by
vl-convert, which runs Vega in-process: no script, no font or data is fetched from
anywhere, and the page needs no JavaScript to show them. Every chart also has a data table
on the page; the SVG is one image (role="img") labelled by its caption.

A chart's specification does not depend on its data (the data is a named dataset), so
each is compiled from Vega-Lite to Vega once and only drawn per page: compiling cost as
much as drawing (see BENCHMARKS.md)."""

import copy
import json
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import altair as alt
import vl_convert

from app.dashboard.i18n import D3_LOCALES

# Specifications are built from constants here; validating each against the Vega-Lite
# schema on every page took longer than drawing it.
alt.utils.schemapi.disable_debug_mode()

INK = "#1f2933"
MUTED = "#52606d"
LINE = "#1f4f8b"
BAND = "#9fb8d9"
RISE = "#1b7f3b"
FALL = "#b42318"
CATEGORY_COLOURS = {"promoter": "#1b7f3b", "passive": "#8a6d00", "detractor": "#b42318"}
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"
CONFIG = {
    # One image labelled by its caption (the data table beside it says the rest): Vega's
    # own ARIA roles on every mark would make each point an unlabelled image.
    "aria": False,
    "font": FONT,
    "axis": {"labelColor": INK, "titleColor": INK, "gridColor": "#e4e7eb", "labelFontSize": 12},
    "view": {"stroke": "transparent"},
    "background": "white",
}
DATA = "points"
TIME_FORMATS = {"day": "%d %b", "week": "%d %b", "month": "%b %Y", "quarter": "%b %Y"}
_ROOT = re.compile(r"^<svg ")
_INNER_ARIA = re.compile(r' (?:role="graphics-[a-z]+"|aria-roledescription="[^"]*")')
_MARKS = re.compile(r'<g class="mark-[a-z]+ role-mark marks"[^>]*?(?:/>|>.*?</g>)', re.S)


def compiled(make: Callable[..., alt.TopLevelMixin]) -> Callable[..., dict[str, Any]]:
    """`make(...)`'s chart, compiled to Vega once for each set of arguments."""

    @lru_cache(maxsize=64)
    def vega(*args: Any) -> dict[str, Any]:
        return vl_convert.vegalite_to_vega(make(*args).to_dict(validate=False), config=CONFIG)

    return vega


_CHARTS: dict[int, dict[str, Any]] = {}


def render(chart: dict[str, Any], values: list[dict[str, Any]], lang: str, label_id: str) -> str:
    """A compiled chart drawn with `values` as its data, as an inline SVG element labelled
    by the element `label_id`. The same chart of the same data is the same SVG: the last
    few hundred are kept, so that a view seen again (a reload, a filter set back) is not
    drawn again, while any new answer changes the data and so the drawing."""
    _CHARTS.setdefault(id(chart), chart)
    return _draw(id(chart), json.dumps(values, sort_keys=True, default=str), lang, label_id)


@lru_cache(maxsize=256)
def _draw(chart_id: int, values: str, lang: str, label_id: str) -> str:
    vega = copy.deepcopy(_CHARTS[chart_id])
    for dataset in vega.get("data", []):
        if dataset.get("name") == DATA:
            dataset["values"] = json.loads(values)
    return _labelled(_to_svg(vega, lang), label_id)


def _to_svg(vega: dict[str, Any], lang: str) -> str:
    svg = vl_convert.vega_to_svg(
        vega,
        allowed_base_urls=[],  # inline data only: never fetch anything
        format_locale=D3_LOCALES[lang],
        time_format_locale=D3_LOCALES[lang],
    )
    return _INNER_ARIA.sub("", svg)


def _labelled(svg: str, label_id: str) -> str:
    return _ROOT.sub(
        f'<svg role="img" aria-labelledby="{label_id}" focusable="false" ', svg, count=1
    )


_SMALL: dict[tuple[int, str, str], str] = {}
"""Small charts already drawn (unlabelled), by chart, data and language: the last few
hundred."""


def render_small(
    chart: dict[str, Any], rows: list[list[dict[str, Any]]], lang: str, label_ids: list[str]
) -> list[str]:
    """Several drawings of one small compiled chart without axes (a sparkline), one per
    data in `rows`, each an inline SVG element labelled by its `label_ids` element. They
    are drawn together in ONE call to Vega (each in a group of its own, one below the
    other) and the drawing is cut back into one SVG per row: each call costs a few
    milliseconds whatever it draws, and a breakdown has up to thirty rows."""
    _CHARTS.setdefault(id(chart), chart)
    keys = [(id(chart), json.dumps(row, sort_keys=True, default=str), lang) for row in rows]
    missing = list(dict.fromkeys(key for key in keys if key not in _SMALL))
    if missing:
        drawn = _MARKS.findall(_to_svg(_stacked(chart, [json.loads(k[1]) for k in missing]), lang))
        assert len(drawn) == len(missing), "one mark container per small chart"
        skeleton = _skeleton(id(chart), lang)
        for key, marks in zip(missing, drawn, strict=True):
            _SMALL[key] = _MARKS.sub(lambda _m, marks=marks: marks, skeleton, count=1)
        while len(_SMALL) > 512:
            del _SMALL[next(iter(_SMALL))]
    return [_labelled(_SMALL[key], label) for key, label in zip(keys, label_ids, strict=True)]


def _fixed(spec: Any, width: int, height: int) -> Any:
    """`spec` with the view's width and height signals replaced by their values (a group
    drawn inside another has no signals of its own)."""
    if isinstance(spec, dict):
        if spec == {"signal": "width"}:
            return width
        if spec == {"signal": "height"}:
            return height
        return {key: _fixed(value, width, height) for key, value in spec.items()}
    if isinstance(spec, list):
        return [_fixed(item, width, height) for item in spec]
    return spec


def _stacked(chart: dict[str, Any], rows: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """One Vega specification drawing `chart` once per row of data, one below the other."""
    width, height = chart["width"], chart["height"]
    groups = []
    for i, values in enumerate(rows):
        data = copy.deepcopy(chart["data"])
        for dataset in data:
            if dataset.get("name") == DATA:
                dataset["values"] = values
        groups.append(
            {
                "type": "group",
                "encode": {
                    "enter": {
                        "x": {"value": 0},
                        "y": {"value": i * height},
                        "width": {"value": width},
                        "height": {"value": height},
                    }
                },
                "data": data,
                "scales": _fixed(chart.get("scales", []), width, height),
                "marks": _fixed(chart["marks"], width, height),
            }
        )
    outer = {key: chart[key] for key in ("$schema", "background", "padding", "config")}
    return outer | {
        "autosize": "none",
        "width": width,
        "height": height * len(rows),
        "marks": groups,
    }


@lru_cache(maxsize=8)
def _skeleton(chart_id: int, lang: str) -> str:
    """The SVG of one small chart, its marks to be replaced by those of each row."""
    vega = copy.deepcopy(_CHARTS[chart_id])
    for dataset in vega.get("data", []):
        if dataset.get("name") == DATA:
            dataset["values"] = []
    return _to_svg(vega, lang)


def _trend(metric: str, interval: str) -> alt.VConcatChart:
    """Score per bucket (line) with its 95% interval (band), hollow points for low samples,
    triangles for significant changes, and answers per bucket (bars) below.

    Data: bucket (ISO date), score, low, high, n, point ("solid" or "hollow"), moved
    ("up", "down" or null: a significant change from the bucket before)."""
    data = alt.NamedData(name=DATA)
    # Few labels: each label's text is measured with the fonts when the chart is drawn,
    # the largest part of its cost.
    axis = alt.Axis(grid=False, format=TIME_FORMATS[interval], labelOverlap=True, tickCount=6)
    x = alt.X("bucket:T", title=None, scale=alt.Scale(type="utc"), axis=axis)
    base = alt.Chart(data).encode(x=x)
    band = base.mark_area(color=BAND, opacity=0.45).encode(
        y=alt.Y("low:Q", title=metric, scale=alt.Scale(zero=False), axis=alt.Axis(tickCount=5)),
        y2="high:Q",
    )
    line = base.mark_line(color=LINE, strokeWidth=2).encode(y="score:Q")
    points = (
        base.transform_filter("datum.score != null")
        .mark_point(size=40, opacity=1, strokeWidth=1.5)
        .encode(
            y="score:Q",
            fill=alt.Fill(
                "point:N",
                scale=alt.Scale(domain=["solid", "hollow"], range=[LINE, "white"]),
                legend=None,
            ),
            stroke=alt.Stroke(
                "point:N",
                scale=alt.Scale(domain=["solid", "hollow"], range=[LINE, MUTED]),
                legend=None,
            ),
        )
    )
    moved = (
        base.transform_filter("datum.moved != null")
        .mark_point(filled=True, size=90, opacity=1)
        .encode(
            y="high:Q",
            shape=alt.Shape(
                "moved:N",
                scale=alt.Scale(domain=["up", "down"], range=["triangle-up", "triangle-down"]),
                legend=None,
            ),
            color=alt.Color(
                "moved:N", scale=alt.Scale(domain=["up", "down"], range=[RISE, FALL]), legend=None
            ),
        )
    )
    scores = alt.layer(band, line, points, moved).properties(width=680, height=220)
    counts = (
        alt.Chart(data)
        .mark_bar(color="#7b8794")
        .encode(
            x=alt.X("bucket:T", title=None, scale=alt.Scale(type="utc"), axis=None),
            y=alt.Y("n:Q", title="n", axis=alt.Axis(tickCount=2, grid=False)),
        )
        .properties(width=680, height=50)
    )
    # The answers per bucket above the scores: both share the scores' time axis.
    return alt.vconcat(counts, scores, spacing=6)


def _distribution(categories: bool) -> alt.Chart:
    """Answers per scale value. Data: value, count, category (NPS) or null."""
    colour: Any = alt.value(LINE)
    if categories:
        colour = alt.Color(
            "category:N",
            scale=alt.Scale(domain=list(CATEGORY_COLOURS), range=list(CATEGORY_COLOURS.values())),
            legend=None,
        )
    return (
        alt.Chart(alt.NamedData(name=DATA))
        .mark_bar()
        .encode(
            x=alt.X("value:O", title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("count:Q", title=None, axis=alt.Axis(tickCount=4)),
            color=colour,
        )
        .properties(width=alt.Step(34), height=160)
    )


def _sparkline() -> alt.Chart:
    """A group's score per bucket, without axes. Data: i (bucket index), v (score)."""
    return (
        alt.Chart(alt.NamedData(name=DATA))
        .mark_line(color=LINE, strokeWidth=1.5)
        .encode(
            x=alt.X("i:Q", axis=None),
            y=alt.Y("v:Q", axis=None, scale=alt.Scale(zero=False)),
        )
        # A fixed size whatever the data (not padded to the line's bounds): the small
        # charts are drawn together and cut apart, each into the same frame.
        .properties(width=110, height=26, autosize=alt.AutoSizeParams(type="none"))
    )


trend = compiled(_trend)
distribution = compiled(_distribution)
sparkline = compiled(_sparkline)
