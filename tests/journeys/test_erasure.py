"""A privacy erasure takes the customer out of every customer report and out of the
database: answers, invitations and outcomes."""

from conftest import assert_problem, database_text_containing

from tests.journeys.data import answer, at, churned, iso, outcomes, purchase

ERIN = "erin-4c1f9e"
ORDER = "order-erin-77d2"
EMAIL = "erin-4c1f9e@example.com"


async def reports(api, nps: str, csat: str) -> dict:
    await api.request("PUT", "/v1/journey", json={"stages": ["delivery"]})
    window = {"from": iso(at(0)), "to": iso(at(30))}
    churn = await api.get(
        "/v1/analytics/churn", params={"survey_id": nps, "as_of": iso(at(200)), **window}
    )
    drivers = await api.get(
        "/v1/analytics/drivers",
        params={"relationship_survey_id": nps, "transactional_survey_id": csat, **window},
    )
    journey = await api.get("/v1/analytics/journey", params={"as_of": iso(at(200)), **window})
    listed = await api.get("/v1/customers")
    for r in (churn, drivers, journey, listed):
        assert r.status_code == 200, r.text
    rows = {row["category"]: row for row in churn.json()["groups"][0]["rows"]}
    (driver,) = drivers.json()["rows"]
    (stage,) = journey.json()["stages"]
    return {
        "detractors": (rows["detractor"]["customers"], rows["detractor"]["churned"]),
        "value": rows["detractor"]["value_eligible"],
        "drivers": (driver["n_good"], driver["n_bad"]),
        "stage churn": (stage["churn"]["customers"], stage["churn"]["churned"]),
        "customers": [c["customer_id"] for c in listed.json()["data"]],
    }


async def test_erasure_removes_the_customer_from_every_report_and_the_database(api):
    nps = (await api.survey(name="Relationship"))["id"]
    csat = (await api.survey(name="Delivery", kind="csat", scale_max=5))["id"]
    for customer, experience, score in ((ERIN, 1, 2), ("frank", 2, 4)):
        await answer(
            api,
            csat,
            customer,
            experience,
            at(1),
            touchpoint="delivery",
            comment=f"box crushed, {customer}",
        )
        await answer(
            api, nps, customer, score, at(2), comment=f"{customer} says no", touchpoint="delivery"
        )
    r = await api.post(
        f"/v1/surveys/{nps}/invitations",
        json={"recipients": [{"customer_id": ERIN, "email": EMAIL, "name": "Erin"}]},
    )
    assert r.status_code == 201, r.text
    await outcomes(
        api,
        [
            churned(ERIN, at(20)),
            {**purchase(ERIN, at(1), "40.00"), "attributes": {"order": ORDER}},
            purchase("frank", at(1), "2.50"),
        ],
    )
    before = await reports(api, nps, csat)
    assert before == {
        "detractors": (2, 1),
        "value": "42.50",
        "drivers": (0, 2),
        "stage churn": (2, 1),
        "customers": [ERIN, "frank"],
    }
    assert (await api.get(f"/v1/customers/{ERIN}/journey")).status_code == 200

    r = await api.post("/v1/erasures", json={"customer_id": ERIN})
    assert r.status_code == 200, r.text

    after = await reports(api, nps, csat)
    assert after == {
        "detractors": (1, 0),
        "value": "2.50",
        "drivers": (0, 1),
        "stage churn": (1, 0),
        "customers": ["frank"],
    }
    assert_problem(await api.get(f"/v1/customers/{ERIN}/journey"), 404, "customer-not-found")
    listed = await api.get("/v1/outcomes", params={"customer_id": ERIN})
    assert listed.json()["data"] == []
    assert await database_text_containing(ERIN, ORDER, EMAIL) == []
    assert len((await api.get("/v1/outcomes")).json()["data"]) == 1
