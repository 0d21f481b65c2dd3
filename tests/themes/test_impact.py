"""GET /v1/analytics/themes against METRICS.md: mentions vs the others among answered
responses with a comment, each group's score with its interval, the gap with z and p,
share, and cost = gap x share / 100, most costly first; JSON and CSV."""

import csv
import io

import pytest

from tests.themes.helpers import theme

APPROX = pytest.approx


async def answers(api, survey_id: str, counts: dict[int, int], comment: str | None, **extra):
    for score, n in counts.items():
        for _ in range(n):
            await api.answer(survey_id, score, comment=comment, **extra)


async def test_metrics_vector(api):
    """NPS A: 10x60, 8x25, 6x15 (mentions) vs NPS B: 10x50, 8x25, 5x25 (others): 45 vs 25,
    z 1.7728, p 0.0763, not significant; share 50, cost 10."""
    survey = await api.survey(kind="nps")
    late = await theme(api, "Late delivery", "late delivery")
    price = await theme(api, "Price", "too expensive")
    await answers(api, survey["id"], {10: 60, 8: 25, 6: 15}, "Late delivery, again")
    await answers(api, survey["id"], {10: 50, 8: 25, 5: 25}, "fine overall")
    await answers(api, survey["id"], {0: 7}, None)  # no comment: in neither group
    await answers(api, survey["id"], {0: 3}, "")

    r = await api.get("/v1/analytics/themes", params={"survey_id": survey["id"]})
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["kind"] == "nps"
    rows = {row["theme"]["name"]: row for row in report["rows"]}
    row = rows["Late delivery"]
    assert row["theme"]["id"] == late["id"] and row["group"] == {}
    assert (row["mentions"], row["others"]) == (100, 100)
    assert row["share"] == APPROX(50)
    assert row["score_mentions"]["nps"] == APPROX(45)
    assert row["score_others"]["nps"] == APPROX(25)
    assert row["score_mentions"]["nps_ci95"]["low"] == APPROX(29.34, abs=0.005)
    assert row["score_mentions"]["nps_ci95"]["high"] == APPROX(58.04, abs=0.005)
    assert row["gap"] == APPROX(20)
    assert row["z"] == APPROX(1.7728, abs=0.0001)
    assert row["p"] == APPROX(0.0763, abs=0.0001)
    assert row["significant"] is False
    assert row["cost"] == APPROX(10)
    assert row["score_mentions"]["low_sample"] is False

    # No comment mentions Price: no score among mentions, a gap of null, last in order.
    none = rows["Price"]
    assert none["theme"]["id"] == price["id"]
    assert (none["mentions"], none["others"], none["share"]) == (0, 200, 0)
    assert none["score_mentions"]["nps"] is None and none["gap"] is None
    assert none["z"] is None and none["p"] is None and none["cost"] is None
    assert [r["theme"]["name"] for r in report["rows"]] == ["Late delivery", "Price"]


async def test_ordered_by_cost_most_negative_first_and_csv(api):
    survey = await api.survey(kind="nps")
    await theme(api, "Late", "late")
    await theme(api, "Rude", "rude")
    await theme(api, "Praise", "great")
    await answers(api, survey["id"], {0: 10}, "late")  # 10 of 40, NPS -100
    await answers(api, survey["id"], {3: 2, 10: 2}, "rude")  # 4 of 40
    await answers(api, survey["id"], {10: 20, 9: 6}, "great")

    report = (await api.get("/v1/analytics/themes", params={"survey_id": survey["id"]})).json()
    costs = [row["cost"] for row in report["rows"]]
    assert [row["theme"]["name"] for row in report["rows"]] == ["Late", "Rude", "Praise"]
    assert costs == sorted(costs)
    late = report["rows"][0]
    # Late: NPS -100 vs others (4 rude: 2 detractors, 2 promoters; 26 promoters) 26/30*100
    assert late["score_others"]["nps"] == APPROX(100 * (28 - 2) / 30)
    assert late["gap"] == APPROX(-100 - 100 * 26 / 30)
    assert late["share"] == APPROX(25)
    assert late["cost"] == APPROX(late["gap"] * 25 / 100)
    assert late["score_mentions"]["low_sample"] is True  # n = 10 < 30

    r = await api.get("/v1/analytics/themes", params={"survey_id": survey["id"], "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(r.text)))
    assert [line["theme"] for line in lines] == ["Late", "Rude", "Praise"]
    assert float(lines[0]["gap"]) == APPROX(late["gap"])
    assert float(lines[0]["nps_mentions"]) == APPROX(-100)
    assert lines[0]["mentions"] == "10" and lines[0]["others"] == "30"


async def test_grouped_and_csat(api):
    survey = await api.survey(kind="csat")
    await theme(api, "Slow", "slow")
    await answers(api, survey["id"], {1: 3, 5: 1}, "slow", segment="smb")
    await answers(api, survey["id"], {5: 4}, "ok", segment="smb")
    await answers(api, survey["id"], {2: 2}, "slow", segment="ent")
    r = await api.get(
        "/v1/analytics/themes", params={"survey_id": survey["id"], "group_by": "segment"}
    )
    rows = {row["group"]["segment"]: row for row in r.json()["rows"]}
    assert set(rows) == {"smb", "ent"}
    assert rows["smb"]["score_mentions"]["csat"] == APPROX(25)
    assert rows["smb"]["score_others"]["csat"] == APPROX(100)
    assert rows["smb"]["gap"] == APPROX(-75)
    assert rows["ent"]["others"] == 0 and rows["ent"]["gap"] is None
    assert rows["ent"]["share"] == APPROX(100)


async def test_refusals(api):
    survey = await api.survey(kind="nps")
    other = await api.survey(kind="csat")
    r = await api.get("/v1/analytics/themes", params={"survey_id": [survey["id"], other["id"]]})
    assert r.status_code == 422
    r = await api.get(
        "/v1/analytics/themes", params={"survey_id": survey["id"], "group_by": "theme"}
    )
    assert r.status_code == 422
    r = await api.get("/v1/analytics/themes", params={"survey_id": survey["id"], "from": "x"})
    assert r.status_code == 422
