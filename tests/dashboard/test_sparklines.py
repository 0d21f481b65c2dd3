"""The breakdown's small trend lines are drawn together in one call and cut apart: each
must be exactly the drawing of its own data, labelled by its own row."""

from app.dashboard import charts


def rows_of(*trends):
    return [[{"i": i, "v": v} for i, v in enumerate(trend)] for trend in trends]


def test_drawn_together_each_is_its_own_drawing():
    trends = ([10.0, 20.0, None, 5.0], [-40.0, 0.0, 40.0], [3.0, 3.0], [10.0, 20.0, None, 5.0])
    labels = [f"trend-label-{i}" for i in range(len(trends))]
    charts._SMALL.clear()
    together = charts.render_small(charts.sparkline(), rows_of(*trends), "en", labels)
    alone = []
    for trend, label in zip(trends, labels, strict=True):
        charts._SMALL.clear()
        alone += charts.render_small(charts.sparkline(), rows_of(trend), "en", [label])
    assert together == alone
    assert len(set(together[:3])) == 3  # different data, different drawings
    for svg, label in zip(together, labels, strict=True):
        assert svg.startswith("<svg ") and svg.rstrip().endswith("</svg>")
        assert f'aria-labelledby="{label}"' in svg
        assert svg.count("<path") >= 1  # the line itself
