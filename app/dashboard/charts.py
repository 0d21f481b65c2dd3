"""Charts as Vega-Lite specifications (built with Altair) rendered to SVG on the server by
vl-convert, which runs Vega in-process: no script, no font or data is fetched from
anywhere, and the page needs no JavaScript to show them. Every chart also has a data table
on the page; the SVG is one image (role="img") labelled by its caption."""

import re
from typing import Any

import altair as alt
import vl_convert

from app.dashboard.i18n import D3_LOCALES

INK = "#1f2933"
MUTED = "#52606d"
LINE = "#1f4f8b"
BAND = "#9fb8d9"
RISE = "#1b7f3b"
FALL = "#b42318"
CATEGORY_COLOURS = {"promoter": "#1b7f3b", "passive": "#8a6d00", "detractor": "#b42318"}
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"
CONFIG = {
    "font": FONT,
    "axis": {"labelColor": INK, "titleColor": INK, "gridColor": "#e4e7eb", "labelFontSize": 12},
    "view": {"stroke": "transparent"},
    "background": "white",
}
_ROOT = re.compile(r"^<svg ")


def render(chart: alt.TopLevelMixin, lang: str, label_id: str) -> str:
    """The chart as an inline SVG element labelled by the element `label_id`."""
    svg = vl_convert.vegalite_to_svg(
        chart.to_dict(validate=False),
        allowed_base_urls=[],  # inline data only: never fetch anything
        format_locale=D3_LOCALES[lang],
        time_format_locale=D3_LOCALES[lang],
    )
    return _ROOT.sub(
        f'<svg role="img" aria-labelledby="{label_id}" focusable="false" ', svg, count=1
    )


def trend(points: list[dict[str, Any]], metric: str, y_domain: tuple[float, float]) -> alt.Chart:
    """Score per bucket (line), its 95% interval (band), hollow points for low samples,
    triangles for significant changes, and answers per bucket (bars) below.

    `points`: bucket (ISO date), score, low, high, n, low_sample, rise (a significant
    change up), fall (down)."""
    data = alt.Data(values=points)
    x = alt.X("bucket:T", title=None, scale=alt.Scale(type="utc"), axis=alt.Axis(grid=False))
    y_scale = alt.Scale(domain=list(y_domain), nice=False, zero=False)
    base = alt.Chart(data).encode(x=x)
    band = base.mark_area(color=BAND, opacity=0.45).encode(
        y=alt.Y("low:Q", title=metric, scale=y_scale), y2="high:Q"
    )
    line = base.mark_line(color=LINE, strokeWidth=2).encode(y=alt.Y("score:Q"))
    solid = (
        base.transform_filter("datum.score != null && !datum.low_sample")
        .mark_point(filled=True, color=LINE, size=40, opacity=1)
        .encode(y="score:Q")
    )
    hollow = (
        base.transform_filter("datum.score != null && datum.low_sample")
        .mark_point(filled=True, fill="white", stroke=MUTED, strokeWidth=1.5, size=40, opacity=1)
        .encode(y="score:Q")
    )
    rise = (
        base.transform_filter("datum.rise")
        .mark_point(shape="triangle-up", filled=True, color=RISE, size=90, yOffset=-12)
        .encode(y="score:Q")
    )
    fall = (
        base.transform_filter("datum.fall")
        .mark_point(shape="triangle-down", filled=True, color=FALL, size=90, yOffset=12)
        .encode(y="score:Q")
    )
    scores = alt.layer(band, line, solid, hollow, rise, fall).properties(width=680, height=220)
    counts = (
        alt.Chart(data)
        .mark_bar(color="#7b8794")
        .encode(x=alt.X("bucket:T", title=None, scale=alt.Scale(type="utc")), y=alt.Y("n:Q"))
        .properties(width=680, height=60)
    )
    return alt.vconcat(scores, counts, spacing=8).configure(**CONFIG)


def distribution(bars: list[dict[str, Any]]) -> alt.Chart:
    """Answers per scale value; bars: value, count, category (NPS) or None."""
    coloured = any(bar.get("category") for bar in bars)
    colour: Any = alt.value(LINE)
    if coloured:
        names = list(CATEGORY_COLOURS)
        colour = alt.Color(
            "category:N",
            scale=alt.Scale(domain=names, range=list(CATEGORY_COLOURS.values())),
            legend=None,
        )
    chart = (
        alt.Chart(alt.Data(values=bars))
        .mark_bar()
        .encode(
            x=alt.X("value:O", title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("count:Q", title=None),
            color=colour,
        )
        .properties(width=alt.Step(34), height=160)
    )
    return chart.configure(**CONFIG)


def sparkline(values: list[float | None]) -> alt.Chart:
    points = [{"i": i, "v": v} for i, v in enumerate(values)]
    chart = (
        alt.Chart(alt.Data(values=points))
        .mark_line(color=LINE, strokeWidth=1.5, point=alt.OverlayMarkDef(size=6, color=LINE))
        .encode(
            x=alt.X("i:Q", axis=None),
            y=alt.Y("v:Q", axis=None, scale=alt.Scale(zero=False)),
        )
        .properties(width=110, height=26)
    )
    return chart.configure(**{**CONFIG, "axis": {}})
