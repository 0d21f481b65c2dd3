"""/v1/scores with group_by=theme (a row per theme, an answer mentioning two in both, a row
for comments with no theme, answers without a comment in no row) and theme= filters."""

import pytest

from app.scores import stats
from tests.themes.helpers import theme


async def test_group_by_theme(api):
    survey = await api.survey(kind="nps")
    await theme(api, "Late", "late")
    await theme(api, "Price", "price")
    sid = survey["id"]
    for score in (0, 3, 10):
        await api.answer(sid, score, comment="late")
    for score in (9, 10):
        await api.answer(sid, score, comment="late and the price")
    await api.answer(sid, 6, comment="price")
    await api.answer(sid, 8, comment="nothing to add")
    await api.answer(sid, 10)  # no comment: in no row
    r = await api.get("/v1/scores", params={"survey_id": sid, "group_by": "theme"})
    assert r.status_code == 200, r.text
    rows = {row["group"]["theme"]: row for row in r.json()["rows"]}
    assert list(rows) == ["Late", "Price", None]
    assert rows["Late"]["n"] == 5 and rows["Price"]["n"] == 3 and rows[None]["n"] == 1
    late = stats.summarize("nps", 0, 10, [1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 2])
    assert rows["Late"]["nps"] == pytest.approx(late["nps"])
    assert rows["Late"]["nps_ci95"] == pytest.approx(late["nps_ci95"])
    assert rows[None]["distribution"]["8"] == 1

    r = await api.get(
        "/v1/scores", params={"survey_id": sid, "group_by": "theme,segment", "format": "csv"}
    )
    assert r.status_code == 200 and r.text.splitlines()[0].startswith("theme,segment,n,")


async def test_theme_filter_on_scores_and_responses(api):
    survey = await api.survey(kind="nps")
    late = await theme(api, "Late", "late")
    await theme(api, "Price", "price")
    sid = survey["id"]
    a = await api.answer(sid, 0, comment="late")
    b = await api.answer(sid, 10, comment="price")
    c = await api.answer(sid, 9, comment="late price")
    await api.answer(sid, 5, comment="other")

    r = await api.get("/v1/scores", params={"survey_id": sid, "theme": "Late"})
    [row] = r.json()["rows"]
    assert row["n"] == 2 and row["nps"] == pytest.approx(0)
    r = await api.get("/v1/scores", params={"survey_id": sid, "theme": [late["id"], "Price"]})
    assert r.json()["rows"][0]["n"] == 3
    r = await api.get("/v1/scores", params={"survey_id": sid, "theme": "no such theme"})
    assert r.json()["rows"][0]["n"] == 0

    r = await api.get("/v1/responses", params={"survey_id": sid, "theme": "Late"})
    assert {x["id"] for x in r.json()["data"]} == {a["id"], c["id"]}
    r = await api.get("/v1/responses", params={"theme": ["Late", "Price"]})
    assert {x["id"] for x in r.json()["data"]} == {a["id"], b["id"], c["id"]}
    assert {x["id"]: x["themes"] for x in r.json()["data"]}[c["id"]] == ["Late", "Price"]
