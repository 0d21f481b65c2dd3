"""The declared journey and the stage view: each stage's scores (one per kind and scale
answered there), their change against the previous period, churn after the latest answer."""

import pytest
from conftest import assert_problem

from tests.journeys.data import answer, at, churned, csv_rows, iso, outcomes

TOLERANCE = 0.005
CSAT_VECTOR = [5] * 40 + [4] * 35 + [3] * 10 + [2] * 8 + [1] * 7  # CSAT 75 [65.70, 82.45]


async def test_stages_are_declared_replaced_and_checked(api):
    assert (await api.get("/v1/journey")).json() == {"stages": []}
    stages = ["awareness", "onboarding", "checkout", "delivery", "support", "renewal"]
    r = await api.request("PUT", "/v1/journey", json={"stages": stages})
    assert r.status_code == 200, r.text
    assert r.json() == {"stages": stages}
    assert (await api.get("/v1/journey")).json() == {"stages": stages}
    r = await api.request("PUT", "/v1/journey", json={"stages": ["support", "delivery"]})
    assert (await api.get("/v1/journey")).json() == {"stages": ["support", "delivery"]}
    for bad in (["a", "b", "a"], [""], ["x" * 101], [f"s{i}" for i in range(51)], "support"):
        assert_problem(await api.request("PUT", "/v1/journey", json={"stages": bad}), 422)
    assert (await api.get("/v1/journey")).json() == {"stages": ["support", "delivery"]}
    reader = await api.with_scopes("surveys:read")
    assert (await reader.get("/v1/journey")).status_code == 200
    r = await reader.request("PUT", "/v1/journey", json={"stages": []})
    assert_problem(r, 403)


async def test_stage_view(api):
    stages = ["onboarding", "delivery", "support"]
    await api.request("PUT", "/v1/journey", json={"stages": stages})
    nps = (await api.survey(name="Relationship"))["id"]
    csat = (await api.survey(name="Delivery", kind="csat", scale_max=5))["id"]
    ces = (await api.survey(name="Support", kind="ces", scale_max=7))["id"]
    for i, score in enumerate(CSAT_VECTOR):
        await answer(api, csat, None, score, at(100, seconds=i), touchpoint="delivery")
    for score in (5, 1):  # the previous period: 50% satisfied
        await answer(api, csat, None, score, at(80), touchpoint="delivery")
    await answer(api, ces, None, 6, at(75), touchpoint="support")  # previous period only
    await answer(api, nps, None, 10, at(110), touchpoint="support")
    # Churn: by the stage of each customer's latest answer in the range.
    await answer(api, csat, "a", 5, at(101), touchpoint="delivery")
    await answer(api, csat, "b", 4, at(102), touchpoint="delivery")
    await answer(api, csat, "c", 1, at(101), touchpoint="delivery")
    await answer(api, ces, "c", 2, at(105), touchpoint="support")  # c's latest: support
    await answer(api, nps, "d", 3, at(103), touchpoint="renewal")  # not a stage
    await answer(api, csat, "e", 3, at(60), touchpoint="delivery")  # before both periods
    await outcomes(api, [churned("a", at(120)), churned("c", at(121)), churned("d", at(122))])

    params = {"from": iso(at(100)), "to": iso(at(130)), "as_of": iso(at(300))}
    r = await api.get("/v1/analytics/journey", params=params)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["previous_from"] == iso(at(70))
    by_stage = {s["stage"]: s for s in report["stages"]}
    assert [s["stage"] for s in report["stages"]] == stages
    assert [s["position"] for s in report["stages"]] == [0, 1, 2]

    onboarding = by_stage["onboarding"]
    assert onboarding["scores"] == []
    assert onboarding["churn"]["customers"] == 0 and onboarding["churn"]["churn_rate"] is None

    (delivery,) = by_stage["delivery"]["scores"]
    assert (delivery["kind"], delivery["scale_min"], delivery["scale_max"]) == ("csat", 1, 5)
    assert delivery["n"] == 103  # the vector and a, b, c
    assert delivery["previous_n"] == 2
    score = (
        await api.get(
            "/v1/scores",
            params={
                "survey_id": csat,
                "touchpoint": "delivery",
                **{k: params[k] for k in ("from", "to")},
            },
        )
    ).json()["rows"][0]
    for name in ("n", "csat", "csat_ci95", "mean", "mean_ci95", "distribution"):
        assert delivery[name] == score[name]
    assert delivery["change"]["delta"] == pytest.approx(delivery["csat"] - 50)
    churn = by_stage["delivery"]["churn"]
    assert (churn["customers"], churn["eligible"], churn["churned"]) == (2, 2, 1)
    assert churn["churn_rate"] == 50

    kinds = {s["kind"]: s for s in by_stage["support"]["scores"]}
    assert set(kinds) == {"ces", "nps"}
    assert kinds["ces"]["n"] == 1 and kinds["ces"]["previous_n"] == 1
    assert kinds["ces"]["change"]["delta"] == pytest.approx(2 - 6)
    assert kinds["nps"]["n"] == 1 and kinds["nps"]["change"] is None
    support = by_stage["support"]["churn"]
    assert (support["customers"], support["churned"]) == (1, 1)

    csv = await api.get("/v1/analytics/journey", params={**params, "format": "csv"})
    rows = csv_rows(csv.text)
    assert [(r["stage"], r["kind"]) for r in rows] == [
        ("onboarding", ""),
        ("delivery", "csat"),
        ("support", "ces"),
        ("support", "nps"),
    ]
    assert rows[1]["n"] == "103" and rows[1]["churned"] == "1"


async def test_the_csat_vector_at_one_stage(api):
    await api.request("PUT", "/v1/journey", json={"stages": ["delivery"]})
    csat = (await api.survey(name="Delivery", kind="csat", scale_max=5))["id"]
    for i, score in enumerate(CSAT_VECTOR):
        await answer(api, csat, None, score, at(100, seconds=i), touchpoint="delivery")
    params = {"from": iso(at(100)), "to": iso(at(101)), "as_of": iso(at(200))}
    report = (await api.get("/v1/analytics/journey", params=params)).json()
    (score,) = report["stages"][0]["scores"]
    assert score["csat"] == pytest.approx(75)
    assert abs(score["csat_ci95"]["low"] - 65.70) <= TOLERANCE
    assert abs(score["csat_ci95"]["high"] - 82.45) <= TOLERANCE
    assert score["change"] is None and score["previous_n"] == 0
