"""Questions the customer reports cannot answer get a clear 422 (or 404 for surveys that
are not the project's)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from conftest import Api, assert_problem, new_key, new_project


@pytest.fixture
async def surveys(api):
    return {
        "nps": (await api.survey(name="NPS"))["id"],
        "csat": (await api.survey(name="CSAT", kind="csat", scale_max=5))["id"],
        "ces": (await api.survey(name="CES", kind="ces", scale_max=7))["id"],
    }


@pytest.mark.parametrize(
    "params, parameter",
    [
        ({"horizon_days": 0}, "horizon_days"),
        ({"horizon_days": 10_000}, "horizon_days"),
        ({"horizon_days": -5}, "horizon_days"),
        ({"horizon_days": "ninety"}, "horizon_days"),
        ({"as_of": "2999-01-01T00:00:00Z"}, "as_of"),
        ({"as_of": "yesterday"}, "as_of"),
        ({"from": "2025-02-01", "to": "2025-01-01"}, "from"),
        ({"tz": "Mars/Olympus"}, "tz"),
        ({"group_by": "planet"}, "group_by"),
        ({"group_by": "segment,segment"}, "group_by"),
    ],
)
async def test_churn_refuses(api, surveys, params, parameter):
    r = await api.get("/v1/analytics/churn", params={"survey_id": surveys["nps"], **params})
    body = assert_problem(r, 422)
    assert parameter in {e.get("parameter") for e in body.get("errors", [])}, body


async def test_churn_refuses_mixed_kinds_and_foreign_surveys(api, client, surveys):
    r = await api.get(
        "/v1/analytics/churn", params={"survey_id": [surveys["csat"], surveys["ces"]]}
    )
    assert_problem(r, 422, "mixed-scales")
    assert_problem(
        await api.get("/v1/analytics/churn", params={"survey_id": str(uuid.uuid4())}),
        404,
        "survey-not-found",
    )
    other = await new_project()
    foreign = Api(client, other, await new_key(other, "admin"))
    r = await foreign.get("/v1/analytics/churn", params={"survey_id": surveys["nps"]})
    assert_problem(r, 404, "survey-not-found")


async def test_drivers_refuse(api, surveys):
    def ask(relationship, transactional, **params):
        return api.get(
            "/v1/analytics/drivers",
            params={
                "relationship_survey_id": relationship,
                "transactional_survey_id": transactional,
                **params,
            },
        )

    # Mixing relationship kinds, a relationship survey that is not NPS, NPS as a touchpoint.
    assert_problem(
        await ask([surveys["nps"], surveys["csat"]], surveys["ces"]), 422, "mixed-scales"
    )
    assert_problem(await ask(surveys["csat"], surveys["ces"]), 422, "mixed-scales")
    assert_problem(await ask(surveys["nps"], surveys["nps"]), 422, "mixed-scales")
    for params in ({"window_days": 0}, {"window_days": 3651}, {"group_by": "touchpoint"}):
        assert_problem(await ask(surveys["nps"], surveys["csat"], **params), 422)
    assert_problem(await ask(surveys["nps"], str(uuid.uuid4())), 404, "survey-not-found")
    r = await api.get("/v1/analytics/drivers", params={"relationship_survey_id": surveys["nps"]})
    assert_problem(r, 422)


async def test_journey_refuses(api):
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    for params in (
        {"horizon_days": 0},
        {"as_of": future},
        {"from": "2025-03-01", "to": "2025-02-01"},
        {"survey_id": str(uuid.uuid4())},
    ):
        r = await api.get("/v1/analytics/journey", params=params)
        assert r.status_code in (404, 422), (params, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")


async def test_reports_need_the_customers_scope(api, surveys):
    scores_only = await api.with_scopes("scores:read", "responses:read")
    r = await scores_only.get("/v1/analytics/churn", params={"survey_id": surveys["nps"]})
    assert_problem(r, 403)
    reader = await api.with_scopes("customers:read")
    r = await reader.get("/v1/analytics/churn", params={"survey_id": surveys["nps"]})
    assert r.status_code == 200, r.text
    assert_problem(await reader.get("/v1/outcomes"), 403)
