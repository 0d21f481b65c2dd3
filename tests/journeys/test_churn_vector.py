"""Churn after an answer against METRICS.md's vector: promoters 200 eligible, 10 churned;
detractors 100 eligible, 15 churned."""

import pytest

from tests.journeys.data import answer, at, churned, csv_rows, iso, outcomes

TOLERANCE = 0.005


def close(value: float, expected: float) -> bool:
    return abs(value - expected) <= TOLERANCE


async def test_churn_rates_and_relative_risk_match_the_vector(api):
    survey = await api.survey(name="Relationship")
    lost = []
    for i in range(200):
        await answer(api, survey["id"], f"p{i:03d}", 9 + i % 2, at(seconds=i))
        if i < 10:
            lost.append(churned(f"p{i:03d}", at(days=30)))
    for i in range(100):
        await answer(api, survey["id"], f"d{i:03d}", i % 7, at(seconds=i))
        if i < 15:
            lost.append(churned(f"d{i:03d}", at(days=10)))
    for i in range(20):
        await answer(api, survey["id"], f"m{i:03d}", 7, at(seconds=i))
    await outcomes(api, lost)

    r = await api.get(
        "/v1/analytics/churn",
        params={"survey_id": survey["id"], "as_of": iso(at(days=200)), "horizon_days": 90},
    )
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["kind"] == "nps" and report["horizon_days"] == 90
    (group,) = report["groups"]
    rows = {row["category"]: row for row in group["rows"]}
    assert [row["category"] for row in group["rows"]] == ["promoter", "passive", "detractor"]
    promoters, detractors = rows["promoter"], rows["detractor"]
    assert (promoters["eligible"], promoters["churned"], promoters["pending"]) == (200, 10, 0)
    assert (detractors["eligible"], detractors["churned"]) == (100, 15)
    assert rows["passive"]["churned"] == 0 and rows["passive"]["customers"] == 20
    assert promoters["churn_rate"] == pytest.approx(5)
    assert close(promoters["churn_rate_ci95"]["low"], 2.74)
    assert close(promoters["churn_rate_ci95"]["high"], 8.96)
    assert detractors["churn_rate"] == pytest.approx(15)
    assert close(detractors["churn_rate_ci95"]["low"], 9.31)
    assert close(detractors["churn_rate_ci95"]["high"], 23.28)
    assert group["relative_risk"] == pytest.approx(3.0)
    assert close(group["relative_risk_ci95"]["low"], 1.40)
    assert close(group["relative_risk_ci95"]["high"], 6.44)
    assert report["relative_risk_of"] == {"exposed": "detractor", "baseline": "promoter"}

    r = await api.get(
        "/v1/analytics/churn",
        params={"survey_id": survey["id"], "as_of": iso(at(days=200)), "format": "csv"},
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    detractor_line = csv_rows(r.text)[2]
    assert detractor_line["category"] == "detractor"
    assert (detractor_line["eligible"], detractor_line["churned"]) == ("100", "15")
    assert close(float(detractor_line["churn_rate_low"]), 9.31)
    assert close(float(detractor_line["relative_risk_high"]), 6.44)
