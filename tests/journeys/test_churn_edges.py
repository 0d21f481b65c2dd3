"""Churn after an answer at the edges METRICS.md draws: the latest answer in the range is
the unit, eligibility at answer time + H exactly, churn strictly after the answer and up
to the horizon inclusive, value over the 365 days up to the answer inclusive."""

from tests.journeys.data import answer, at, churned, csv_rows, iso, outcomes, purchase

HORIZON = 90


async def churn(api, survey_id: str, **params):
    query = {
        "survey_id": survey_id,
        "from": iso(at(0)),
        "to": iso(at(10)),
        "as_of": iso(at(9 + HORIZON)),  # eligible: answered at or before at(9)
        "horizon_days": HORIZON,
        **params,
    }
    r = await api.get("/v1/analytics/churn", params=query)
    assert r.status_code == 200, r.text
    return r.json()


async def test_every_edge(api):
    survey = (await api.survey(name="Relationship"))["id"]
    given = [
        ("twice", 10, at(1)),
        ("twice", 2, at(2)),  # the latest answer in the range is the unit
        ("twice", 10, at(10)),  # 'to' is exclusive
        ("twice", 10, at(-1)),  # before 'from'
        ("at-from", 9, at(0)),  # 'from' is inclusive
        ("edge-eligible", 8, at(9)),  # answer time + H == as_of: eligible
        ("edge-pending", 8, at(9, seconds=1)),  # one second short: pending
        ("same-instant", 0, at(3)),
        ("at-horizon", 3, at(4)),
        ("after-horizon", 10, at(5)),
        ("before-answer", 10, at(6)),
        ("valued", 5, at(7)),
    ]
    for customer, score, when in given:
        await answer(api, survey, customer, score, when)
    await answer(api, survey, None, 0, at(1))  # no customer: takes no part
    gone = await answer(api, survey, "deleted", 0, at(1))
    assert (await api.delete(f"/v1/responses/{gone['id']}")).status_code == 204
    await outcomes(
        api,
        [
            churned("edge-pending", at(20)),  # pending units never count as churned
            churned("same-instant", at(3)),  # not after the answer
            churned("at-horizon", at(4 + HORIZON)),  # exactly at the horizon: churned
            churned("after-horizon", at(5 + HORIZON, seconds=1)),
            churned("before-answer", at(5)),
            churned("valued", at(8)),
            purchase("valued", at(7 - 365), "10.00"),  # first instant of the window
            purchase("valued", at(7 - 365, seconds=-1), "1000.00"),
            purchase("valued", at(7), "0.05"),  # the answer's own instant
            purchase("valued", at(7, seconds=1), "500.00"),
            purchase("at-from", at(-30), "99.99"),
            {"customer_id": "valued", "type": "renewed", "occurred_at": at(7), "value": 7},
        ],
    )
    report = await churn(api, survey)
    (group,) = report["groups"]
    rows = {row["category"]: row for row in group["rows"]}
    cells = ("customers", "eligible", "pending", "churned", "value_eligible", "value_churned")
    assert {name: tuple(row[c] for c in cells) for name, row in rows.items()} == {
        "promoter": (3, 3, 0, 0, "99.99", "0.00"),
        "passive": (2, 1, 1, 0, "0.00", "0.00"),
        "detractor": (4, 4, 0, 2, "10.05", "10.05"),
    }
    assert rows["detractor"]["churn_rate"] == 50.0
    assert rows["promoter"]["churn_rate"] == 0.0
    assert group["relative_risk"] is None and group["relative_risk_ci95"] is None


async def test_no_eligible_customers_give_null_rates(api):
    survey = (await api.survey(name="Relationship"))["id"]
    await answer(api, survey, "recent", 10, at(9, seconds=5))
    report = await churn(api, survey)
    rows = {row["category"]: row for row in report["groups"][0]["rows"]}
    assert rows["promoter"]["pending"] == 1
    assert rows["promoter"]["churn_rate"] is None and rows["promoter"]["churn_rate_ci95"] is None
    assert rows["detractor"]["customers"] == 0 and rows["detractor"]["churn_rate"] is None


async def test_no_answers_give_no_groups(api):
    survey = (await api.survey(name="Relationship"))["id"]
    assert (await churn(api, survey))["groups"] == []


async def test_csat_splits_into_good_and_not_good(api):
    survey = (await api.survey(name="Support", kind="csat", scale_max=5))["id"]
    for i, score in enumerate([5, 4, 4, 3, 1, 2]):
        await answer(api, survey, f"c{i}", score, at(1))
    await outcomes(api, [churned("c4", at(2)), churned("c5", at(3)), churned("c0", at(4))])
    report = await churn(api, survey)
    (group,) = report["groups"]
    rows = {row["category"]: row for row in group["rows"]}
    assert list(rows) == ["good", "not_good"]
    assert (rows["good"]["eligible"], rows["good"]["churned"]) == (3, 1)
    assert (rows["not_good"]["eligible"], rows["not_good"]["churned"]) == (3, 2)
    assert abs(group["relative_risk"] - 2.0) < 1e-9
    assert report["relative_risk_of"] == {"exposed": "not_good", "baseline": "good"}


async def test_groups_carry_their_own_relative_risk(api):
    survey = (await api.survey(name="Relationship"))["id"]
    plan = {"a": "pro", "b": "free"}
    for seg in ("a", "b"):
        for i in range(4):
            await answer(
                api, survey, f"{seg}p{i}", 10, at(1), segment=seg, attributes={"plan": plan[seg]}
            )
            await answer(
                api, survey, f"{seg}d{i}", 0, at(1), segment=seg, attributes={"plan": plan[seg]}
            )
    await outcomes(
        api,
        [
            churned("ap0", at(2)),
            churned("ad0", at(2)),
            churned("ad1", at(2)),
            churned("bd0", at(2)),
        ],
    )
    report = await churn(api, survey, group_by="segment,attributes.plan")
    assert report["group_by"] == ["segment", "attributes.plan"]
    groups = {tuple(g["group"].values()): g for g in report["groups"]}
    assert list(groups) == [("a", "pro"), ("b", "free")]
    assert abs(groups[("a", "pro")]["relative_risk"] - 2.0) < 1e-9
    assert groups[("b", "free")]["relative_risk"] is None
    assert [r["churned"] for r in groups[("a", "pro")]["rows"]] == [1, 0, 2]
    params = {
        "survey_id": survey,
        "from": iso(at(0)),
        "to": iso(at(10)),
        "as_of": iso(at(99)),
        "group_by": ["segment", "attributes.plan"],
        "format": "csv",
    }
    rows = csv_rows((await api.get("/v1/analytics/churn", params=params)).text)
    assert list(rows[0])[:6] == [
        "segment",
        "attributes.plan",
        "category",
        "customers",
        "eligible",
        "pending",
    ]
    assert [(r["segment"], r["category"], r["churned"]) for r in rows[:3]] == [
        ("a", "promoter", "1"),
        ("a", "passive", "0"),
        ("a", "detractor", "2"),
    ]
    assert len(rows) == 2 * 3
