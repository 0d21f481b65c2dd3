"""The customer list and one customer's journey: answers across surveys, invitations
(sent, opened, answered; never their links) and outcomes, in time order."""

import re

from conftest import assert_problem

from app.config import get_settings
from tests.journeys.data import answer, at, churned, iso, outcomes, purchase

TOKEN = re.compile(r"/s/([A-Za-z0-9_-]+)")


async def customers(api, **params):
    r = await api.get("/v1/customers", params=params)
    assert r.status_code == 200, r.text
    return r.json()


async def history(api):
    nps = (await api.survey(name="Relationship"))["id"]
    csat = (await api.survey(name="Delivery", kind="csat", scale_max=5))["id"]
    await answer(api, nps, "alice", 10, at(1))
    await answer(api, csat, "alice", 2, at(3), touchpoint="delivery", comment="late again")
    await answer(api, nps, "alice", 3, at(5), channel="web")
    await answer(api, nps, "bob", 9, at(2))
    await answer(api, csat, "dave", 5, at(4), touchpoint="support")
    await outcomes(
        api,
        [
            churned("bob", at(10)),
            churned("bob", at(12)),
            purchase("carol", at(6), "25.50"),
            purchase("alice", at(4), 100),
        ],
    )
    return nps, csat


async def test_list_shows_latest_relationship_score_touchpoint_and_churn(api):
    nps, _csat = await history(api)
    page = await customers(api)
    assert page["has_more"] is False
    found = {c["customer_id"]: c for c in page["data"]}
    assert list(found) == ["alice", "bob", "carol", "dave"]
    alice = found["alice"]
    assert alice["answers"] == 3 and alice["last_answered_at"] == iso(at(5))
    assert alice["relationship"] == {
        "survey_id": nps,
        "score": 3,
        "category": "detractor",
        "answered_at": iso(at(5)),
    }
    assert (alice["last_touchpoint"], alice["last_touchpoint_at"]) == ("delivery", iso(at(3)))
    assert alice["churned"] is False and alice["churned_at"] is None
    assert found["bob"]["churned"] is True and found["bob"]["churned_at"] == iso(at(12))
    assert found["bob"]["relationship"]["category"] == "promoter"
    carol = found["carol"]
    assert carol["answers"] == 0 and carol["relationship"] is None
    assert carol["last_touchpoint"] is None and carol["last_answered_at"] is None
    assert found["dave"]["relationship"] is None and found["dave"]["last_touchpoint"] == "support"


async def test_list_filters_and_pages(api):
    _nps, csat = await history(api)
    ids = lambda page: [c["customer_id"] for c in page["data"]]  # noqa: E731
    assert ids(await customers(api, category="detractor")) == ["alice"]
    assert ids(await customers(api, category="promoter,passive")) == ["bob"]
    assert ids(await customers(api, churned="true")) == ["bob"]
    assert ids(await customers(api, churned="false")) == ["alice", "carol", "dave"]
    assert ids(await customers(api, last_touchpoint="delivery")) == ["alice"]
    by_csat = await customers(api, relationship_survey_id=csat, category="good")
    assert ids(by_csat) == ["dave"] and by_csat["data"][0]["relationship"]["category"] == "good"
    first = await customers(api, limit=3)
    assert ids(first) == ["alice", "bob", "carol"] and first["has_more"] is True
    second = await customers(api, limit=3, cursor=first["next_cursor"])
    assert ids(second) == ["dave"] and second["has_more"] is False
    assert_problem(await api.get("/v1/customers", params={"category": "fan"}), 422)
    assert_problem(await api.get("/v1/customers", params={"cursor": "%%%"}), 400)


async def test_a_customers_journey_in_time_order(api, client):
    nps, _csat = await history(api)
    r = await api.post(
        f"/v1/surveys/{nps}/invitations",
        json={"recipients": [{"customer_id": "alice", "email": "alice@example.com"}]},
    )
    assert r.status_code == 201, r.text
    (invitation,) = r.json()["data"]
    token = TOKEN.search(invitation["survey_url"]).group(1)
    page = invitation["survey_url"].removeprefix(get_settings().public_base_url)
    assert (await client.get(page)).status_code == 200  # the link was opened
    r = await client.post("/v1/public/responses", json={"token": token, "score": 8})
    assert r.status_code == 201, r.text

    r = await api.get("/v1/customers/alice/journey")
    assert r.status_code == 200, r.text
    journey = r.json()
    assert journey["customer_id"] == "alice"
    events = journey["events"]
    assert token not in r.text and "/s/" not in r.text
    assert [e["type"] for e in events[:4]] == ["answer", "answer", "outcome", "answer"]
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)
    first, delivery, bought, latest = events[:4]
    assert (first["survey_id"], first["kind"], first["score"], first["category"]) == (
        nps,
        "nps",
        10,
        "promoter",
    )
    assert (delivery["kind"], delivery["scale_max"], delivery["category"]) == (
        "csat",
        5,
        "not_good",
    )
    assert (delivery["touchpoint"], delivery["comment"]) == ("delivery", "late again")
    assert (bought["outcome"], bought["value"]) == ("purchase", "100.00")
    assert latest["channel"] == "web" and latest["score"] == 3
    sent = next(e for e in events if e["type"] == "invitation")
    assert sent["sent"] is True and sent["status"] == "created"
    assert sent["opens"] >= 1 and sent["opened_at"] is not None
    assert sent["answered_at"] is not None and sent["response_id"] is not None
    by_link = next(
        e for e in events if e.get("response_id") == sent["response_id"] and e["type"] == "answer"
    )
    assert by_link["score"] == 8 and by_link["channel"] == "email"
    assert set(sent) >= {"invitation_id", "survey_id", "touchpoint", "channel"}
    assert not {"survey_url", "score_urls", "email_html", "token"} & set(sent)


async def test_unknown_and_other_projects_customers_are_not_found(api, client):
    from conftest import Api, new_key, new_project

    await history(api)
    other_project = await new_project()
    other = Api(client, other_project, await new_key(other_project, "admin"))
    assert_problem(await other.get("/v1/customers/alice/journey"), 404, "customer-not-found")
    assert_problem(await api.get("/v1/customers/nobody/journey"), 404, "customer-not-found")
    assert (await other.get("/v1/customers")).json()["data"] == []


async def test_customer_ids_with_slashes(api):
    nps = (await api.survey(name="Relationship"))["id"]
    await answer(api, nps, "acme/42", 9, at(1))
    r = await api.get("/v1/customers/acme%2F42/journey")
    assert r.status_code == 200, r.text
    assert r.json()["customer_id"] == "acme/42"
